"""StyleGAN2's modulated convolution with weight demodulation, and ToRGB.

Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN",
section 2.2 and eqs. 1-3. For sample `b` with style `s` (one scale per input
channel `i`) and the shared weight `w[k, i, j]` (`k` the spatial taps, `j` the
output channel):

    w'[k, i, j]  = s[i] * w[k, i, j]                                  (eq. 1)
    w''[k, i, j] = w'[k, i, j] / sqrt(sum_{k, i} w'[k, i, j]^2 + eps)  (eq. 3)

with `eps = 1e-8`, and the sample is convolved with its own `w''`. The
demodulation makes every output channel of `w''` a unit vector, so for
i.i.d. unit-variance inputs the outputs have unit variance again; this
replaces StyleGAN's AdaIN, whose normalization caused the "droplet"
artifacts.

Implementation: the official release folds the batch into the channel axis
and runs one grouped convolution ("fused_modconv"). We measured that on
TensorFlow 2.21's CPU kernels: the grouped forward convolution runs, but
its gradient does not ("Gradients for grouped convolutions are not
supported on CPU"), so it cannot be trained here, and even the forward pass
was slower (3x3 kernels, one intra-op thread, fused vs non-fused: 11.0 vs
1.7 ms for batch 4 at 8x8x128, 16.7 vs 16.4 ms for batch 8 at 32x32x64,
23.8 vs 14.0 ms for batch 4 at 64x64x32). The layers therefore use the equivalent non-fused form, which is the same
arithmetic reordered (the official code's `fused_modconv=False` path):

    y = conv(x * s, w) * d,   d[j] = 1 / sqrt(sum_i s[i]^2 sum_k w[k, i, j]^2 + eps)

Scaling the input channels by `s` is the same as scaling the weight's input
channels, and multiplying output channel `j` by `d[j]` is the same as
scaling the weight's output channel, for every linear operator in between,
including the resampling convolutions.

The layers take `[x, styles]`: the style affine (`EqualizedDense(in_channels,
gain=1, bias_init=1)` in StyleGAN2) lives outside, so that a family can
share, truncate or mix styles freely. Note that the official TF release
stores that bias as 0 and adds 1 in the forward pass (add 1 to its biases
when importing), while StyleGAN2-ADA's PyTorch code initializes it to 1.
"""

import math

import tensorflow as tf

import keras

# Imported as `fir`: the layers' `filters` argument would shadow the module.
from keras_gans.layers import filters as fir
from keras_gans.layers.equalized import bias_act, convolve


def _stat_dtype(dtype):
    """Weights and styles are combined in float32 or wider (sums of squares)."""
    return tf.float32 if dtype in (tf.float16, tf.bfloat16) else dtype


