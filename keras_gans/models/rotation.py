"""Self-supervised GAN with an auxiliary rotation loss (Chen, Zhai, Ritter,
Lucic & Houlsby 2019, "Self-Supervised GANs via Auxiliary Rotation Loss",
CVPR 2019, arXiv:1811.11212).

D gets a second, 4-way head Q_D that predicts by how much an image was
rotated (0, 90, 180, 270 degrees), from the same features as the source
logit. With V(G, D) the adversarial value and x^r an image rotated by r
(the paper's Eq. 1):

    L_G = -V(G, D) - alpha E_{x ~ P_G} E_r [log Q_D(R = r | x^r)]
    L_D =  V(G, D) - beta  E_{x ~ P_data} E_r [log Q_D(R = r | x^r)]

D learns the rotation task on REAL images only (so it keeps learning useful
features while the fake distribution moves: the paper's remedy for
discriminator forgetting); G is rewarded when its images' rotations are
recognizable by D. Defaults: alpha = 0.2, beta = 1.0 (the paper's values;
compare_gan's `weight_rotation_loss_g/d`), the non-saturating loss and a
spectrally normalized D without BatchNorm.

Rotations are `tf.image.rot90` (counter-clockwise, like `np.rot90`) of
every image of the batch by k = 0, 1, 2, 3 quarter turns; the rotation
target of a copy is its k. (compare_gan rotates a subset of the batch to
save compute; here every image, so the rotation loss is per example.) The
source logit of the real batch is taken from the k = 0 copies of the same
forward pass. Logged: `d_rot`, `g_rot` (cross-entropies averaged over the
four rotations) and `d_rot_acc` (D's rotation accuracy on real images).
"""

import tensorflow as tf

from keras_gans.models.acgan import build_two_head_discriminator, class_accuracy, class_cross_entropy
from keras_gans.models.architectures import ConfigurableGAN, build_networks
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, non_negative

NUM_ROTATIONS = 4


def rotate_batch(images):
    """All four rotations of a batch, with their rotation targets.

    Args:
        images: [B, H, H, C] (square images).

    Returns:
        `(rotated, targets)`: rotated [4B, H, H, C], where rows k*B .. k*B+B-1
        are the batch rotated counter-clockwise by k * 90 degrees
        (`tf.image.rot90(images, k)`), and targets [4B] int32 holding that k.

    Example:

    >>> x = np.arange(4.0).reshape(1, 2, 2, 1)
    >>> rotated, targets = rotate_batch(x)
    >>> targets.numpy().tolist()
    [0, 1, 2, 3]
    >>> rotated[1, ..., 0].numpy().tolist()  # np.rot90(x[0, ..., 0], 1)
    [[1.0, 3.0], [0.0, 2.0]]
    """
    images = tf.convert_to_tensor(images)
    rotated = tf.concat([tf.image.rot90(images, k) for k in range(NUM_ROTATIONS)], axis=0)
    batch = tf.shape(images)[0]
    targets = tf.repeat(tf.range(NUM_ROTATIONS, dtype=tf.int32), batch)
    return rotated, targets


def per_image_rotation_terms(rotation_logits, targets, batch):
    """(cross-entropy, accuracy) of each original image, averaged over its 4 copies: [batch]."""
    ce = tf.reshape(class_cross_entropy(targets, rotation_logits), [NUM_ROTATIONS, batch])
    acc = tf.reshape(class_accuracy(targets, rotation_logits), [NUM_ROTATIONS, batch])
    return tf.reduce_mean(ce, axis=0), tf.reduce_mean(acc, axis=0)


@register_family("self_supervised_gan")
class SelfSupervisedGAN(ConfigurableGAN):
    """GAN whose discriminator also predicts image rotations (Chen et al. 2019).

    Args:
        data_shape: (H, H, C) square images.
        latent_dim, architecture, width, generator_options,
            discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`; D options default to
            `{"spectral_norm": True, "normalization": "none"}`.

    `compile` takes `rotation_weight_g` (alpha, default 0.2) and
    `rotation_weight_d` (beta, default 1.0); default loss "non_saturating".

    Example:

    >>> gan = SelfSupervisedGAN(data_shape=(8, 8, 1), latent_dim=4, width=4)
    >>> gan.compile()
    >>> (gan.rotation_weight_g, gan.rotation_weight_d)
    (0.2, 1.0)
    """

    default_architecture = "dcgan"
    default_discriminator_options = {"dcgan": {"spectral_norm": True, "normalization": "none"}}

    example_config = {"data_shape": (8, 8, 1), "latent_dim": 4, "width": 4, "ema_decay": 0.5}

    def __init__(self, data_shape=(28, 28, 1), latent_dim=128, architecture=None, width=64,
                 generator_options=None, discriminator_options=None, ema_decay=None, seed=0,
                 **kwargs):
        data_shape = tuple(int(s) for s in data_shape)
        if len(data_shape) != 3 or data_shape[0] != data_shape[1]:
            raise ValueError(
                f"Rotation prediction needs square images (H, H, C); got data_shape {data_shape}."
            )
        super().__init__(data_shape=data_shape, latent_dim=latent_dim,
                         architecture=architecture, width=width,
                         generator_options=generator_options,
                         discriminator_options=discriminator_options,
                         ema_decay=ema_decay, seed=seed, **kwargs)
        self.rotation_weight_g = 0.2
        self.rotation_weight_d = 1.0

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        generator, _ = build_networks(architecture, data_shape, latent_dim, width, g_opts, {})
        discriminator = build_two_head_discriminator(
            architecture, data_shape, width, (1, NUM_ROTATIONS), d_opts,
            head_names=("source", "rotation"))
        return generator, discriminator

    options = (
        Option("rotation_weight_g", 0.2, "alpha: weight of the rotation loss in g_loss",
               check=non_negative),
        Option("rotation_weight_d", 1.0, "beta: weight of the rotation loss in d_loss",
               check=non_negative),
    )

    def extra_metric_names(self):
        return ("d_rot", "g_rot", "d_rot_acc")

    def _source_and_rotation_terms(self, images):
        """Source logits of `images` and their per-image rotation (CE, accuracy)."""
        batch = tf.shape(images)[0]
        rotated, targets = rotate_batch(images)
        source, rotation_logits = self.discriminate(rotated, training=True)
        ce, acc = per_image_rotation_terms(rotation_logits, targets, batch)
        return source[:batch], ce, acc  # the k = 0 copies are the images themselves

    def compute_discriminator_loss(self, real, fake, labels=None):
        real_source, d_rot, d_rot_acc = self._source_and_rotation_terms(real)
        fake_source, _ = self.discriminate(fake, training=True)
        adversarial = self.adversarial_loss.discriminator_loss(real_source, fake_source)
        return {
            "d_loss": adversarial + self.rotation_weight_d * d_rot,
            "d_rot": d_rot,
            "d_rot_acc": d_rot_acc,
            "d_real": self.d_output_for_log(real_source),
            "d_fake": self.d_output_for_log(fake_source),
        }

    def compute_generator_loss(self, fake, labels=None, real=None):
        fake_source, g_rot, _ = self._source_and_rotation_terms(fake)
        return {"g_loss": self.adversarial_loss.generator_loss(fake_source)
                + self.rotation_weight_g * g_rot,
                "g_rot": g_rot}

