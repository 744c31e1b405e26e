"""FIR filtering and resampling of NHWC image batches ("upfirdn").

StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of
StyleGAN", appendix B) low-pass filters every up- and downsampling with a
separable binomial FIR filter, by default `[1, 3, 3, 1]` (outer product,
normalized to sum 1). Everything here is one primitive, `upfirdn_2d`:

1. upsample by inserting `up - 1` zeros after every pixel,
2. pad with zeros (a negative pad crops),
3. convolve with the 2D FIR kernel (a true convolution, kernel flipped),
   keeping only outputs whose footprint lies inside the padded image,
4. downsample by keeping every `down`-th pixel.

and the paddings chosen by `upsample_2d`, `downsample_2d`, `blur_2d`,
`upsample_conv_2d` and `conv_downsample_2d` follow the StyleGAN2 conventions,
so a `[1, 1]` kernel gives nearest-neighbour upsampling and 2x2 average
pooling exactly, and the binomial kernel keeps images centred.

All functions take and return `(batch, height, width, channels)` tensors; the
filter kernel is a numpy array baked into the graph as a constant of the
input's dtype.
"""

import numpy as np
import tensorflow as tf

import keras

DEFAULT_KERNEL = (1, 3, 3, 1)


def setup_filter(kernel=DEFAULT_KERNEL, gain=1.0):
    """Returns a 2D FIR kernel normalized to sum `gain`, as float64 numpy.

    Args:
        kernel: 1D taps (made separable by the outer product with
            themselves) or a square 2D kernel. `None` means `[1]`, the
            identity filter.
        gain: the sum of the returned kernel, i.e. the factor by which a
            constant image is scaled.

    Example:

    >>> float(setup_filter([1, 3, 3, 1]).sum())
    1.0
    >>> float(setup_filter([1, 2, 1])[1, 1])
    0.25
    """
    k = np.asarray([1.0] if kernel is None else kernel, dtype=np.float64)
    if k.ndim == 1:
        k = np.outer(k, k)
    if k.ndim != 2 or k.shape[0] != k.shape[1] or k.size == 0:
        raise ValueError(
            "A FIR kernel must be 1D taps or a square 2D array. "
            f"Received shape {k.shape}."
        )
    total = k.sum()
    if total == 0:
        raise ValueError("A FIR kernel must not sum to zero: it cannot be normalized.")
    return k * (float(gain) / total)


def _dim(x, axis):
    """The static size of `x` along `axis` if known, else the dynamic one."""
    size = x.shape[axis]
    return size if size is not None else tf.shape(x)[axis]


def upfirdn_2d(x, kernel, up=1, down=1, padding=(0, 0)):
    """Upsamples, pads, FIR-filters and downsamples a batch of images.

    Args:
        x: tensor `(batch, height, width, channels)`.
        kernel: 2D numpy array, used as is (see `setup_filter`).
        up: int, zeros are inserted after every pixel to multiply the size
            by `up` (before padding).
        down: int, every `down`-th output pixel is kept.
        padding: `(before, after)` zeros added on both spatial axes after
            upsampling; negative values crop.

    Returns:
        Tensor of size `(size * up + before + after - taps) // down + 1`
        along each spatial axis.

    Example:

    >>> x = tf.ones((1, 4, 4, 1))
    >>> k = setup_filter([1, 1])  # 2x2 box, sum 1
    >>> upfirdn_2d(x, k, down=2).shape
    TensorShape([1, 2, 2, 1])
    """
    x = tf.convert_to_tensor(x)
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 2:
        raise ValueError(f"`kernel` must be 2D; received shape {k.shape}.")
    up, down = int(up), int(down)
    pad0, pad1 = (int(p) for p in padding)
    channels = _dim(x, 3)

    if up > 1:
        # Zero insertion as a reshape + pad: pixel i lands at position up*i.
        height, width = _dim(x, 1), _dim(x, 2)
        x = tf.reshape(x, [-1, height, 1, width, 1, channels])
        x = tf.pad(x, [[0, 0], [0, 0], [0, up - 1], [0, 0], [0, up - 1], [0, 0]])
        x = tf.reshape(x, [-1, height * up, width * up, channels])

    if pad0 > 0 or pad1 > 0:
        p0, p1 = max(pad0, 0), max(pad1, 0)
        x = tf.pad(x, [[0, 0], [p0, p1], [p0, p1], [0, 0]])
    if pad0 < 0 or pad1 < 0:
        c0 = max(-pad0, 0)
        c1 = max(-pad1, 0)
        end = None if c1 == 0 else -c1
        x = x[:, c0:end, c0:end, :]

    if k.shape != (1, 1) or k[0, 0] != 1.0:
        # tf.nn.depthwise_conv2d correlates; flipping makes it a convolution,
        # which matters only for asymmetric kernels. Striding the
        # convolution is the same as filtering then dropping pixels.
        taps = tf.constant(k[::-1, ::-1, None, None], dtype=x.dtype)
        taps = tf.tile(taps, [1, 1, channels, 1])
        x = tf.nn.depthwise_conv2d(x, taps, strides=[1, down, down, 1], padding="VALID")
    elif down > 1:
        x = x[:, ::down, ::down, :]
    return x