@keras.saving.register_keras_serializable(package="keras_gans")
class ModulatedConv2D(keras.layers.Layer):
    """Modulated (and by default demodulated) 2D convolution, StyleGAN2.

    Karras et al. 2020, section 2.2 (see the module docstring for the
    equations and the implementation choice). The weight uses the equalized
    learning rate: stored `(k, k, in_channels, filters)` with init
    `N(0, 1/lr^2)`, applied times `gain / sqrt(k * k * in_channels) * lr`.
    The layer has no bias: StyleGAN2 adds noise before the bias, so follow
    it with `NoiseInjection` and `BiasActivation`.

    Inputs: `[x, styles]`, `x` of shape `(batch, height, width, in_channels)`
    and `styles` of shape `(batch, in_channels)`.

    Args:
        filters: output channels.
        kernel_size: int, odd square kernel size.
        demodulate: whether to apply eq. 3 (False in ToRGB layers).
        up: int upsampling factor (StyleGAN2's first conv of each block uses
            2): transposed convolution then FIR filter, as in
            `fir.upsample_conv_2d`.
        down: int downsampling factor (FIR filter then strided convolution).
        resample_kernel: FIR taps for resampling (`[1, 3, 3, 1]`); `None`
            gives nearest-neighbour / average-pool resampling.
        gain: He gain of the runtime weight scale (StyleGAN2: 1).
        lr_multiplier: learning-rate multiplier of the weight.
        epsilon: added inside the demodulation square root.

    Example:

    >>> conv = ModulatedConv2D(8, 3, up=2)
    >>> x = np.random.rand(2, 4, 4, 16).astype("float32")
    >>> styles = np.ones((2, 16), "float32")
    >>> conv([x, styles]).shape
    TensorShape([2, 8, 8, 8])
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        demodulate=True,
        up=1,
        down=1,
        resample_kernel=fir.DEFAULT_KERNEL,
        gain=1.0,
        lr_multiplier=1.0,
        epsilon=1e-8,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        if self.kernel_size < 1 or self.kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd and positive; got {kernel_size}.")
        self.demodulate = bool(demodulate)
        self.up = int(up)
        self.down = int(down)
        if self.up < 1 or self.down < 1 or (self.up > 1 and self.down > 1):
            raise ValueError(f"Use at most one of up/down (>= 1); got up={up}, down={down}.")
        if resample_kernel is not None:
            fir.setup_filter(resample_kernel)
        self.resample_kernel = fir._kernel_tuple(resample_kernel)
        self.padding = "same"  # read by equalized.convolve
        if lr_multiplier <= 0:
            raise ValueError(f"lr_multiplier must be positive; received {lr_multiplier}.")
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        x_shape, style_shape = input_shape
        in_channels = x_shape[-1]
        if in_channels is None:
            raise ValueError(f"The channel axis must be defined; got shape {x_shape}.")
        in_channels = int(in_channels)
        if style_shape[-1] is not None and style_shape[-1] != in_channels:
            raise ValueError(
                f"styles must have one scale per input channel ({in_channels}); "
                f"got shape {style_shape}."
            )
        k = self.kernel_size
        self.kernel = self.add_weight(
            name="kernel",
            shape=(k, k, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier),
        )
        self.runtime_scale = self.gain / math.sqrt(k * k * in_channels) * self.lr_multiplier

    def runtime_kernel(self, dtype=None):
        """The shared kernel at its runtime scale, `(k, k, in, filters)`."""
        kernel = tf.convert_to_tensor(self.kernel)
        if dtype is not None:
            kernel = tf.cast(kernel, dtype)
        return kernel * tf.constant(self.runtime_scale, kernel.dtype)

    def demodulation(self, styles, kernel=None):
        """`d[b, j] = 1 / sqrt(sum_{k,i} (s[b, i] w[k, i, j])^2 + eps)`, `(batch, filters)`."""
        dtype = _stat_dtype(tf.convert_to_tensor(styles).dtype)
        kernel = self.runtime_kernel(dtype) if kernel is None else tf.cast(kernel, dtype)
        styles = tf.cast(styles, dtype)
        # sum_{k,i} s_i^2 w_kij^2 = sum_i s_i^2 (sum_k w_kij^2): one matmul.
        energy = tf.matmul(tf.square(styles), tf.reduce_sum(tf.square(kernel), axis=[0, 1]))
        return tf.math.rsqrt(energy + tf.constant(self.epsilon, dtype))

    def modulated_kernel(self, styles):
        """The explicit per-sample weights `w''` (or `w'`), `(batch, k, k, in, filters)`.

        Not used by `call` (which never materializes them); for inspection
        and tests.
        """
        styles = tf.convert_to_tensor(styles)
        kernel = self.runtime_kernel(_stat_dtype(styles.dtype))
        weights = kernel[None] * tf.cast(styles, kernel.dtype)[:, None, None, :, None]
        if self.demodulate:
            d = self.demodulation(styles, kernel)
            weights = weights * d[:, None, None, None, :]
        return weights

    def _modulated_conv(self, x, styles):
        kernel = self.runtime_kernel(x.dtype)
        styles = tf.cast(styles, x.dtype)
        y = convolve(self, x * styles[:, None, None, :], kernel)
        if self.demodulate:
            d = tf.cast(self.demodulation(styles), y.dtype)
            y = y * d[:, None, None, :]
        return y

    def call(self, inputs):
        x, styles = inputs
        return self._modulated_conv(x, styles)

    def compute_output_shape(self, input_shape):
        batch, height, width = input_shape[0][:3]

        def size(n):
            if n is None:
                return None
            return n * self.up if self.up > 1 else n // self.down

        return (batch, size(height), size(width), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "demodulate": self.demodulate,
                "up": self.up,
                "down": self.down,
                "resample_kernel": fir._kernel_config(self.resample_kernel),
                "gain": self.gain,
                "lr_multiplier": self.lr_multiplier,
                "epsilon": self.epsilon,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_gans")
class ToRGB(ModulatedConv2D):
    """StyleGAN2's ToRGB: modulated 1x1 convolution, no demodulation, bias.

    Karras et al. 2020, figure 7 ("tRGB"): every resolution maps its
    features to an image through a modulated, *not* demodulated, 1x1
    convolution plus a bias, with a linear activation; the skip generator
    sums the upsampled images. `clamp` clips the output to
    `[-clamp, clamp]` (StyleGAN2-ADA's `conv_clamp`; off by default).

    Inputs: `[x, styles]` as in `ModulatedConv2D`.

    Args:
        filters: image channels (3 for RGB).
        kernel_size: 1 in StyleGAN2.
        bias_init: effective initial bias.
        clamp: optional output clip.
        **kwargs: the other `ModulatedConv2D` arguments (`demodulate`
            defaults to False here).

    Example:

    >>> to_rgb = ToRGB(3)
    >>> x = np.random.rand(2, 8, 8, 16).astype("float32")
    >>> to_rgb([x, np.ones((2, 16), "float32")]).shape
    TensorShape([2, 8, 8, 3])
    """

    def __init__(self, filters=3, kernel_size=1, bias_init=0.0, clamp=None, **kwargs):
        kwargs.setdefault("demodulate", False)
        super().__init__(filters, kernel_size, **kwargs)
        self.bias_init = float(bias_init)
        self.clamp = None if clamp is None else float(clamp)

    def build(self, input_shape):
        super().build(input_shape)
        self.bias = self.add_weight(
            name="bias",
            shape=(self.filters,),
            initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier),
        )

    def call(self, inputs):
        x, styles = inputs
        y = self._modulated_conv(x, styles)
        bias = tf.convert_to_tensor(self.bias) * self.lr_multiplier
        return bias_act(y, bias, clamp=self.clamp)

    def get_config(self):
        config = super().get_config()
        config.update({"bias_init": self.bias_init, "clamp": self.clamp})
        return config
