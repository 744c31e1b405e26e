"""DCGAN (Radford, Metz & Chintala 2016, "Unsupervised Representation Learning
with Deep Convolutional Generative Adversarial Networks", arXiv:1511.06434).

The paper's architecture guidelines, followed here:
* strided convolutions in D and fractionally-strided convolutions in G, no
  pooling;
* BatchNorm in both networks, except on D's input layer and G's output layer;
* ReLU in G with a tanh output, LeakyReLU(0.2) in D;
* no hidden fully-connected layers (G's first layer is the paper's "project
  and reshape" matrix multiplication; D's last is a single logit).

Training defaults from the paper: Adam(2e-4, beta_1=0.5), batch 128, weights
from N(0, 0.02).
"""

import keras

from keras_gans.layers import batch_norm
from keras_gans.models.base import GAN
from keras_gans.models.registry import register_family



def dcgan_initializer():
    """N(0, 0.02), the DCGAN paper's weight initialization, as a new instance.

    Example:

    >>> dcgan_initializer().stddev
    0.02
    """
    # A new initializer per layer, created when the model is built: an
    # unseeded Keras initializer draws its seed when constructed, so a
    # module-level instance would give every same-shaped layer the same
    # weights and ignore keras.utils.set_random_seed.
    return keras.initializers.RandomNormal(stddev=0.02)


def base_resolution(resolution):
    """(start size, number of 2x stages): 28 -> (7, 2), 32 -> (4, 3), 64 -> (4, 4)."""
    size, stages = int(resolution), 0
    while size % 2 == 0 and size > 7:
        size //= 2
        stages += 1
    if stages == 0 or size not in (4, 7):
        raise ValueError(
            f"DCGAN resolution must be 4 or 7 times a power of two (e.g. 28, 32, 64); "
            f"got {resolution}."
        )
    return size, stages


def upsample_layer(filters, kernel_size, fast, name, use_bias=False):
    """A stride-2 "same" transposed convolution with DCGAN's initialization.

    `fast=True` computes it exactly as a stride-1 convolution with 4x the
    channels followed by depth_to_space (`SubPixelConv2DTranspose`), which runs
    about twice as fast as `Conv2DTranspose` on this CPU.
    """
    if fast:
        from keras_gans.layers.resampling import SubPixelConv2DTranspose

        return SubPixelConv2DTranspose(filters, kernel_size, strides=2, padding="same",
                                       use_bias=use_bias, kernel_initializer=dcgan_initializer(),
                                       name=name)
    return keras.layers.Conv2DTranspose(filters, kernel_size, strides=2, padding="same",
                                        use_bias=use_bias, kernel_initializer=dcgan_initializer(),
                                        name=name)


def _batch_norm(name, fused=True):
    # synchronized=True: under tf.distribute, batch statistics are computed
    # over the global batch; unsynchronized replicas drift apart.
    # On one replica the training step is one fused kernel (measured 1.10x
    # fp32, 1.23x bf16 for the whole DCGAN step): keras_gans.layers.batch_norm.
    # fused=False: Keras's own layer (same math), for comparisons.
    layer = batch_norm.BatchNormalization if fused else keras.layers.BatchNormalization
    return layer(momentum=0.9, epsilon=1e-5, synchronized=True, name=name)


def build_dcgan_generator(resolution=28, channels=1, latent_dim=100, width=64,
                          kernel_size=5, fast_upsampling=True, fused_batch_norm=True,
                          name="generator"):
    """The DCGAN generator: z -> project/reshape -> [up-conv, BN, ReLU]* -> tanh.

    Channels halve at every 2x stage and end at `width` before the output
    layer (the paper's 64x64 model is `width=128`: 1024-512-256-128).
    `fast_upsampling=False` and `fused_batch_norm=False` build the same
    network from Keras's stock `Conv2DTranspose` and `BatchNormalization`.

    Example:

    >>> g = build_dcgan_generator(28, latent_dim=8, width=4)
    >>> tuple(g.output.shape)
    (None, 28, 28, 1)
    """
    size, stages = base_resolution(resolution)
    z = keras.Input((latent_dim,), name="z")
    top = width * 2 ** (stages - 1)
    x = keras.layers.Dense(size * size * top, use_bias=False, kernel_initializer=dcgan_initializer(),
                           name="project")(z)
    x = keras.layers.Reshape((size, size, top), name="reshape")(x)
    x = _batch_norm("project_bn", fused_batch_norm)(x)
    x = keras.layers.ReLU(name="project_relu")(x)
    for i in range(stages - 1):
        filters = top // 2 ** (i + 1)
        x = upsample_layer(filters, kernel_size, fast_upsampling, f"up{i}")(x)
        x = _batch_norm(f"up{i}_bn", fused_batch_norm)(x)
        x = keras.layers.ReLU(name=f"up{i}_relu")(x)
    x = upsample_layer(channels, kernel_size, fast_upsampling, "to_image", use_bias=True)(x)
    images = keras.layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(z, images, name=name)


