"""SNGAN with a projection discriminator (Miyato & Koyama 2018, "cGANs with
Projection Discriminator", ICLR 2018, arXiv:1802.05637).

* D: features phi(x) from a spectrally normalized network, then the
  projection output f(x, y) = y^T V phi(x) + psi(phi(x))
  (`keras_gans.layers.ProjectionOutput`, V and psi spectrally normalized
  too, as `SNEmbedID`/`SNLinear` in the official code). phi(x) is the global
  SUM pooling of the last feature maps (the paper's ResNet discriminators
  pool by summing after a ReLU; here after the DCGAN critic's LeakyReLU),
  `pooling="flatten"` keeps all positions.
* G: the DCGAN generator (or an MLP) with every batch normalization
  replaced by `keras_gans.layers.ConditionalBatchNormalization`; y enters
  G only through the per-class gamma(y), beta(y) (the paper's generator).
* Loss: hinge (the paper's Eq. 17 form, as in SNGAN);
  Adam(2e-4, beta_1=0, beta_2=0.9) and 5 D updates per G update
  (`d_steps=5`), the paper's optimization settings.

Spectral normalization is `keras.layers.SpectralNormalization`, which in
training mode ASSIGNS W / sigma to the wrapped kernels (see
`keras_gans.models.sngan`): every training-mode call of D, including those
of a generator step, changes D's kernels and singular-vector estimates.
"""

import math
import keras

from keras_gans.layers.conditional import ConditionalBatchNormalization, ProjectionOutput
from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.conditioning import build_feature_extractor, label_input
from keras_gans.models.dcgan import base_resolution, dcgan_initializer, upsample_layer
from keras_gans.models.registry import register_family
from keras_gans.losses import adversarial
from keras_gans.models.options import Option, num_classes, positive_int


def _cbn(num_classes, name):
    # The DCGAN builders' BN settings (momentum 0.9, epsilon 1e-5), synchronized.
    return ConditionalBatchNormalization(num_classes, momentum=0.9, epsilon=1e-5, name=name)


def build_cbn_generator(data_shape, latent_dim, width, num_classes, kernel_size=5,
                        fast_upsampling=True, depth=2, name="generator"):
    """A generator G([z, y]) whose batch norms are conditional on y.

    For images (H, H, C): the DCGAN generator (project and reshape, then
    2x up-convolutions halving the channels, tanh), each BN replaced by a
    conditional BN. For vectors (D,): `depth` x [Dense(width), CBN, ReLU]
    and a linear output.

    Example:

    >>> g = build_cbn_generator((8, 8, 1), latent_dim=4, width=4, num_classes=3)
    >>> tuple(g.output.shape)
    (None, 8, 8, 1)
    """
    data_shape = tuple(int(s) for s in data_shape)
    z = keras.Input((latent_dim,), name="z")
    labels = label_input()
    if len(data_shape) != 3:
        x = z
        for i in range(depth):
            x = keras.layers.Dense(width, use_bias=False, name=f"dense{i}")(x)
            x = _cbn(num_classes, f"dense{i}_cbn")([x, labels])
            x = keras.layers.ReLU(name=f"dense{i}_relu")(x)
        x = keras.layers.Dense(math.prod(data_shape), dtype="float32", name="to_data")(x)
        out = keras.layers.Reshape(data_shape, name="data")(x)
        return keras.Model([z, labels], out, name=name)
    resolution, channels = data_shape[0], data_shape[-1]
    size, stages = base_resolution(resolution)
    top = width * 2 ** (stages - 1)
    x = keras.layers.Dense(size * size * top, use_bias=False, kernel_initializer=dcgan_initializer(),
                           name="project")(z)
    x = keras.layers.Reshape((size, size, top), name="reshape")(x)
    x = _cbn(num_classes, "project_cbn")([x, labels])
    x = keras.layers.ReLU(name="project_relu")(x)
    for i in range(stages - 1):
        x = upsample_layer(top // 2 ** (i + 1), kernel_size, fast_upsampling, f"up{i}")(x)
        x = _cbn(num_classes, f"up{i}_cbn")([x, labels])
        x = keras.layers.ReLU(name=f"up{i}_relu")(x)
    x = upsample_layer(channels, kernel_size, fast_upsampling, "to_image", use_bias=True)(x)
    images = keras.layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model([z, labels], images, name=name)


def build_projection_discriminator(architecture, data_shape, width, num_classes, d_opts=None,
                                   pooling="sum", name="discriminator"):
    """D([x, y]) = ProjectionOutput([phi(x), y]), spectrally normalized by default.

    Example:

    >>> d = build_projection_discriminator("dcgan", (8, 8, 1), 4, num_classes=3)
    >>> tuple(d.output.shape)
    (None, 1)
    """
    d_opts = dict(d_opts or {})
    phi = build_feature_extractor(architecture, data_shape, width, d_opts, pooling=pooling)
    x = keras.Input(tuple(data_shape), name=phi.inputs[0].name)
    labels = label_input()
    logits = ProjectionOutput(num_classes, spectral_norm=bool(d_opts.get("spectral_norm", False)),
                              dtype="float32", name="projection")([phi(x), labels])
    return keras.Model([x, labels], logits, name=name)


@register_family("sngan_projection")
class SNGANProjection(ConfigurableGAN):
    """Conditional SNGAN: projection D, conditional-BN G (Miyato & Koyama 2018).

    Args:
        data_shape, latent_dim, architecture, width, generator_options,
            discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`. D options default to
            `{"spectral_norm": True, "normalization": "none"}`; G options are
            `kernel_size`, `fast_upsampling` (images) or `depth` (vectors).
        num_classes: number of classes K.
        pooling: "sum" (global sum pooling, default) or "flatten": how phi(x)
            is formed from D's last feature maps.

    `compile` defaults: `loss="hinge"`, `d_steps=5`,
    Adam(2e-4, beta_1=0.0, beta_2=0.9).

    Example:

    >>> gan = SNGANProjection(data_shape=(8, 8, 1), latent_dim=4, width=4, num_classes=3)
    >>> gan.compile(d_steps=1)
    >>> gan.sample(2, labels=[0, 2]).shape
    (2, 8, 8, 1)
    """

    default_discriminator_options = {
        "dcgan": {"spectral_norm": True, "normalization": "none"},
        "mlp": {"spectral_norm": True},
    }

    example_config = {"data_shape": (8, 8, 1), "latent_dim": 4, "width": 4, "num_classes": 3,
                      "ema_decay": 0.5}

    default_latent_dim = 128
    constructor_options = (
        Option("num_classes", 10, "number of classes", check=num_classes),
        Option("pooling", "sum", "how D pools its last features: 'sum' (the paper) or 'mean'"),
    )

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        if architecture not in ("dcgan", "mlp"):
            raise ValueError(f"architecture must be 'dcgan' or 'mlp'; got {architecture!r}.")
        generator = build_cbn_generator(data_shape, latent_dim, width, self.num_classes, **g_opts)
        discriminator = build_projection_discriminator(architecture, data_shape, width,
                                                       self.num_classes, d_opts, self.pooling)
        return generator, discriminator


    options = (
        Option("loss", "hinge", "adversarial loss (the paper's hinge)", check=adversarial.get,
               attr="adversarial_loss"),
        Option("d_steps", 5, "critic updates per generator update", check=positive_int),
    )

    def default_optimizers(self):
        return (keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9),
                keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9))
