"""Networks shared by the translation families (pix2pix, CycleGAN, StarGAN).

* `build_patchgan_discriminator`: Isola et al. 2017's PatchGAN ("70x70"), a
  fully convolutional D that classifies overlapping patches; pix2pix
  conditions it on the input image (channels concatenated), CycleGAN does not.
  Its depth adapts to the resolution (`patchgan_layers_for`).
* `build_resnet_generator`: Johnson et al. 2016's ResNet generator as used by
  CycleGAN (reflect padding, instance norm, 6 or 9 residual blocks) and, with
  zero padding, 4x4 down/up-sampling kernels and a tiled target domain, by
  StarGAN.
* `DomainTiling`: a target domain index as a one-hot map tiled over space
  (StarGAN's generator input).

Instance normalization is Keras's `GroupNormalization(groups=-1)` (one group
per channel: per-sample, per-channel statistics over space) with PyTorch's
`InstanceNorm2d` epsilon 1e-5.

Example:

>>> d = build_patchgan_discriminator(32, channels=1, condition_channels=1, width=8)
>>> [tuple(t.shape) for t in d.inputs]
[(None, 32, 32, 1), (None, 32, 32, 1)]
"""

import math

import keras
import tensorflow as tf

from keras_gans.layers import batch_norm as fused
from keras_gans.layers.padding import ReflectionPadding2D

#: Receptive field (pixels) of a PatchGAN with n stride-2 layers: 16, 34, 70, 142.
def patchgan_receptive_field(n_layers):
    """Receptive field of `build_patchgan_discriminator(n_layers=n)`.

    Two stride-1 4x4 convolutions after `n` stride-2 4x4 ones: r = 7, then
    r <- 2 (r - 1) + 4 per stride-2 layer, walking back to the input.

    Example:

    >>> [patchgan_receptive_field(n) for n in (1, 2, 3)]
    [16, 34, 70]
    """
    r = 7
    for _ in range(int(n_layers)):
        r = 2 * (r - 1) + 4
    return r


def patchgan_layers_for(resolution):
    """Stride-2 layers of the PatchGAN at `resolution`: the paper's 3 (70x70) at
    256 px, fewer when a patch would exceed half the image (16x16 at 32 px)."""
    n = 3
    while n > 1 and patchgan_receptive_field(n) > resolution // 2:
        n -= 1
    return n


def instance_norm(name=None):
    """Instance normalization with learned scale and offset (PyTorch eps 1e-5)."""
    return keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)


def batch_norm(name=None):
    # synchronized=True: under tf.distribute the statistics are the global
    # batch's, so one step on N replicas equals one step on one device.
    # On one replica the training step is one fused kernel
    # (keras_gans.layers.batch_norm).
    return fused.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True, name=name)


def _norm(kind, name):
    if kind == "batch":
        return batch_norm(name)
    if kind == "instance":
        return instance_norm(name)
    if kind in (None, "none"):
        return None
    raise ValueError(f"norm must be 'batch', 'instance' or 'none'; got {kind!r}.")


def check_resolution(resolution, minimum=8):
    """A power of two >= `minimum`, else a one-line error saying so."""
    resolution = int(resolution)
    if resolution < minimum or resolution & (resolution - 1):
        raise ValueError(
            f"resolution must be a power of two >= {minimum}; got {resolution}. Pad or "
            "resize the images (Fashion-MNIST tasks are padded from 28 to 32).")
    return resolution


def conv_init():
    # The reference implementations initialize conv weights from N(0, 0.02).
    return keras.initializers.RandomNormal(0.0, 0.02)


