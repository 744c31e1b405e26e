"""Equalized learning rate layers (Karras et al. 2018, ProGAN, section 4.1).

"Equalized learning rate": instead of initializing weights with He's scale,
store them as `N(0, 1)` and multiply by the He constant at every call,

    w_runtime = w_stored * gain / sqrt(fan_in).

Adaptive optimizers (Adam, RMSProp) normalize each update by the gradient's
own magnitude, so the update of a *stored* weight has the same size in every
layer regardless of its fan-in: every layer learns at the same speed. StyleGAN
(Karras et al. 2019) adds a learning-rate multiplier `lr_multiplier` (0.01 in
the mapping network): the stored weight is drawn from `N(0, 1/lr^2)` and the
runtime scale is multiplied by `lr`, so the initial runtime weights are
unchanged while every step moves them `lr` times as far. Biases are stored
divided by `lr` in the same way and multiplied by `lr` at runtime.

The activation follows the StyleGAN2 "bias_act" convention: bias, then the
nonlinearity, then a constant `activation_gain`, then an optional clamp
(StyleGAN2-ADA's `conv_clamp`). There are two equivalent ways to get the
`sqrt(2)` He gain that a leaky ReLU needs, and the layers support both:

* ProGAN / StyleGAN: `gain=sqrt(2)` on the weights (the default here) and
  `activation_gain=1`.
* StyleGAN2: `gain=1` on the weights and `activation_gain=sqrt(2)` after the
  nonlinearity, e.g. `EqualizedConv2D(..., gain=1.0, activation="lrelu",
  activation_gain=np.sqrt(2))`.

Use one or the other, not both (that would double the gain).
"""

import math

import numpy as np
import tensorflow as tf

import keras

# Imported as `fir`: the layers' `filters` argument would shadow the module.
from keras_gans.layers import filters as fir

SQRT2 = math.sqrt(2.0)
_ACTIVATIONS = ("linear", "lrelu", "relu")


def _check_activation(activation):
    name = "linear" if activation is None else str(activation).lower()
    if name not in _ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {_ACTIVATIONS} or None; received {activation!r}."
        )
    return name


def bias_act(x, bias=None, activation="linear", gain=1.0, clamp=None):
    """Adds a bias, applies an activation, scales by `gain`, then clamps.

    Args:
        x: tensor with channels last.
        bias: optional tensor `(channels,)`, already at its runtime scale.
        activation: `"linear"`/None, `"lrelu"` (slope 0.2, as in ProGAN and
            StyleGAN) or `"relu"`.
        gain: constant multiplied in after the activation.
        clamp: optional float; the result is clipped to `[-clamp, clamp]`.

    Example:

    >>> bias_act(tf.constant([[-1.0, 2.0]]), activation="lrelu").numpy()
    array([[-0.2,  2. ]], dtype=float32)
    """
    activation = _check_activation(activation)
    if bias is not None:
        x = x + tf.cast(bias, x.dtype)
    if activation == "lrelu":
        x = tf.nn.leaky_relu(x, alpha=0.2)
    elif activation == "relu":
        x = tf.nn.relu(x)
    if gain != 1:
        x = x * tf.constant(gain, x.dtype)
    if clamp is not None:
        x = tf.clip_by_value(x, tf.constant(-clamp, x.dtype), tf.constant(clamp, x.dtype))
    return x


def _bias_initializer(bias_init, units, lr_multiplier):
    """Initial stored bias: the effective initial bias divided by `lr`."""
    values = np.broadcast_to(np.asarray(bias_init, dtype=np.float64), (units,))
    return keras.initializers.Constant((values / lr_multiplier).tolist())


def _bias_init_config(bias_init):
    values = np.asarray(bias_init, dtype=np.float64)
    return float(values) if values.ndim == 0 else values.tolist()


