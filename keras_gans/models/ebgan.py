"""EBGAN (Zhao, Mathieu & LeCun 2017, "Energy-based Generative Adversarial
Network", ICLR 2017, arXiv:1609.03126).

The discriminator is an energy function, here an autoencoder whose energy is
the reconstruction error `D(v) = mean (v - Dec(Enc(v)))^2` (MSE over the
elements of one example). With a margin m:

    L_D = D(x) + max(0, m - D(G(z)))
    L_G = D(G(z)) + lambda_pt * PT

where the pulling-away term (the paper's "EBGAN-PT") is computed on the
encoder's embeddings S of the generated batch:

    PT = 1 / (N (N - 1)) * sum_{i != j} cos^2(S_i, S_j)

It pushes generated samples apart in D's feature space (0 for mutually
orthogonal embeddings, 1 for identical ones).

Reduction. PT is one value per batch, so it cannot be a per-example loss.
PT couples the examples of a batch. Under a distribution strategy it is
computed over the embeddings of the GLOBAL batch (all-gathered, see
`keras_gans.losses.reduction.gather_global_batch`), so pairs that straddle
replicas count as on one device. `g_loss` is returned per example as
`D(G(z_i)) + lambda_pt * PT`: reducing that with the base's `_reduce` (sum /
global batch) gives mean_i D(G(z_i)) + lambda_pt * PT on 1 or N replicas.
`g_pt` logs PT itself.

Defaults: lambda_pt = 0.1 (the paper's EBGAN-PT setting). The margin is on
the scale of the energy, which depends on how it is normalized (here a mean
over elements, for data in [-1, 1] or the mixtures' coordinates); the paper
grid-searches m per dataset. The default m = 1.0 suits the per-element MSE
used here; change it with `compile(margin=...)`. The autoencoder uses
LeakyReLU(0.2) hidden units; the optimizers default to Adam(2e-4, 0.5).
"""

import keras
import tensorflow as tf

from keras_gans.losses.reduction import gather_global_batch
from keras_gans.models.architectures import ConfigurableGAN, build_networks
from keras_gans.models.autoencoder import build_autoencoder, own_loss_option, per_example_mean
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, non_negative, positive, positive_int


def pulling_away_term(embeddings, epsilon=1e-12):
    """EBGAN's pulling-away term of a batch of embeddings [N, ...] (a scalar).

    `1 / (N (N - 1)) * sum_{i != j} cos^2(S_i, S_j)`; needs N >= 2.

    Example:

    >>> float(pulling_away_term(tf.eye(3)))  # orthogonal
    0.0
    >>> round(float(pulling_away_term(tf.ones((4, 2)))), 6)  # identical
    1.0
    """
    s = tf.convert_to_tensor(embeddings)
    n = tf.shape(s)[0]
    s = tf.reshape(s, [n, -1])
    # Normalize with a floor on the norm: an all-zero embedding contributes 0
    # instead of NaN.
    s = s / tf.maximum(tf.norm(s, axis=1, keepdims=True), epsilon)
    cos2 = tf.square(tf.matmul(s, s, transpose_b=True))
    # The diagonal is cos^2(S_i, S_i) = 1 (0 for a zero embedding): remove it
    # exactly rather than subtracting N.
    off_diagonal = tf.reduce_sum(cos2) - tf.reduce_sum(tf.linalg.diag_part(cos2))
    nf = tf.cast(n, s.dtype)
    return off_diagonal / (nf * (nf - 1.0))


def margin_discriminator_loss(real_energy, fake_energy, margin):
    """Per-example EBGAN discriminator loss: D(x) + max(0, m - D(G(z)))."""
    return real_energy + tf.nn.relu(margin - fake_energy)


@register_family("ebgan")
class EBGAN(ConfigurableGAN):
    """Energy-based GAN with an autoencoder discriminator and the pulling-away term.

    Args:
        data_shape: (H, W, C) for images, (D,) for vectors.
        latent_dim: size of z.
        architecture: "dcgan" (conv generator, conv autoencoder) or "mlp".
        width: base width of G and of the autoencoder D.
        embedding_dim: size of D's bottleneck (the embeddings PT is computed on).
        generator_options, discriminator_options: builder options; D takes
            `activation` (default "leaky_relu") and, for "mlp", `depth`.
        ema_decay, seed: see `keras_gans.models.GAN`.

    `compile` takes `margin` (1.0) and `pt_weight` (lambda_pt, 0.1; 0 turns
    the pulling-away term off) besides the optimizers and `d_steps`.

    Logs `d_real` = D(x) and `d_fake` = D(G(z)) (energies) and `g_pt` (PT).

    Example:

    >>> gan = EBGAN(data_shape=(2,), latent_dim=4, width=8)
    >>> gan.compile(margin=1.0, pt_weight=0.1)
    >>> gan.generate(gan.latents(3)).shape
    (3, 2)
    """

    default_architecture = "dcgan"

    constructor_options = (
        Option("embedding_dim", 64, "size of the autoencoder D's embedding",
               check=positive_int),
    )

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        generator, _ = build_networks(architecture, data_shape, latent_dim, width, g_opts, {})
        d_opts = {"activation": "leaky_relu", **d_opts}
        discriminator = build_autoencoder(architecture, data_shape, width,
                                          self.embedding_dim, **d_opts)
        return generator, discriminator


    def extra_metric_names(self):
        return ("g_pt",)

    def energy(self, v, training=True):
        """(D(v) = per-example mean squared reconstruction error [batch], embeddings)."""
        recon, embedding = self.discriminator(v, training=training)
        error = tf.square(tf.cast(v, recon.dtype) - recon)
        return per_example_mean(error), embedding

    def compute_discriminator_loss(self, real, fake, labels=None):
        real_energy, _ = self.energy(real)
        fake_energy, _ = self.energy(fake)
        return {
            "d_loss": margin_discriminator_loss(real_energy, fake_energy, self.margin),
            "d_real": real_energy,
            "d_fake": fake_energy,
        }

    def compute_generator_loss(self, fake, labels=None, real=None):
        fake_energy, embedding = self.energy(fake)
        terms = {}
        g_loss = fake_energy
        if self.pt_weight > 0.0:
            # Over the global batch; broadcast per example (module docstring).
            pt = pulling_away_term(gather_global_batch(embedding))
            g_loss = fake_energy + self.pt_weight * pt
            terms["g_pt"] = pt
        terms["g_loss"] = g_loss
        return terms


    options = (
        own_loss_option("EBGAN"),
        Option("margin", 1.0, "m of the hinge on the fake energy", check=positive),
        Option("pt_weight", 0.1, "weight of the pulling-away term in g_loss",
               check=non_negative),
    )

    def default_optimizers(self):
        return (keras.optimizers.Adam(2e-4, beta_1=0.5),
                keras.optimizers.Adam(2e-4, beta_1=0.5))