def build_patchgan_discriminator(resolution, channels, condition_channels=0, width=64,
                                 n_layers=None, norm="batch", name="patchgan"):
    """PatchGAN D: logits of shape [batch, h, w, 1], one per overlapping patch.

    C64 - C128 - C256 (stride 2) - C512 (stride 1) - 1-channel conv, 4x4 kernels,
    LeakyReLU(0.2), no norm on the first layer (Isola et al. 2017, 6.1.2).

    Args:
        resolution: image size (square).
        channels: channels of the judged image.
        condition_channels: >0 for a conditional D (pix2pix): a second input
            (the source image) is concatenated on the channel axis.
        width: filters of the first layer (64 in the paper).
        n_layers: stride-2 layers; default `patchgan_layers_for(resolution)`
            (3 = 70x70 receptive field).
        norm: "batch" (pix2pix) or "instance" (CycleGAN).
    """
    n_layers = patchgan_layers_for(resolution) if n_layers is None else int(n_layers)
    if n_layers < 1:
        raise ValueError(f"n_layers must be >= 1; got {n_layers}.")
    image = keras.Input((resolution, resolution, channels), name="image")
    inputs = [image]
    x = image
    if condition_channels:
        condition = keras.Input((resolution, resolution, condition_channels), name="condition")
        inputs = [condition, image]
        x = keras.layers.Concatenate(name="concat_condition")([condition, image])
    for i in range(n_layers + 1):
        stride = 2 if i < n_layers else 1
        filters = width * min(2 ** i, 8)
        x = keras.layers.Conv2D(filters, 4, stride, padding="same", kernel_initializer=conv_init(),
                                use_bias=(i == 0 or norm in (None, "none")),
                                name=f"conv{i}")(x)
        if i > 0:
            layer = _norm(norm, f"norm{i}")
            if layer is not None:
                x = layer(x)
        x = keras.layers.LeakyReLU(0.2, name=f"lrelu{i}")(x)
    logits = keras.layers.Conv2D(1, 4, 1, padding="same", kernel_initializer=conv_init(),
                                 name="logits")(x)
    return keras.Model(inputs if len(inputs) > 1 else image, logits, name=name)


@keras.saving.register_keras_serializable(package="keras_gans")
class DomainTiling(keras.layers.Layer):
    """`[images, domains]` -> images with a one-hot domain map concatenated.

    StarGAN (Choi et al. 2018, section 3.1): "the target domain label is
    spatially replicated and concatenated with the input image".

    Example:

    >>> out = DomainTiling(3)([np.zeros((2, 4, 4, 1), "float32"), np.array([0, 2])])
    >>> out.shape, out[1, 0, 0].numpy().tolist()
    (TensorShape([2, 4, 4, 4]), [0.0, 0.0, 0.0, 1.0])
    """

    def __init__(self, num_domains, **kwargs):
        super().__init__(**kwargs)
        self.num_domains = int(num_domains)

    def call(self, inputs):
        images, domains = inputs
        onehot = tf.one_hot(tf.cast(tf.reshape(domains, [-1]), tf.int32), self.num_domains,
                            dtype=images.dtype)
        shape = tf.shape(images)
        tiled = tf.tile(onehot[:, None, None, :], [1, shape[1], shape[2], 1])
        return tf.concat([images, tiled], axis=-1)

    def compute_output_shape(self, input_shape):
        shape = input_shape[0]
        return tuple(shape[:-1]) + (shape[-1] + self.num_domains,)

    def get_config(self):
        return {**super().get_config(), "num_domains": self.num_domains}


def resnet_blocks_for(resolution):
    """CycleGAN's rule: 6 residual blocks below 256 px, 9 at 256 and above."""
    return 9 if resolution >= 256 else 6


