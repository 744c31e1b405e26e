"""BEGAN (Berthelot, Schumm & Metz 2017, "BEGAN: Boundary Equilibrium Generative
Adversarial Networks", arXiv:1703.10717).

The discriminator is an autoencoder; the loss of a sample v is its
reconstruction error `L(v) = mean |v - D(v)|` (L1, mean over the elements of
one example). The players minimize

    L_D = L(x) - k_t L(G(z))
    L_G = L(G(z))

and the proportional controller

    k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1)

keeps E[L(G(z))] = gamma E[L(x)] (the "boundary equilibrium"): gamma in [0, 1]
trades diversity (high gamma) against quality (low gamma). The convergence
measure is `M_global = L(x) + |gamma L(x) - L(G(z))|`.

Defaults: gamma = 0.5, lambda_k = 0.001 and k_0 = 0 (the paper's values; its
figures compare gamma = 0.3, 0.5, 0.7). Optimizers: Adam(1e-4, beta_1=0.5,
beta_2=0.999). The paper gives an initial learning rate in [5e-5, 1e-4],
halved when M_global stalls; it does not state Adam's betas, 0.5 / 0.999 are
those of the widely used reimplementation (carpedm20/BEGAN-tensorflow).

`k_t` is a non-trainable model variable, so checkpoints and `.keras` files
carry it. It is updated after every D update from that update's L(x) and
L(G(z)) (computed with D before its update, as in the paper's Eq. for step
t), averaged over the GLOBAL batch (replica sums are all-reduced), so every
replica computes the same k_{t+1}.

The generator and the architecture: `ConfigurableGAN`'s generator builders
(the paper's G is its decoder architecture with ELUs; here G is the shared
`"dcgan"`/`"mlp"` generator) and an autoencoder D from
`keras_gans.models.autoencoder` with ELU activations as in the paper (a
small conv autoencoder for images, an MLP one for vectors).
"""


import math

import keras
import tensorflow as tf

from keras_gans.models.architectures import ConfigurableGAN, build_networks
from keras_gans.models.autoencoder import build_autoencoder, own_loss_option, per_example_mean
from keras_gans.losses.reduction import global_mean
from keras_gans.models.base import PerReplica, assign_variables
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, in_unit_interval, non_negative, optional_positive_int


@register_family("began")
class BEGAN(ConfigurableGAN):
    """Boundary equilibrium GAN with an autoencoder discriminator.

    Args:
        data_shape: (H, W, C) for images, (D,) for vectors.
        latent_dim: size of z (the paper: 64).
        architecture: "dcgan" (conv generator, conv autoencoder) or "mlp".
        width: base width of G and of the autoencoder D.
        embedding_dim: size of D's bottleneck; default min(64, data size // 2):
            the paper's h = 64 for images, 1 for 2-D points (see `__init__`).
        generator_options, discriminator_options: builder options; D takes
            `activation` (default "elu") and, for "mlp", `depth`.
        ema_decay, seed: see `keras_gans.models.GAN`.

    `compile` takes `gamma` (0.5) and `lambda_k` (0.001) besides the
    optimizers and `d_steps`; the adversarial `loss` does not apply.

    Logs `d_real` = L(x), `d_fake` = L(G(z)), `m_global` and `k_t` (the value
    used in the D loss; like every metric, averaged over the epoch's steps).

    Example:

    >>> gan = BEGAN(data_shape=(2,), latent_dim=4, width=8)
    >>> gan.compile(gamma=0.5, lambda_k=0.001)
    >>> float(gan.k_t.numpy())
    0.0
    """

    default_architecture = "dcgan"

    default_latent_dim = 64
    constructor_options = (
        Option("embedding_dim", None, "size of the autoencoder D's embedding h; default: 64 "
               "(the paper's, for images), at most half the data's size",
               check=optional_positive_int),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # k_0 = 0 (the paper). Assigned through `assign_variables` with the
        # same value on every replica; "only_first_replica" also makes a plain
        # replica-context read/aggregate well defined.
        self.k_t = keras.Variable(0.0, dtype="float32", trainable=False, name="k_t",
                                  aggregation="only_first_replica")
        # Handed from the D loss to the controller update, per replica thread.
        self._pending_k_inputs = PerReplica()

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        if self.embedding_dim is None:
            # The paper's h = 64 for images. An autoencoder that can reconstruct
            # every point (a bottleneck as wide as the data) gives L(G(z)) ~ L(x)
            # wherever G puts its samples, so gamma L(x) - L(G(z)) < 0 and k_t
            # stays at 0: D never pushes back on the fakes. On 2-D points
            # (measured on ring8: k_t = 0 for 2000 steps with h = 64) the
            # bottleneck must be narrower than the data.
            self.embedding_dim = min(64, max(1, math.prod(data_shape) // 2))
        generator, _ = build_networks(architecture, data_shape, latent_dim, width, g_opts, {})
        d_opts = {"activation": "elu", **d_opts}
        discriminator = build_autoencoder(architecture, data_shape, width,
                                          self.embedding_dim, **d_opts)
        return generator, discriminator


    def extra_metric_names(self):
        return ("k_t", "m_global")

    # ----------------------------------------------------------------- compile

    options = (
        own_loss_option("BEGAN"),
        Option("gamma", 0.5, "gamma = E[L(G(z))] / E[L(x)], the diversity ratio",
               check=in_unit_interval),
        Option("lambda_k", 0.001, "lambda_k, the learning rate of k_t", check=non_negative),
    )

    def default_optimizers(self):
        return (keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.999),
                keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.999))

    # ------------------------------------------------------------------ losses
    def reconstruction_loss(self, v, training=True):
        """L(v) = mean |v - D(v)| per example, shape [batch]."""
        recon, _ = self.discriminator(v, training=training)
        # In float32 under mixed precision (k_t and the controller are float32).
        recon = tf.cast(recon, tf.float32)
        return per_example_mean(tf.abs(tf.cast(v, recon.dtype) - recon))

    def compute_discriminator_loss(self, real, fake, labels=None):
        loss_real = self.reconstruction_loss(real)
        loss_fake = self.reconstruction_loss(fake)
        k = tf.convert_to_tensor(self.k_t)
        mean_real, mean_fake = global_mean(loss_real), global_mean(loss_fake)
        # Consumed by after_discriminator_update (the controller acts only
        # after a D update; test_step/evaluate leaves k_t alone).
        self._pending_k_inputs.put((mean_real, mean_fake))
        return {
            "d_loss": loss_real - k * loss_fake,
            "d_real": loss_real,
            "d_fake": loss_fake,
            "m_global": mean_real + tf.abs(self.gamma * mean_real - mean_fake),
            "k_t": k,
        }

    def compute_generator_loss(self, fake, labels=None, real=None):
        return {"g_loss": self.reconstruction_loss(fake)}

    def after_discriminator_update(self):
        pending = self._pending_k_inputs.pop()
        if pending is None:
            return
        mean_real, mean_fake = pending
        balance = self.gamma * mean_real - mean_fake
        new_k = tf.clip_by_value(tf.convert_to_tensor(self.k_t) + self.lambda_k * balance,
                                 0.0, 1.0)
        assign_variables([self.k_t], [new_k])


