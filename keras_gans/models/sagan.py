"""SAGAN (Zhang, Goodfellow, Metaxas & Odena 2019, "Self-Attention Generative
Adversarial Networks", ICML 2019, arXiv:1805.08318).

* ResNet generator and discriminator (the blocks of Miyato & Koyama 2018 and
  BigGAN's 32x32 layout): G block = CBN, ReLU, 2x nearest upsampling, 3x3
  conv, CBN, ReLU, 3x3 conv, plus an upsampled 1x1-conv shortcut; D block =
  (ReLU,) 3x3 conv, ReLU, 3x3 conv, 2x2 average pooling, plus a 1x1-conv,
  pooled shortcut.
* A self-attention block (`keras_gans.layers.SelfAttention2D`: 1x1 spectrally
  normalized query/key with C/8 channels, value C/2, 2x2 max-pooled keys and
  values, softmax over the keys, output conv back to C, gamma = 0 at
  initialization) at `attention_resolution` in G and in D.
* Spectral normalization on every conv and dense layer of G and D
  (`keras.layers.SpectralNormalization`), class-conditional batch norm in G
  (`keras_gans.layers.ConditionalBatchNormalization`, per-class gamma and
  beta), a projection discriminator with global sum pooling
  (`keras_gans.layers.ProjectionOutput`).
* Hinge loss, TTUR: Adam(4e-4) for D and Adam(1e-4) for G, beta_1 = 0,
  beta_2 = 0.9, one D step per G step.

The block builders here are public: BigGAN (`keras_gans.models.biggan`) uses
them with its own conditional normalization.
"""

import keras

from keras_gans.layers.attention import SelfAttention2D
from keras_gans.layers.conditional import ConditionalBatchNormalization, ProjectionOutput
from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.conditioning import check_num_classes
from keras_gans.models.conditioning import GlobalSumPooling2D, label_input
from keras_gans.losses import adversarial
from keras_gans.models.options import Option, positive_int
from keras_gans.models.registry import register_family


def spectral(layer, enabled=True):
    """`layer` wrapped in `keras.layers.SpectralNormalization` (when enabled)."""
    if not enabled:
        return layer
    return keras.layers.SpectralNormalization(layer, name=layer.name + "_sn")


def conv(filters, kernel_size, name, spectral_norm=True, use_bias=True):
    return spectral(keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=use_bias,
                                        kernel_initializer=keras.initializers.Orthogonal(),
                                        name=name), spectral_norm)


def resnet_stages(resolution):
    """Number of 2x stages from 4x4 to `resolution` (a power of two >= 8)."""
    resolution = int(resolution)
    stages, size = 0, resolution
    while size > 4 and size % 2 == 0:
        size //= 2
        stages += 1
    if size != 4 or stages == 0:
        raise ValueError(
            f"resolution must be 4 times a power of two, at least 8 (8, 16, 32, 64, ...); got "
            f"{resolution}. Pad the images (Fashion-MNIST: 28 -> 32).")
    return stages


