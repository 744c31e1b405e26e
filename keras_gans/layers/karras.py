"""Discriminator blocks and equalized-layer factories of the Karras family.

ProGAN, StyleGAN and StyleGAN2 (and the converted NVIDIA networks) build their
discriminators from these: `KarrasDownBlock` (conv 3x3, conv 3x3, 2x down) and
`DiscriminatorEpilogue` (minibatch stddev, conv, dense, dense(1), optionally
projecting on a class embedding). Two gain conventions exist for the sqrt(2) He
gain of leaky ReLU layers (see `keras_gans.layers.equalized`): ProGAN/StyleGAN
put it on the weights (`convention="progan"`), StyleGAN2 after the activation
(`convention="stylegan2"`); `gains`, `equalized_conv` and `equalized_dense`
place it.

Example:

>>> block = KarrasDownBlock(8, 16)
>>> tuple(block(np.zeros((2, 8, 8, 4), "float32")).shape)
(2, 4, 4, 16)
"""

import math

import keras
import tensorflow as tf

from keras_gans.layers.equalized import SQRT2, BiasActivation, EqualizedConv2D, EqualizedDense
from keras_gans.layers.filters import blur_2d, downsample_2d
from keras_gans.layers.minibatch_std import ConsecutiveMinibatchStd, MinibatchStandardDeviation


def gains(convention, activation="lrelu"):
    """`(weight gain, activation gain)` of a layer under a gain convention."""
    if activation in (None, "linear"):
        return 1.0, 1.0
    if convention == "progan":
        return SQRT2, 1.0
    if convention == "stylegan2":
        return 1.0, SQRT2
    raise ValueError(f"convention must be 'progan' or 'stylegan2'; got {convention!r}.")


def equalized_conv(filters, kernel_size, convention, activation="lrelu", **kwargs):
    """An `EqualizedConv2D` with the He gain placed by `convention`."""
    gain, act_gain = gains(convention, activation)
    return EqualizedConv2D(filters, kernel_size, gain=gain, activation=activation,
                           activation_gain=act_gain, **kwargs)


def equalized_dense(units, convention, activation="lrelu", **kwargs):
    """An `EqualizedDense` with the He gain placed by `convention`."""
    gain, act_gain = gains(convention, activation)
    return EqualizedDense(units, gain=gain, activation=activation,
                          activation_gain=act_gain, **kwargs)