def build_resnet_generator(resolution, channels, out_channels=None, width=64, n_blocks=None,
                           n_downsampling=2, padding="reflect", sample_kernel=3,
                           num_domains=None, name="resnet_generator"):
    """ResNet generator: c7s1-64, d128, d256, R256 x n_blocks, u128, u64, c7s1-C, tanh.

    Args:
        resolution, channels: the input images (square).
        out_channels: output channels (default: `channels`).
        width: filters of the first layer (64).
        n_blocks: residual blocks; default `resnet_blocks_for(resolution)`.
        n_downsampling: stride-2 down (and up) layers (2).
        padding: "reflect" (CycleGAN) or "zero" (StarGAN).
        sample_kernel: kernel of the stride-2 layers: 3 (CycleGAN) or 4 (StarGAN).
        num_domains: when set, the generator takes `[images, target_domain]`
            and the domain is tiled over space (StarGAN).
    """
    if padding not in ("reflect", "zero"):
        raise ValueError(f"padding must be 'reflect' or 'zero'; got {padding!r}.")
    out_channels = channels if out_channels is None else int(out_channels)
    n_blocks = resnet_blocks_for(resolution) if n_blocks is None else int(n_blocks)
    if resolution % (2 ** n_downsampling):
        raise ValueError(f"resolution {resolution} must be divisible by 2**n_downsampling = "
                         f"{2 ** n_downsampling}.")
    image = keras.Input((resolution, resolution, channels), name="images")
    inputs = image
    x = image
    if num_domains:
        domain = keras.Input((), dtype="int32", name="target_domain")
        inputs = [image, domain]
        x = DomainTiling(num_domains, name="tile_domain")([image, domain])

    def conv(x, filters, kernel, stride=1, name=None, bias=True):
        pad = (kernel - 1) // 2 if stride == 1 else 0
        if padding == "reflect" and pad:
            x = ReflectionPadding2D(pad, name=f"{name}_pad")(x)
            return keras.layers.Conv2D(filters, kernel, stride, padding="valid", use_bias=bias,
                                       kernel_initializer=conv_init(), name=name)(x)
        return keras.layers.Conv2D(filters, kernel, stride, padding="same", use_bias=bias,
                                   kernel_initializer=conv_init(), name=name)(x)

    x = conv(x, width, 7, name="stem")
    x = keras.layers.ReLU(name="stem_relu")(instance_norm("stem_norm")(x))
    for i in range(n_downsampling):
        x = conv(x, width * 2 ** (i + 1), sample_kernel, 2, name=f"down{i}")
        x = keras.layers.ReLU(name=f"down{i}_relu")(instance_norm(f"down{i}_norm")(x))
    filters = width * 2 ** n_downsampling
    for b in range(n_blocks):
        h = conv(x, filters, 3, name=f"res{b}_conv0")
        h = keras.layers.ReLU(name=f"res{b}_relu")(instance_norm(f"res{b}_norm0")(h))
        h = conv(h, filters, 3, name=f"res{b}_conv1")
        h = instance_norm(f"res{b}_norm1")(h)
        x = keras.layers.Add(name=f"res{b}_add")([x, h])
    for i in reversed(range(n_downsampling)):
        x = keras.layers.Conv2DTranspose(width * 2 ** i, sample_kernel, 2, padding="same",
                                         kernel_initializer=conv_init(), name=f"up{i}")(x)
        x = keras.layers.ReLU(name=f"up{i}_relu")(instance_norm(f"up{i}_norm")(x))
    x = conv(x, out_channels, 7, name="to_image")
    images = keras.layers.Activation("tanh", name="tanh")(x)
    return keras.Model(inputs, images, name=name)


def stargan_discriminator_layers_for(resolution):
    """StarGAN's D depth: 6 stride-2 layers at 128 px (down to 2x2): log2(res) - 1."""
    return int(math.log2(resolution)) - 1


def build_stargan_discriminator(resolution, channels, num_domains, width=64, n_layers=None,
                                name="stargan_discriminator"):
    """StarGAN D: `images -> [patch logits [b, h, w, 1], domain logits [b, num_domains]]`.

    Conv 4x4 stride 2 with LeakyReLU(0.01), doubling filters, no normalization
    (Choi et al. 2018, appendix: "we do not use instance normalization in the
    discriminator"); a 3x3 real/fake head and a domain head whose kernel spans
    the final feature map.
    """
    n_layers = stargan_discriminator_layers_for(resolution) if n_layers is None else n_layers
    image = keras.Input((resolution, resolution, channels), name="images")
    x = image
    for i in range(n_layers):
        x = keras.layers.Conv2D(width * 2 ** i, 4, 2, padding="same", kernel_initializer=conv_init(),
                                name=f"conv{i}")(x)
        x = keras.layers.LeakyReLU(0.01, name=f"lrelu{i}")(x)
    size = resolution // 2 ** n_layers
    src = keras.layers.Conv2D(1, 3, 1, padding="same", use_bias=False,
                              kernel_initializer=conv_init(), name="src")(x)
    cls = keras.layers.Conv2D(num_domains, size, 1, padding="valid", use_bias=False,
                              kernel_initializer=conv_init(), name="cls")(x)
    cls = keras.layers.Flatten(name="cls_flat")(cls)
    return keras.Model(image, [src, cls], name=name)