def channels_at(size, resolution, width):
    """Feature channels at `size`: width * min(4, resolution // size) (w at full size)."""
    return int(width) * min(4, int(resolution) // int(size))


def check_attention_resolution(attention_resolution, resolution):
    if attention_resolution is None:
        return None
    r = int(attention_resolution)
    # G's blocks output 8 ... resolution, D's resolution / 2 ... 4; the block
    # goes into each network that has a feature map of that size.
    valid = [4 * 2 ** i for i in range(resnet_stages(resolution) + 1)]
    if r not in valid:
        raise ValueError(
            f"attention_resolution must be one of {valid} (a feature-map size of G or D) or "
            f"None; got {attention_resolution}.")
    return r


def generator_block(x, condition, filters, norm, name, spectral_norm=True):
    """A BigGAN/SAGAN up block; `norm(name)` returns a conditional-norm layer called on [h, condition].

    The convolutions have no bias: each feeds a batch norm, which removes it
    (and the gradient of such a bias is zero up to rounding, which Adam would
    turn into full-size random steps that differ between 1 and N replicas).
    """
    h = norm(name + "_norm1")([x, condition])
    h = keras.layers.ReLU(name=name + "_relu1")(h)
    h = keras.layers.UpSampling2D(2, name=name + "_up")(h)
    h = conv(filters, 3, name + "_conv1", spectral_norm, use_bias=False)(h)
    h = norm(name + "_norm2")([h, condition])
    h = keras.layers.ReLU(name=name + "_relu2")(h)
    h = conv(filters, 3, name + "_conv2", spectral_norm, use_bias=False)(h)
    skip = keras.layers.UpSampling2D(2, name=name + "_skip_up")(x)
    skip = conv(filters, 1, name + "_skip", spectral_norm, use_bias=False)(skip)
    return keras.layers.Add(name=name)([h, skip])


def discriminator_block(x, filters, name, first=False, spectral_norm=True):
    """A down block; the first one skips the leading ReLU (its input is the image)."""
    h = x if first else keras.layers.ReLU(name=name + "_relu0")(x)
    h = conv(filters, 3, name + "_conv1", spectral_norm)(h)
    h = keras.layers.ReLU(name=name + "_relu1")(h)
    h = conv(filters, 3, name + "_conv2", spectral_norm)(h)
    h = keras.layers.AveragePooling2D(2, name=name + "_pool")(h)
    skip = x
    if first:  # the image: pool first, then project (BigGAN's preactivation=False)
        skip = keras.layers.AveragePooling2D(2, name=name + "_skip_pool")(skip)
        skip = conv(filters, 1, name + "_skip", spectral_norm)(skip)
    else:
        skip = conv(filters, 1, name + "_skip", spectral_norm)(skip)
        skip = keras.layers.AveragePooling2D(2, name=name + "_skip_pool")(skip)
    return keras.layers.Add(name=name)([h, skip])


def generator_output(x, channels, spectral_norm=True):
    """BN, ReLU, 3x3 conv to the image channels, tanh."""
    h = keras.layers.BatchNormalization(synchronized=True, momentum=0.9, epsilon=1e-5,
                                        name="out_bn")(x)
    h = keras.layers.ReLU(name="out_relu")(h)
    h = conv(channels, 3, "to_image", spectral_norm)(h)
    return keras.layers.Activation("tanh", dtype="float32", name="images")(h)


def build_resnet_discriminator(resolution, channels, width, num_classes, attention_resolution,
                               spectral_norm=True, name="discriminator"):
    """The projection D([x, y]) of SAGAN and BigGAN: down blocks to 4x4, ReLU,
    global sum pooling, f = psi(phi) + V[y] . phi.

    Example:

    >>> d = build_resnet_discriminator(8, 1, 8, num_classes=3, attention_resolution=4)
    >>> tuple(d.output.shape)
    (None, 1)
    """
    stages = resnet_stages(resolution)
    images = keras.Input((resolution, resolution, channels), name="images")
    labels = label_input()
    x = images
    size = resolution
    for i in range(stages):
        size //= 2
        x = discriminator_block(x, channels_at(size, resolution, width), f"down{i}",
                                first=(i == 0), spectral_norm=spectral_norm)
        if attention_resolution == size:
            x = SelfAttention2D(spectral_norm=spectral_norm, name=f"attention{size}")(x)
    x = keras.layers.ReLU(name="features_relu")(x)
    features = GlobalSumPooling2D(name="global_sum_pool")(x)
    logits = ProjectionOutput(num_classes, spectral_norm=spectral_norm, dtype="float32",
                              name="projection")([features, labels])
    return keras.Model([images, labels], logits, name=name)


def build_sagan_generator(resolution, channels, latent_dim, width, num_classes,
                          attention_resolution, spectral_norm=True, name="generator"):
    """G([z, y]): SN dense to 4x4, up blocks with class-conditional BN, attention, output.

    Example:

    >>> g = build_sagan_generator(8, 1, 4, 8, num_classes=3, attention_resolution=8)
    >>> tuple(g.output.shape)
    (None, 8, 8, 1)
    """
    stages = resnet_stages(resolution)
    z = keras.Input((latent_dim,), name="z")
    labels = label_input()
    top = channels_at(4, resolution, width)
    x = spectral(keras.layers.Dense(4 * 4 * top, use_bias=False,  # a BN follows
                                    kernel_initializer=keras.initializers.Orthogonal(),
                                    name="project"), spectral_norm)(z)
    x = keras.layers.Reshape((4, 4, top), name="reshape")(x)

    def norm(layer_name):
        return ConditionalBatchNormalization(num_classes, momentum=0.9, epsilon=1e-5,
                                             name=layer_name)

    size = 4
    for i in range(stages):
        size *= 2
        x = generator_block(x, labels, channels_at(size, resolution, width), norm, f"up{i}",
                            spectral_norm)
        if attention_resolution == size:
            x = SelfAttention2D(spectral_norm=spectral_norm, name=f"attention{size}")(x)
    return keras.Model([z, labels], generator_output(x, channels, spectral_norm), name=name)


@register_family("sagan")
class SAGAN(ConfigurableGAN):
    """Class-conditional self-attention GAN (Zhang et al. 2019).

    Args:
        resolution: image size (8, 16, 32, 64, ...; 4 times a power of two).
        channels: image channels.
        latent_dim: size of z (the paper: 128).
        width: channels at full resolution (x2 per halving, at most x4);
            a multiple of 8 (the attention's query has C/8 channels).
        num_classes: number of classes K.
        attention_resolution: feature-map size of the attention block in G
            and D (the paper: 32 of 128; None: no attention).
        ema_decay, seed: see `keras_gans.models.GAN`.

    `compile` defaults: `loss="hinge"`, `d_steps=1`, TTUR Adam(4e-4) for D,
    Adam(1e-4) for G, beta_1 = 0, beta_2 = 0.9.

    Example:

    >>> gan = SAGAN(resolution=8, latent_dim=4, width=8, num_classes=3)
    >>> gan.compile()
    >>> gan.sample(2, labels=[0, 2]).shape
    (2, 8, 8, 1)
    """

    example_config = {"resolution": 8, "channels": 1, "latent_dim": 4, "width": 8,
                      "num_classes": 3, "attention_resolution": 8, "ema_decay": 0.5}

    def __init__(self, resolution=32, channels=1, latent_dim=128, width=64, num_classes=10,
                 attention_resolution=16, ema_decay=None, seed=0, **kwargs):
        self.num_classes = check_num_classes(num_classes, type(self).__name__)
        self.resolution = int(resolution)
        self.channels = int(channels)
        resnet_stages(self.resolution)
        self.attention_resolution = check_attention_resolution(attention_resolution,
                                                               self.resolution)
        if int(width) % 8:
            raise ValueError(f"width must be a multiple of 8 (attention uses C/8); got {width}.")
        for key in ("data_shape", "architecture", "generator_options", "discriminator_options"):
            kwargs.pop(key, None)  # fixed by resolution/channels; present in old configs
        super().__init__(data_shape=(self.resolution, self.resolution, self.channels),
                         latent_dim=latent_dim, architecture="resnet", width=width,
                         ema_decay=ema_decay, seed=seed, num_classes=self.num_classes, **kwargs)

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        generator = build_sagan_generator(self.resolution, self.channels, latent_dim, width,
                                          self.num_classes, self.attention_resolution)
        discriminator = build_resnet_discriminator(self.resolution, self.channels, width,
                                                   self.num_classes, self.attention_resolution)
        return generator, discriminator

    def architecture_config(self):
        return {"resolution": self.resolution, "channels": self.channels,
                "latent_dim": self.latent_dim, "width": self.width,
                "num_classes": self.num_classes,
                "attention_resolution": self.attention_resolution}

    options = (
        Option("loss", "hinge", "adversarial loss (the paper's hinge)", check=adversarial.get,
               attr="adversarial_loss"),
        Option("d_steps", 1, "D updates per G update (the paper: 1)", check=positive_int),
    )

    def default_optimizers(self):
        # TTUR (Heusel et al. 2017) as in the paper: D 4e-4, G 1e-4.
        return (keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
                keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9))