def upsample_2d(x, kernel=DEFAULT_KERNEL, factor=2, gain=1.0):
    """Upsamples images by `factor` with a FIR low-pass filter.

    The kernel is scaled to sum `gain * factor**2` because zero insertion
    leaves only one in `factor**2` pixels non-zero; a constant image stays
    constant (times `gain`) away from the borders.

    Args:
        x: tensor `(batch, height, width, channels)`.
        kernel: FIR taps (see `setup_filter`); `None` means `[1] * factor`,
            i.e. nearest-neighbour upsampling.
        factor: int upsampling factor.
        gain: signal gain.

    Returns:
        Tensor `(batch, height * factor, width * factor, channels)`.

    Example:

    >>> x = tf.reshape(tf.range(4.0), (1, 2, 2, 1))
    >>> upsample_2d(x, kernel=None)[0, :, :, 0].numpy()  # nearest neighbour
    array([[0., 0., 1., 1.],
           [0., 0., 1., 1.],
           [2., 2., 3., 3.],
           [2., 2., 3., 3.]], dtype=float32)
    """
    factor = int(factor)
    k = setup_filter([1] * factor if kernel is None else kernel, gain * factor**2)
    p = k.shape[0] - factor
    return upfirdn_2d(x, k, up=factor, padding=((p + 1) // 2 + factor - 1, p // 2))


def downsample_2d(x, kernel=DEFAULT_KERNEL, factor=2, gain=1.0):
    """Downsamples images by `factor` after a FIR low-pass filter.

    Args:
        x: tensor `(batch, height, width, channels)`, spatial sizes divisible
            by `factor`.
        kernel: FIR taps (see `setup_filter`); `None` means `[1] * factor`,
            i.e. average pooling.
        factor: int downsampling factor.
        gain: signal gain.

    Returns:
        Tensor `(batch, height // factor, width // factor, channels)`.

    Example:

    >>> x = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
    >>> downsample_2d(x, kernel=None)[0, :, :, 0].numpy()  # 2x2 average pool
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    factor = int(factor)
    k = setup_filter([1] * factor if kernel is None else kernel, gain)
    p = k.shape[0] - factor
    return upfirdn_2d(x, k, down=factor, padding=((p + 1) // 2, p // 2))


def blur_2d(x, kernel=DEFAULT_KERNEL, gain=1.0, padding=None):
    """Filters images with a FIR low-pass filter, keeping their size.

    Args:
        x: tensor `(batch, height, width, channels)`.
        kernel: FIR taps (see `setup_filter`).
        gain: signal gain.
        padding: optional `(before, after)`; by default `taps - 1` zeros
            in total, the extra one before for even kernels, so that the
            output has the input's size.

    Returns:
        Tensor of the input's size (with the default padding).

    Example:

    >>> blur_2d(tf.ones((1, 5, 5, 2)))[0, 2, 2].numpy()  # interior: unchanged
    array([1., 1.], dtype=float32)
    """
    k = setup_filter(kernel, gain)
    if padding is None:
        p = k.shape[0] - 1
        padding = ((p + 1) // 2, p // 2)
    return upfirdn_2d(x, k, padding=padding)


def _check_conv_kernel(weight):
    kh, kw = weight.shape[0], weight.shape[1]
    if kh is None or kh != kw or kh % 2 != 1:
        raise ValueError(
            "Resampling convolutions need a square, odd-sized kernel of shape "
            f"(k, k, in, out); received {tuple(weight.shape)}."
        )
    return kh


def upsample_conv_2d(x, weight, kernel=DEFAULT_KERNEL, factor=2, gain=1.0):
    """`upsample_2d` followed by a "same" convolution, padded only once.

    This is StyleGAN2's `upsample_conv_2d`: a stride-`factor` transposed
    convolution with the spatially flipped weight, then the FIR filter. It
    equals upsampling with `upsample_2d` and convolving, except that no
    zeros are inserted between the two steps, so pixels near the border
    see the true (zero-extended) upsampled signal.

    Args:
        x: tensor `(batch, height, width, in_channels)`.
        weight: tensor `(k, k, in_channels, out_channels)`, `k` odd; applied
            as `tf.nn.conv2d` would apply it (a correlation).
        kernel: FIR taps (see `setup_filter`); `None` means `[1] * factor`.
        factor: int upsampling factor.
        gain: signal gain.

    Returns:
        Tensor `(batch, height * factor, width * factor, out_channels)`.

    Example:

    >>> w = tf.ones((3, 3, 4, 8)) / 36.0
    >>> upsample_conv_2d(tf.ones((2, 5, 5, 4)), w).shape
    TensorShape([2, 10, 10, 8])
    """
    x = tf.convert_to_tensor(x)
    weight = tf.convert_to_tensor(weight, dtype=x.dtype)
    factor = int(factor)
    size = _check_conv_kernel(weight)
    k = setup_filter([1] * factor if kernel is None else kernel, gain * factor**2)
    p = (k.shape[0] - factor) - (size - 1)

    # conv2d_transpose scatters every input pixel through its filter; with
    # the flipped weight (in/out swapped, as the op expects) the scatter is
    # a correlation of the zero-inserted input with `weight`, "full" mode.
    height, width = _dim(x, 1), _dim(x, 2)
    out_shape = [
        tf.shape(x)[0],
        (height - 1) * factor + size,
        (width - 1) * factor + size,
        weight.shape[3],
    ]
    flipped = tf.transpose(weight[::-1, ::-1], [0, 1, 3, 2])
    x = tf.nn.conv2d_transpose(x, flipped, out_shape, strides=factor, padding="VALID")
    return upfirdn_2d(x, k, padding=((p + 1) // 2 + factor - 1, p // 2 + 1))


def conv_downsample_2d(x, weight, kernel=DEFAULT_KERNEL, factor=2, gain=1.0):
    """A "same" convolution followed by `downsample_2d`, padded only once.

    StyleGAN2's `conv_downsample_2d`: the FIR filter (with all the padding
    both steps need), then a stride-`factor` "valid" convolution, which
    never computes the pixels that downsampling would drop.

    Args:
        x: tensor `(batch, height, width, in_channels)`.
        weight: tensor `(k, k, in_channels, out_channels)`, `k` odd.
        kernel: FIR taps (see `setup_filter`); `None` means `[1] * factor`.
        factor: int downsampling factor.
        gain: signal gain.

    Returns:
        Tensor `(batch, height // factor, width // factor, out_channels)`.

    Example:

    >>> w = tf.ones((3, 3, 4, 8)) / 36.0
    >>> conv_downsample_2d(tf.ones((2, 8, 8, 4)), w).shape
    TensorShape([2, 4, 4, 8])
    """
    x = tf.convert_to_tensor(x)
    weight = tf.convert_to_tensor(weight, dtype=x.dtype)
    factor = int(factor)
    size = _check_conv_kernel(weight)
    k = setup_filter([1] * factor if kernel is None else kernel, gain)
    p = (k.shape[0] - factor) + (size - 1)
    x = upfirdn_2d(x, k, padding=((p + 1) // 2, p // 2))
    return tf.nn.conv2d(x, weight, strides=factor, padding="VALID")


def _kernel_tuple(kernel):
    """A FIR kernel as (nested) tuples of floats, or None.

    Tuples, not lists: Keras wraps list attributes of layers in tracking
    containers, and the config should hold plain values.
    """
    if kernel is None:
        return None
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim == 1:
        return tuple(float(v) for v in k)
    return tuple(tuple(float(v) for v in row) for row in k)


def _kernel_config(kernel):
    """A FIR kernel as JSON-friendly nested lists, or None."""
    return None if kernel is None else np.asarray(kernel, dtype=np.float64).tolist()


class _FIRLayer(keras.layers.Layer):
    """Shared config handling of the FIR layers below."""

    def __init__(self, kernel=DEFAULT_KERNEL, gain=1.0, **kwargs):
        super().__init__(**kwargs)
        # Validate now rather than at the first call.
        setup_filter(kernel)
        self.fir_kernel = _kernel_tuple(kernel)
        self.gain = float(gain)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def get_config(self):
        config = super().get_config()
        config.update({"kernel": _kernel_config(self.fir_kernel), "gain": self.gain})
        return config


@keras.saving.register_keras_serializable(package="keras_gans")
class Blur2D(_FIRLayer):
    """FIR low-pass filter that keeps the image size (see `blur_2d`).

    StyleGAN (Karras et al. 2019) blurs after every upsampling and before
    every downsampling with a `[1, 2, 1]` binomial; StyleGAN2 uses
    `[1, 3, 3, 1]`.

    Args:
        kernel: FIR taps, 1D (separable) or square 2D.
        gain: signal gain.
        padding: optional `(before, after)` zero padding; default keeps the
            size.

    Example:

    >>> Blur2D([1, 2, 1])(np.ones((1, 6, 6, 3), "float32")).shape
    TensorShape([1, 6, 6, 3])
    """

    def __init__(self, kernel=DEFAULT_KERNEL, gain=1.0, padding=None, **kwargs):
        super().__init__(kernel=kernel, gain=gain, **kwargs)
        self.padding = None if padding is None else tuple(int(p) for p in padding)

    def call(self, inputs):
        return blur_2d(inputs, self.fir_kernel, gain=self.gain, padding=self.padding)

    def get_config(self):
        config = super().get_config()
        config["padding"] = None if self.padding is None else list(self.padding)
        return config


@keras.saving.register_keras_serializable(package="keras_gans")
class FIRUpsample2D(_FIRLayer):
    """Upsampling by an integer factor with a FIR filter (see `upsample_2d`).

    Karras et al. 2020 (StyleGAN2) use it for the skip generator's image
    path with the `[1, 3, 3, 1]` kernel.

    Args:
        kernel: FIR taps; `None` gives nearest-neighbour upsampling.
        factor: int upsampling factor.
        gain: signal gain.

    Example:

    >>> FIRUpsample2D()(np.ones((2, 4, 4, 3), "float32")).shape
    TensorShape([2, 8, 8, 3])
    """

    def __init__(self, kernel=DEFAULT_KERNEL, factor=2, gain=1.0, **kwargs):
        super().__init__(kernel=kernel, gain=gain, **kwargs)
        self.factor = int(factor)

    def call(self, inputs):
        return upsample_2d(inputs, self.fir_kernel, factor=self.factor, gain=self.gain)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@keras.saving.register_keras_serializable(package="keras_gans")
class FIRDownsample2D(_FIRLayer):
    """Downsampling by an integer factor with a FIR filter (see `downsample_2d`).

    Karras et al. 2020 (StyleGAN2) use it for the input-skip discriminator's
    image path with the `[1, 3, 3, 1]` kernel.

    Args:
        kernel: FIR taps; `None` gives average pooling.
        factor: int downsampling factor.
        gain: signal gain.

    Example:

    >>> FIRDownsample2D()(np.ones((2, 8, 8, 3), "float32")).shape
    TensorShape([2, 4, 4, 3])
    """

    def __init__(self, kernel=DEFAULT_KERNEL, factor=2, gain=1.0, **kwargs):
        super().__init__(kernel=kernel, gain=gain, **kwargs)
        self.factor = int(factor)

    def call(self, inputs):
        return downsample_2d(inputs, self.fir_kernel, factor=self.factor, gain=self.gain)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config