def _bias_init_value(bias_init):
    """A scalar or a tuple: Keras would wrap a list attribute for tracking."""
    values = np.asarray(bias_init, dtype=np.float64)
    if values.ndim > 1:
        raise ValueError(f"bias_init must be a float or a 1D sequence; got {bias_init!r}.")
    return float(values) if values.ndim == 0 else tuple(float(v) for v in values)


class _EqualizedBase(keras.layers.Layer):
    """Arguments and config shared by the equalized layers."""

    def __init__(
        self,
        gain=SQRT2,
        lr_multiplier=1.0,
        use_bias=True,
        bias_init=0.0,
        activation=None,
        activation_gain=1.0,
        clamp=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if lr_multiplier <= 0:
            raise ValueError(f"lr_multiplier must be positive; received {lr_multiplier}.")
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.use_bias = bool(use_bias)
        self.bias_init = _bias_init_value(bias_init)
        self.activation = _check_activation(activation)
        self.activation_gain = float(activation_gain)
        self.clamp = None if clamp is None else float(clamp)

    def _add_equalized_weights(self, kernel_shape):
        fan_in = int(np.prod(kernel_shape[:-1]))
        # Stored weights are N(0, 1/lr^2); the He constant and lr are applied
        # at call time (`runtime_scale`), so the optimizer sees unit-scale
        # parameters in every layer.
        self.kernel = self.add_weight(
            name="kernel",
            shape=kernel_shape,
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier),
        )
        self.runtime_scale = self.gain / math.sqrt(fan_in) * self.lr_multiplier
        if self.use_bias:
            units = kernel_shape[-1]
            self.bias = self.add_weight(
                name="bias",
                shape=(units,),
                initializer=_bias_initializer(self.bias_init, units, self.lr_multiplier),
            )
        else:
            self.bias = None

    def runtime_kernel(self, dtype=None):
        """The kernel the layer actually applies: stored kernel * runtime scale."""
        kernel = tf.convert_to_tensor(self.kernel)
        if dtype is not None:
            kernel = tf.cast(kernel, dtype)
        # tf.constant, not tf.cast: casting a Python float rounds it to float32
        # first, which would cost float64 layers their precision.
        return kernel * tf.constant(self.runtime_scale, kernel.dtype)

    def runtime_bias(self):
        """The bias the layer actually adds (stored bias * lr), or None."""
        if self.bias is None:
            return None
        return tf.convert_to_tensor(self.bias) * self.lr_multiplier

    def _bias_act(self, x):
        return bias_act(
            x,
            self.runtime_bias(),
            activation=self.activation,
            gain=self.activation_gain,
            clamp=self.clamp,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "gain": self.gain,
                "lr_multiplier": self.lr_multiplier,
                "use_bias": self.use_bias,
                "bias_init": _bias_init_config(self.bias_init),
                "activation": self.activation,
                "activation_gain": self.activation_gain,
                "clamp": self.clamp,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_gans")
class EqualizedDense(_EqualizedBase):
    """Fully connected layer with equalized learning rate (ProGAN, StyleGAN).

    Karras et al. 2018, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", section 4.1; the learning-rate multiplier is
    from Karras et al. 2019 ("A Style-Based Generator Architecture for
    GANs", appendix C: `lr_multiplier=0.01` in the mapping network).

    `kernel` is stored `(in_features, units)` with init `N(0, 1/lr^2)` and
    applied times `runtime_scale = gain / sqrt(in_features) * lr`; `bias` is
    stored as `bias_init / lr` and applied times `lr`, so the effective
    initial bias is `bias_init` for any `lr`. The layer acts on the last axis.

    Args:
        units: output features.
        gain: He gain of the runtime weight scale; `sqrt(2)` (ProGAN) by
            default, `1` for StyleGAN2-style layers and style affines.
        lr_multiplier: learning-rate multiplier (see the module docstring).
        use_bias: whether to add a bias.
        bias_init: effective initial bias, a float or one value per unit.
            StyleGAN2's style affines use 1 (the TF release stores 0 and adds
            1 in the forward pass; add 1 to its biases when importing).
        activation: `None`/`"linear"`, `"lrelu"` (slope 0.2) or `"relu"`.
        activation_gain: constant applied after the activation (StyleGAN2
            uses `sqrt(2)` with `gain=1`).
        clamp: optional clip of the output to `[-clamp, clamp]`.

    Example:

    >>> layer = EqualizedDense(8, lr_multiplier=0.01, activation="lrelu")
    >>> layer(np.ones((2, 16), "float32")).shape
    TensorShape([2, 8])
    >>> round(layer.runtime_scale, 6)  # sqrt(2 / 16) * 0.01
    0.003536
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)

    def build(self, input_shape):
        in_features = input_shape[-1]
        if in_features is None:
            raise ValueError(f"The last input axis must be defined; got shape {input_shape}.")
        self._add_equalized_weights((int(in_features), self.units))

    def call(self, inputs):
        kernel = self.runtime_kernel(inputs.dtype)
        x = tf.tensordot(inputs, kernel, axes=[[inputs.shape.rank - 1], [0]])
        return self._bias_act(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


@keras.saving.register_keras_serializable(package="keras_gans")
class EqualizedConv2D(_EqualizedBase):
    """2D convolution with equalized learning rate and FIR up/downsampling.

    Karras et al. 2018 (ProGAN), section 4.1, for the equalized learning
    rate; the optional `up`/`down` resampling with a FIR low-pass filter is
    StyleGAN2's `conv2d_layer` (Karras et al. 2020): `up` runs a transposed
    convolution and then the filter (`fir.upsample_conv_2d`), `down`
    runs the filter and then a strided convolution
    (`fir.conv_downsample_2d`). Both equal "resample, then convolve with
    'same' padding" except that the zero padding is done once.

    `kernel` is stored `(k, k, in_channels, filters)` with init
    `N(0, 1/lr^2)` and applied times `gain / sqrt(k * k * in_channels) * lr`.
    Channels last only.

    Args:
        filters: output channels.
        kernel_size: int, square kernel size (odd when resampling).
        padding: `"same"` or `"valid"` (`"same"` when resampling).
        up: int upsampling factor (1 = none).
        down: int downsampling factor (1 = none).
        resample_kernel: FIR taps for resampling; `None` gives
            nearest-neighbour / average-pool resampling.
        gain, lr_multiplier, use_bias, bias_init, activation,
        activation_gain, clamp: as in `EqualizedDense`.

    Example:

    >>> conv = EqualizedConv2D(16, 3, down=2, activation="lrelu")
    >>> conv(np.ones((2, 8, 8, 4), "float32")).shape
    TensorShape([2, 4, 4, 16])
    >>> round(conv.runtime_scale, 6)  # sqrt(2 / (3 * 3 * 4))
    0.235702
    """

    def __init__(
        self,
        filters,
        kernel_size,
        padding="same",
        up=1,
        down=1,
        resample_kernel=fir.DEFAULT_KERNEL,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.padding = str(padding).lower()
        self.up = int(up)
        self.down = int(down)
        if self.padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid'; received {padding!r}.")
        if self.up < 1 or self.down < 1 or (self.up > 1 and self.down > 1):
            raise ValueError(f"Use at most one of up/down (>= 1); got up={up}, down={down}.")
        if (self.up > 1 or self.down > 1) and (
            self.padding != "same" or self.kernel_size % 2 != 1
        ):
            raise ValueError(
                "Resampling convolutions need padding='same' and an odd kernel_size; "
                f"got padding={padding!r}, kernel_size={kernel_size}."
            )
        if resample_kernel is not None:
            fir.setup_filter(resample_kernel)
        self.resample_kernel = fir._kernel_tuple(resample_kernel)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        in_channels = input_shape[-1]
        if in_channels is None:
            raise ValueError(f"The channel axis must be defined; got shape {input_shape}.")
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: int(in_channels)})
        k = self.kernel_size
        self._add_equalized_weights((k, k, int(in_channels), self.filters))

    def call(self, inputs):
        return self._bias_act(convolve(self, inputs, self.runtime_kernel(inputs.dtype)))

    def compute_output_shape(self, input_shape):
        batch, height, width = input_shape[:3]

        def size(n):
            if n is None:
                return None
            if self.up > 1:
                return n * self.up
            if self.down > 1:
                return n // self.down
            return n if self.padding == "same" else n - self.kernel_size + 1

        return (batch, size(height), size(width), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "padding": self.padding,
                "up": self.up,
                "down": self.down,
                "resample_kernel": fir._kernel_config(self.resample_kernel),
            }
        )
        return config


def convolve(layer, x, weight):
    """Convolution with the resampling settings of `layer` (up/down/padding).

    Shared by `EqualizedConv2D` and `ModulatedConv2D`, which differ only in
    how the weight is made.
    """
    if layer.up > 1:
        return fir.upsample_conv_2d(x, weight, layer.resample_kernel, factor=layer.up)
    if layer.down > 1:
        return fir.conv_downsample_2d(x, weight, layer.resample_kernel, factor=layer.down)
    return tf.nn.conv2d(x, weight, strides=1, padding=layer.padding.upper())


@keras.saving.register_keras_serializable(package="keras_gans")
class BiasActivation(keras.layers.Layer):
    """Learned bias, activation, gain and clamp (StyleGAN2's `apply_bias_act`).

    StyleGAN2 (Karras et al. 2020) adds the per-pixel noise between a
    modulated convolution and its bias, so the bias cannot live in the
    convolution: `ModulatedConv2D -> NoiseInjection -> BiasActivation`. The
    bias is stored divided by `lr_multiplier` and applied times it, like the
    equalized layers' biases.

    Args:
        lr_multiplier: learning-rate multiplier of the bias.
        bias_init: effective initial bias (float or one value per channel).
        activation: `None`/`"linear"`, `"lrelu"` (slope 0.2) or `"relu"`.
        activation_gain: constant applied after the activation; StyleGAN2
            uses `sqrt(2)` for `"lrelu"`.
        clamp: optional clip of the output to `[-clamp, clamp]`.

    Example:

    >>> act = BiasActivation(activation="lrelu", activation_gain=np.sqrt(2))
    >>> act(np.full((1, 2, 2, 3), -1.0, "float32"))[0, 0, 0].numpy().round(4)
    array([-0.2828, -0.2828, -0.2828], dtype=float32)
    """

    def __init__(
        self,
        lr_multiplier=1.0,
        bias_init=0.0,
        activation=None,
        activation_gain=1.0,
        clamp=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if lr_multiplier <= 0:
            raise ValueError(f"lr_multiplier must be positive; received {lr_multiplier}.")
        self.lr_multiplier = float(lr_multiplier)
        self.bias_init = _bias_init_value(bias_init)
        self.activation = _check_activation(activation)
        self.activation_gain = float(activation_gain)
        self.clamp = None if clamp is None else float(clamp)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"The channel axis must be defined; got shape {input_shape}.")
        self.bias = self.add_weight(
            name="bias",
            shape=(int(channels),),
            initializer=_bias_initializer(self.bias_init, int(channels), self.lr_multiplier),
        )

    def call(self, inputs):
        bias = tf.convert_to_tensor(self.bias) * self.lr_multiplier
        return bias_act(
            inputs, bias, self.activation, gain=self.activation_gain, clamp=self.clamp
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "lr_multiplier": self.lr_multiplier,
                "bias_init": _bias_init_config(self.bias_init),
                "activation": self.activation,
                "activation_gain": self.activation_gain,
                "clamp": self.clamp,
            }
        )
        return config