# ---------------------------------------------------- discriminator blocks
@keras.saving.register_keras_serializable(package="keras_gans")
class KarrasDownBlock(keras.layers.Layer):
    """ProGAN / StyleGAN discriminator block: conv 3x3, conv 3x3, 2x down.

    ProGAN (Karras et al. 2018, table 2): conv -> lrelu -> conv -> lrelu ->
    2x2 average pooling. StyleGAN (2019, appendix C) low-pass filters before
    downsampling ("bilinear" resampling): conv -> lrelu -> blur -> conv ->
    average pooling -> bias -> lrelu, with `blur_kernel=(1, 2, 1)`.

    Args:
        filters0: channels of the first conv (this resolution's width).
        filters1: channels of the second conv (the next resolution's width).
        blur_kernel: None (ProGAN) or FIR taps applied before downsampling.
    """

    def __init__(self, filters0, filters1, blur_kernel=None, **kwargs):
        super().__init__(**kwargs)
        self.filters0 = int(filters0)
        self.filters1 = int(filters1)
        self.blur_kernel = None if blur_kernel is None else tuple(float(v) for v in blur_kernel)
        self.conv0 = equalized_conv(self.filters0, 3, "progan", name="conv0")
        if self.blur_kernel is None:
            self.conv1 = equalized_conv(self.filters1, 3, "progan", name="conv1")
            self.bias1 = None
        else:
            # The bias and activation follow the pooling (StyleGAN's order).
            self.conv1 = EqualizedConv2D(self.filters1, 3, use_bias=False, name="conv1")
            self.bias1 = BiasActivation(activation="lrelu", name="conv1_bias")

    def build(self, input_shape):
        _, h, w, c = input_shape
        self.conv0.build((None, h, w, c))
        self.conv1.build((None, h, w, self.filters0))
        if self.bias1 is not None:
            self.bias1.build((None, None, None, self.filters1))

    def call(self, x):
        x = self.conv0(x)
        if self.blur_kernel is None:
            return downsample_2d(self.conv1(x), kernel=None)
        x = self.conv1(blur_2d(x, self.blur_kernel))
        return self.bias1(downsample_2d(x, kernel=None))

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        half = (lambda n: None if n is None else n // 2)
        return (b, half(h), half(w), self.filters1)

    def get_config(self):
        return {**super().get_config(), "filters0": self.filters0, "filters1": self.filters1,
                "blur_kernel": None if self.blur_kernel is None else list(self.blur_kernel)}


@keras.saving.register_keras_serializable(package="keras_gans")
class DiscriminatorEpilogue(keras.layers.Layer):
    """The 4x4 head of the Karras discriminators: minibatch stddev -> conv 3x3
    -> dense -> dense(1).

    ProGAN table 2 (and StyleGAN, StyleGAN2): the minibatch standard
    deviation (group 4, one feature map), a 3x3 conv and a 4x4 -> 1 layer (a
    dense layer on the flattened map), each with leaky ReLU, then a linear
    output with gain 1.

    Args:
        filters: channels of the conv and the hidden dense layer.
        mbstd_group_size, mbstd_num_features: see `MinibatchStandardDeviation`
            (a group size of 0 disables the layer).
        convention: "progan" or "stylegan2" gain placement.
        mbstd_grouping: "consecutive" (groups of consecutive samples,
            `ConsecutiveMinibatchStd`: independent of how a global batch is
            split over replicas; the default for models trained here) or
            "strided" (the official code's `[G, N / G]` reshape: sample `n`
            in group `n mod (N / G)`, needed to reproduce official weights'
            logits).
        conv_clamp: optional clip of the conv's output (StyleGAN2-ADA).
        cmap_dim: 0, or the size of the projection vector of a conditional
            discriminator (StyleGAN2-ADA): the output layer then has
            `cmap_dim` units and the logit is `sum(out * cmap) /
            sqrt(cmap_dim)`; call the layer as `layer([x, cmap])`.
    """

    def __init__(self, filters, mbstd_group_size=4, mbstd_num_features=1, convention="progan",
                 mbstd_grouping="consecutive", conv_clamp=None, cmap_dim=0, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.mbstd_group_size = int(mbstd_group_size)
        self.mbstd_num_features = int(mbstd_num_features)
        self.convention = convention
        if mbstd_grouping not in ("consecutive", "strided"):
            raise ValueError(f"mbstd_grouping must be 'consecutive' or 'strided'; got "
                             f"{mbstd_grouping!r}.")
        self.mbstd_grouping = mbstd_grouping
        self.conv_clamp = None if conv_clamp is None else float(conv_clamp)
        self.cmap_dim = int(cmap_dim)
        mbstd_class = (ConsecutiveMinibatchStd if mbstd_grouping == "consecutive"
                       else MinibatchStandardDeviation)
        self.mbstd = (mbstd_class(self.mbstd_group_size, self.mbstd_num_features, name="mbstd")
                      if self.mbstd_group_size > 0 and self.mbstd_num_features > 0 else None)
        self.conv = equalized_conv(self.filters, 3, convention, clamp=self.conv_clamp,
                                   name="conv")
        self.dense = equalized_dense(self.filters, convention, name="dense")
        self.out = EqualizedDense(max(self.cmap_dim, 1), gain=1.0, name="out")

    def build(self, input_shape):
        if self.cmap_dim > 0:
            input_shape = input_shape[0]
        _, h, w, c = input_shape
        extra = self.mbstd_num_features if self.mbstd is not None else 0
        if self.mbstd is not None:
            self.mbstd.build((None, h, w, c))
        self.conv.build((None, h, w, c + extra))
        self.dense.build((None, h * w * self.filters))
        self.out.build((None, self.filters))

    def call(self, inputs):
        x, cmap = (inputs, None) if self.cmap_dim == 0 else inputs
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.conv(x)
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        x = self.out(self.dense(x))
        if cmap is not None:
            # Projection on the mapped label (Miyato & Koyama 2018, as in
            # StyleGAN2-ADA): one logit per sample.
            x = tf.reduce_sum(x * tf.cast(cmap, x.dtype), axis=1, keepdims=True)
            x = x * tf.constant(1.0 / math.sqrt(self.cmap_dim), x.dtype)
        return x

    def compute_output_shape(self, input_shape):
        if self.cmap_dim > 0:
            input_shape = input_shape[0]
        return (input_shape[0], 1)

    def get_config(self):
        config = {**super().get_config(), "filters": self.filters,
                  "mbstd_group_size": self.mbstd_group_size,
                  "mbstd_num_features": self.mbstd_num_features, "convention": self.convention}
        # Written only when set: configs saved before these options existed
        # stay identical.
        if self.mbstd_grouping != "consecutive":
            config["mbstd_grouping"] = self.mbstd_grouping
        if self.conv_clamp is not None:
            config["conv_clamp"] = self.conv_clamp
        if self.cmap_dim:
            config["cmap_dim"] = self.cmap_dim
        return config
