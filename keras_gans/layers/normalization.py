"""Pixelwise feature normalization (ProGAN) and AdaIN (StyleGAN)."""

import tensorflow as tf

import keras


def _compute_dtype(x):
    """Statistics in at least float32: float16 overflows on sums of squares."""
    return tf.float32 if x.dtype in (tf.float16, tf.bfloat16) else x.dtype


@keras.saving.register_keras_serializable(package="keras_gans")
class PixelNormalization(keras.layers.Layer):
    """Normalizes each pixel's feature vector to unit mean square.

    Karras et al. 2018, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", section 4.2 ("pixelwise feature vector
    normalization in generator"):

        b[x, y] = a[x, y] / sqrt(mean_j(a[x, y, j]^2) + epsilon),

    with the mean over the channel axis and `epsilon = 1e-8`. StyleGAN uses
    the same operation on the input latent `z` before the mapping network,
    which is why the layer accepts any rank (the channel axis is `axis`).
    It has no weights.

    Args:
        epsilon: added to the mean square before the square root.
        axis: the feature axis.

    Example:

    >>> y = PixelNormalization()(np.full((1, 2, 2, 4), 3.0, "float32"))
    >>> y[0, 0, 0].numpy()
    array([1., 1., 1., 1.], dtype=float32)
    """

    def __init__(self, epsilon=1e-8, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.axis = int(axis)

    def call(self, inputs):
        x = tf.cast(inputs, _compute_dtype(inputs))
        mean_square = tf.reduce_mean(tf.square(x), axis=self.axis, keepdims=True)
        x = x * tf.math.rsqrt(mean_square + tf.constant(self.epsilon, x.dtype))
        return tf.cast(x, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon, "axis": self.axis})
        return config


def instance_normalize(x, epsilon=1e-8):
    """Per-sample, per-channel standardization over the spatial axes (NHWC).

    The biased variance and `epsilon = 1e-8` inside the square root, as in
    StyleGAN's `instance_norm`. Computed in float32 or wider.

    Example:

    >>> x = tf.random.stateless_normal((2, 8, 8, 3), seed=(1, 2)) * 5 + 7
    >>> y = instance_normalize(x)
    >>> bool(tf.reduce_all(tf.abs(tf.reduce_mean(y, axis=[1, 2])) < 1e-5))
    True
    """
    orig_dtype = x.dtype
    x = tf.cast(x, _compute_dtype(x))
    x = x - tf.reduce_mean(x, axis=[1, 2], keepdims=True)
    variance = tf.reduce_mean(tf.square(x), axis=[1, 2], keepdims=True)
    x = x * tf.math.rsqrt(variance + tf.constant(epsilon, x.dtype))
    return tf.cast(x, orig_dtype)


@keras.saving.register_keras_serializable(package="keras_gans")
class AdaptiveInstanceNormalization(keras.layers.Layer):
    """Adaptive instance normalization, StyleGAN's "style" operation.

    Karras et al. 2019, "A Style-Based Generator Architecture for Generative
    Adversarial Networks", eq. 1 (after Huang & Belongie 2017):

        AdaIN(x_i, y) = y_s,i * (x_i - mu(x_i)) / sigma(x_i) + y_b,i

    per sample and channel `i`, statistics over the spatial axes. The layer
    takes `[x, styles]` where `x` is `(batch, height, width, channels)` and
    `styles` is `(batch, 2 * channels)`: the scales `y_s` followed by the
    biases `y_b`. An identity style (`y_s = 1`, `y_b = 0`) gives plain
    instance normalization.

    The styles come from a learned affine transform of `w`. The layer does
    not own it, so that it can be shared, inspected or replaced; build it as

        EqualizedDense(2 * channels, gain=1.0,
                       bias_init=[1.0] * channels + [0.0] * channels)

    i.e. the scale half's bias starts at 1 and the layer starts out as an
    identity style for any `w` the affine maps to zero. This is the official
    StyleGAN's `style_mod` exactly, re-parameterized: that code stores the
    scale bias as 0 and computes `x * (y_s + 1) + y_b`, so add 1 to the first
    `channels` bias entries when importing its weights.

    Args:
        epsilon: added to the variance (StyleGAN: `1e-8`).

    Example:

    >>> x = np.random.rand(2, 4, 4, 3).astype("float32")
    >>> styles = np.concatenate([np.ones((2, 3)), np.zeros((2, 3))], 1)
    >>> y = AdaptiveInstanceNormalization()([x, styles.astype("float32")])
    >>> y.shape  # here: instance normalization of x
    TensorShape([2, 4, 4, 3])
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        x_shape, style_shape = input_shape
        channels = x_shape[-1]
        if channels is None:
            raise ValueError(f"The channel axis must be defined; got shape {x_shape}.")
        if style_shape[-1] is not None and style_shape[-1] != 2 * channels:
            raise ValueError(
                f"styles must have 2 * channels = {2 * channels} features (scales, "
                f"then biases); got shape {style_shape}."
            )

    def call(self, inputs):
        x, styles = inputs
        channels = x.shape[-1]
        normalized = instance_normalize(x, self.epsilon)
        styles = tf.cast(styles, x.dtype)[:, None, None, :]
        return styles[..., :channels] * normalized + styles[..., channels:]

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config["epsilon"] = self.epsilon
        return config