def _normalization(kind, name, fused_batch_norm=True):
    if kind == "batch":
        return _batch_norm(name, fused_batch_norm)
    if kind == "layer":
        return keras.layers.LayerNormalization(epsilon=1e-5, name=name)
    if kind in (None, "none"):
        return None
    raise ValueError(f"normalization must be 'batch', 'layer' or 'none'; got {kind!r}.")


def build_dcgan_discriminator(resolution=28, channels=1, width=64, kernel_size=5,
                              normalization="batch", spectral_norm=False,
                              fused_batch_norm=True, name="discriminator"):
    """The DCGAN discriminator: [strided conv, (norm), LeakyReLU(0.2)]* -> logit.

    Args:
        normalization: "batch" (the paper), "layer" or "none". Critics with a
            per-example gradient penalty must not use BatchNorm, which mixes
            the examples of a batch (Gulrajani et al. 2017 use layer norm).
        spectral_norm: wrap every conv and the output layer in
            `keras.layers.SpectralNormalization` (Miyato et al. 2018).
        fused_batch_norm: `keras_gans.layers.BatchNormalization` (one fused
            kernel; default) or Keras's own (same math, unfused).

    Example:

    >>> d = build_dcgan_discriminator(28, width=4)
    >>> tuple(d.output.shape)
    (None, 1)
    """
    _, stages = base_resolution(resolution)

    def wrap(layer):
        return keras.layers.SpectralNormalization(layer, name=layer.name + "_sn") \
            if spectral_norm else layer

    images = keras.Input((resolution, resolution, channels), name="images")
    x = images
    for i in range(stages):
        norm = None if i == 0 else _normalization(normalization, f"down{i}_bn", fused_batch_norm)
        x = wrap(keras.layers.Conv2D(width * 2 ** i, kernel_size, strides=2, padding="same",
                                     use_bias=norm is None, kernel_initializer=dcgan_initializer(),
                                     name=f"down{i}"))(x)
        if norm is not None:  # no normalization on D's input layer
            x = norm(x)
        x = keras.layers.LeakyReLU(0.2, name=f"down{i}_lrelu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    logits = wrap(keras.layers.Dense(1, kernel_initializer=dcgan_initializer(), dtype="float32",
                                     name="logit"))(x)
    return keras.Model(images, logits, name=name)


@register_family("dcgan")
class DCGAN(GAN):
    """Deep convolutional GAN (Radford et al. 2016).

    Args:
        resolution: 28, 32, 64 (any 4 or 7 times a power of two).
        channels: image channels.
        latent_dim: size of z (the paper: 100).
        width: channels of G's last hidden layer and D's first layer.
        kernel_size: convolution size (the paper's code: 5).
        fast_upsampling: compute G's fractionally-strided convolutions as a
            stride-1 convolution plus depth_to_space (exactly the same
            function, about twice as fast on CPU; weights are interchangeable
            with `keras.layers.Conv2DTranspose`).
        ema_decay, seed: see `GAN`.

    Example:

    >>> gan = DCGAN(resolution=28, width=8)
    >>> gan.compile(loss="non_saturating")
    >>> gan.sample(4, seed=0).shape
    (4, 28, 28, 1)
    """

    example_config = {"resolution": 28, "width": 4, "latent_dim": 8, "ema_decay": 0.5}

    def __init__(self, resolution=28, channels=1, latent_dim=100, width=64, kernel_size=5,
                 fast_upsampling=True, ema_decay=None, seed=0, **kwargs):
        self.resolution = int(resolution)
        self.channels = int(channels)
        self.width = int(width)
        self.kernel_size = int(kernel_size)
        self.fast_upsampling = bool(fast_upsampling)
        generator = build_dcgan_generator(resolution, channels, latent_dim, width,
                                          kernel_size, fast_upsampling)
        discriminator = build_dcgan_discriminator(resolution, channels, width, kernel_size)
        super().__init__(generator, discriminator, latent_dim=latent_dim,
                         ema_decay=ema_decay, seed=seed, **kwargs)

    def architecture_config(self):
        return {"resolution": self.resolution, "channels": self.channels,
                "latent_dim": self.latent_dim, "width": self.width,
                "kernel_size": self.kernel_size, "fast_upsampling": self.fast_upsampling}
