"""StyleGAN's fused resampling convolutions (Karras et al. 2019, official code).

StyleGAN (v1), like ProGAN's later releases, replaces "nearest 2x upscale,
then a 3x3 convolution" with ONE stride-2 transposed convolution from 128x128
on (`fused_scale='auto'`), and "3x3 convolution, then 2x2 average pooling" in
the discriminator with one stride-2 convolution. Both use a 4x4 kernel made
from the stored 3x3 kernel `w` as the sum of its four one-pixel shifts
(pad `w` by one on every side, add the four corner-aligned 4x4 windows):

    w4[i, j] = w[i, j] + w[i - 1, j] + w[i, j - 1] + w[i - 1, j - 1]

(out-of-range taps are zero); the downsampling kernel is `w4 / 4`.

* Down: a stride-2 "same" correlation with `w4 / 4` equals the 3x3 "same"
  convolution followed by 2x2 average pooling exactly, borders included.
* Up: a stride-2 "same" transposed convolution with `w4` (TensorFlow's
  `conv2d_transpose`, the gradient of a stride-2 correlation) equals nearest
  upsampling followed by a 3x3 correlation with the SPATIALLY FLIPPED `w`.
  Networks trained with the fused layers store kernels in that flipped sense,
  so the two paths are not interchangeable for the same stored weights: an
  official network must be run on the path it was trained with.

The layers hold the stored 3x3 kernel with the equalized learning rate of
`EqualizedConv2D` (runtime scale `gain / sqrt(3 * 3 * in_channels) * lr`,
the fan-in of the 3x3 kernel, as in the official `get_weight`), so official
weights load one to one.
"""

import tensorflow as tf

import keras

from keras_gans.layers.equalized import EqualizedConv2D


def fused_kernel_4tap(weight):
    """`(k, k, in, out)` -> `(k + 1, k + 1, in, out)`: the sum of the 4 one-pixel shifts."""
    w = tf.pad(weight, [[1, 1], [1, 1], [0, 0], [0, 0]])
    return w[1:, 1:] + w[:-1, 1:] + w[1:, :-1] + w[:-1, :-1]


def fused_upsample_conv_2d(x, weight):
    """Nearest 2x upsampling fused with a convolution, as StyleGAN's `upscale2d_conv2d`.

    A stride-2 "same" transposed convolution of NHWC `x` with the 4-tap
    kernel of `weight` `(k, k, in, out)`; output `(batch, 2H, 2W, out)`.

    Example:

    >>> fused_upsample_conv_2d(tf.ones((1, 4, 4, 2)), tf.ones((3, 3, 2, 5))).shape
    TensorShape([1, 8, 8, 5])
    """
    x = tf.convert_to_tensor(x)
    w = tf.transpose(fused_kernel_4tap(tf.cast(weight, x.dtype)), [0, 1, 3, 2])  # [k, k, out, in]
    shape = tf.shape(x)
    height = x.shape[1] if x.shape[1] is not None else shape[1]
    width = x.shape[2] if x.shape[2] is not None else shape[2]
    out_shape = tf.stack([shape[0], height * 2, width * 2, weight.shape[-1]])
    return tf.nn.conv2d_transpose(x, w, out_shape, strides=2, padding="SAME")


def fused_conv_downsample_2d(x, weight):
    """A convolution fused with 2x2 average pooling, as StyleGAN's `conv2d_downscale2d`.

    Example:

    >>> fused_conv_downsample_2d(tf.ones((1, 8, 8, 2)), tf.ones((3, 3, 2, 5))).shape
    TensorShape([1, 4, 4, 5])
    """
    x = tf.convert_to_tensor(x)
    w = fused_kernel_4tap(tf.cast(weight, x.dtype)) * tf.constant(0.25, x.dtype)
    return tf.nn.conv2d(x, w, strides=2, padding="SAME")


class _FusedBase(EqualizedConv2D):
    def __init__(self, filters, kernel_size=3, **kwargs):
        for key in ("up", "down"):
            if int(kwargs.pop(key, 1)) != 1:
                raise ValueError(f"{type(self).__name__} resamples by 2 itself; do not pass "
                                 f"{key}=.")
        super().__init__(filters, kernel_size, **kwargs)
        if self.kernel_size % 2 != 1 or self.padding != "same":
            raise ValueError(f"{type(self).__name__} needs an odd kernel_size and "
                             f"padding='same'; got {kernel_size}, {self.padding!r}.")


@keras.saving.register_keras_serializable(package="keras_gans")
class FusedUpsampleConv2D(_FusedBase):
    """Equalized-LR 2x upsampling convolution, StyleGAN's fused `Conv0_up`.

    Stores a `(k, k, in, filters)` kernel (k = 3 in StyleGAN) and applies
    `fused_upsample_conv_2d` with its runtime-scaled value, then the bias and
    activation of `EqualizedConv2D` (StyleGAN uses `use_bias=False` and adds
    the bias after the blur and noise).

    Example:

    >>> conv = FusedUpsampleConv2D(8, 3, use_bias=False)
    >>> conv(np.ones((2, 4, 4, 3), "float32")).shape
    TensorShape([2, 8, 8, 8])
    """

    def call(self, inputs):
        return self._bias_act(fused_upsample_conv_2d(inputs, self.runtime_kernel(inputs.dtype)))

    def compute_output_shape(self, input_shape):
        b, h, w = input_shape[:3]
        return (b, None if h is None else 2 * h, None if w is None else 2 * w, self.filters)


@keras.saving.register_keras_serializable(package="keras_gans")
class FusedConv2DDownsample(_FusedBase):
    """Equalized-LR convolution + 2x2 average pooling, StyleGAN's fused `Conv1_down`.

    Example:

    >>> conv = FusedConv2DDownsample(8, 3, activation="lrelu")
    >>> conv(np.ones((2, 8, 8, 3), "float32")).shape
    TensorShape([2, 4, 4, 8])
    """

    def call(self, inputs):
        return self._bias_act(fused_conv_downsample_2d(inputs, self.runtime_kernel(inputs.dtype)))

    def compute_output_shape(self, input_shape):
        b, h, w = input_shape[:3]
        return (b, None if h is None else h // 2, None if w is None else w // 2, self.filters)
