"""Upsampling layers.

`SubPixelConv2DTranspose` computes exactly what
`keras.layers.Conv2DTranspose(strides=s, padding="same")` computes, as one
stride-1 convolution with `s * s` times the output channels followed by
`tf.nn.depth_to_space` (Shi et al. 2016, "Is the deconvolution layer the same
as a convolutional layer?"). On CPU a plain convolution is much faster than
the transposed convolution kernel, and the stride-1 form never multiplies by
the zeros a transposed convolution inserts between input pixels.

Derivation (one spatial axis; the two axes are independent). TensorFlow
defines a stride-`s` "same" transposed convolution as the gradient of a
stride-`s` "same" convolution whose input has size `s * H`. That convolution
pads its input by `P = max(k - s, 0)` in total, `p = P // 2` of it before, and
computes `y[i] = sum_t x[s*i + t - p] * w[t]`. Its transpose therefore sends
input pixel `y[i]` through tap `t` to output pixel `o = s*i + t - p`:

    out[o] = sum over (i, t) with s*i + t - p == o of y[i] * w[t]

Write `o = s*a + b - c` with phase `b` in `[0, s)` and a fixed shift `c` in
`[0, s)`. Tap `t` then contributes to phase `b == (t + c - p) mod s` only,
reading `y[a + d]` with `d = (b - c + p - t) / s`. So every phase is a
stride-1 correlation of `y` with `ceil(k / s)`-ish taps over a window of
offsets `d` that is the same for all phases: stacking the phases along the
channel axis gives one convolution with `s` output channels per filter and
axis, and `depth_to_space` interleaves them back into output pixels. The
shift `c` is chosen to make that window as small as possible (for `k = 4`,
`s = 2` it shrinks the window from 3 to 2 taps per axis at the price of one
extra row and column that are cropped away).

The backward pass is not autodiff through that stride-1 convolution: its
input gradient would be a stride-1 transposed convolution, i.e. the slow
kernel again. Instead the layer supplies the gradients of the transposed
convolution itself (a strided convolution for the input, a filter gradient
for the kernel), the same ops `Conv2DTranspose` runs in its backward pass.
"""

import numpy as np
import tensorflow as tf

import keras
from keras import activations
from keras import constraints
from keras import initializers
from keras import regularizers


def _axis_plan(kernel_size, stride):
    """How one spatial axis of the transposed convolution is decomposed.

    Returns `(taps, pad_before, pad_after, shift)`, where `taps[u, b]` is the
    index into the transposed-convolution kernel used by window position `u`
    of phase `b` (or `kernel_size`, meaning "no tap, use zero"), the input is
    padded by `pad_before` / `pad_after` for a "valid" stride-1 convolution,
    and the interleaved result is cropped by `shift` at the start.
    """
    k, s = kernel_size, stride
    # Leading padding of the "same" forward convolution that this transposed
    # convolution is the gradient of (input size s * H, output size H).
    p = max(k - s, 0) // 2

    best = None
    for c in range(s):
        # Tap t belongs to phase b = (t + c - p) mod s and reads offset d.
        offsets = [((t + c - p) % s - c + p - t) // s for t in range(k)]
        # Keep offset 0 in the window so that the paddings are never
        # negative, even when k < s leaves phases without any tap.
        lo, hi = min(min(offsets), 0), max(max(offsets), 0)
        # Smallest window wins; on a tie prefer c == 0, which needs no crop.
        if best is None or hi - lo < best[1] - best[0]:
            best = (lo, hi, c)
    lo, hi, c = best

    taps = np.full((hi - lo + 1, s), k, dtype=np.int64)
    for u in range(hi - lo + 1):
        for b in range(s):
            t = b - c + p - s * (lo + u)
            if 0 <= t < k:
                taps[u, b] = t
    # The valid convolution yields rows a = 0 .. H - 1 (plus one more when
    # c > 0, since output row o = s*a + b - c then reaches into block H).
    # Row a reads y[a + lo] .. y[a + hi], hence the paddings.
    return taps, -lo, hi + (1 if c else 0), c


@keras.saving.register_keras_serializable(package="keras_gans")
class SubPixelConv2DTranspose(keras.layers.Layer):
    """2D transposed convolution ("same" padding) computed via sub-pixel conv.

    A drop-in replacement for
    `keras.layers.Conv2DTranspose(filters, kernel_size, strides, padding="same")`
    that gives the same outputs (up to float rounding) but runs as one
    stride-1 convolution with `strides**2 * filters` output channels followed
    by `tf.nn.depth_to_space`, which is considerably faster on CPU.

    The `kernel` weight has the shape and layout of `Conv2DTranspose`'s
    kernel, `kernel_size + (filters, input_channels)`, and `bias` is
    `(filters,)`, so weights move freely between the two layers with
    `get_weights()` / `set_weights()`. The stride-1 kernel is rearranged from
    `kernel` at every call (a small gather), so training, regularizers and
    constraints all see the transposed-convolution kernel.

    Only `padding="same"`, equal strides of at least 2 on both axes and
    `data_format="channels_last"` are supported; anything else raises a
    `ValueError`.

    Args:
        filters: int, the number of output channels.
        kernel_size: int or tuple of 2 ints, the size of the transposed
            convolution window.
        strides: int or tuple of 2 equal ints >= 2, the upsampling factor.
            Defaults to 2.
        padding: must be `"same"` (case-insensitive).
        data_format: must be `"channels_last"` or `None` (in which case the
            Keras config `image_data_format` must be `"channels_last"`).
        activation: activation function; `None` for none.
        use_bias: bool, whether to add a bias vector.
        kernel_initializer: initializer for the kernel. Since the kernel is
            the `Conv2DTranspose` kernel, fan-in/fan-out based initializers
            behave exactly as they do for `Conv2DTranspose`.
        bias_initializer: initializer for the bias vector.
        kernel_regularizer: optional regularizer for the kernel.
        bias_regularizer: optional regularizer for the bias vector.
        activity_regularizer: optional regularizer for the output.
        kernel_constraint: optional constraint for the kernel.
        bias_constraint: optional constraint for the bias vector.

    Input shape:
        4D tensor `(batch, rows, cols, channels)`.

    Output shape:
        4D tensor `(batch, rows * strides, cols * strides, filters)`.

    Example:

    >>> x = np.random.rand(4, 7, 7, 8).astype("float32")
    >>> fast = SubPixelConv2DTranspose(16, 4)
    >>> fast(x).shape
    TensorShape([4, 14, 14, 16])
    >>> ref = keras.layers.Conv2DTranspose(16, 4, strides=2, padding="same")
    >>> _ = ref(x)
    >>> ref.set_weights(fast.get_weights())
    >>> np.allclose(fast(x), ref(x), atol=1e-5)
    True
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=2,
        padding="same",
        data_format=None,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if int(filters) <= 0:
            raise ValueError(
                f"`filters` must be a positive integer. Received: filters={filters}"
            )
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        if min(self.kernel_size) < 1:
            raise ValueError(
                "`kernel_size` must be positive. Received: "
                f"kernel_size={kernel_size}"
            )
        strides = _pair(strides, "strides")
        if strides[0] != strides[1] or strides[0] < 2:
            # depth_to_space interleaves square blocks, and a stride of 1
            # is an ordinary convolution: neither needs this layer.
            raise ValueError(
                "SubPixelConv2DTranspose supports only equal strides >= 2 on "
                f"both axes (e.g. 2 or (2, 2)). Received: strides={strides}"
            )
        self.strides = strides
        if not isinstance(padding, str) or padding.lower() != "same":
            raise ValueError(
                'SubPixelConv2DTranspose supports only padding="same". '
                f"Received: padding={padding!r}"
            )
        self.padding = "same"
        if data_format is None:
            data_format = keras.config.image_data_format()
        self.data_format = str(data_format).lower()
        if self.data_format != "channels_last":
            raise ValueError(
                'SubPixelConv2DTranspose supports only data_format="channels_last". '
                f"Received: data_format={self.data_format!r}"
            )
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = keras.layers.InputSpec(ndim=4)

        # The decomposition depends only on kernel size and stride, so it is
        # worked out once, in numpy, and baked into the graph as constants.
        s = self.strides[0]
        taps_h, top, bottom, self._shift_h = _axis_plan(self.kernel_size[0], s)
        taps_w, left, right, self._shift_w = _axis_plan(self.kernel_size[1], s)
        self._paddings = [[0, 0], [top, bottom], [left, right], [0, 0]]
        # Flat index into the (kh * kw + 1)-row kernel whose last row is zero:
        # [u, v, bh, bw] -> tap of window position (u, v) for phase (bh, bw).
        kh, kw = self.kernel_size
        valid = (taps_h[:, None, :, None] < kh) & (taps_w[None, :, None, :] < kw)
        flat = taps_h[:, None, :, None] * kw + taps_w[None, :, None, :]
        self._gather_index = np.where(valid, flat, kh * kw).astype(np.int32)

    def build(self, input_shape):
        in_channels = input_shape[-1]
        if in_channels is None:
            raise ValueError(
                "The channel dimension of the inputs to SubPixelConv2DTranspose "
                f"must be defined. Received: input_shape={input_shape}"
            )
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: in_channels})
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_size + (self.filters, in_channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            trainable=True,
            dtype=self.dtype,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                trainable=True,
                dtype=self.dtype,
            )
        else:
            self.bias = None

    def _phase_kernel(self, kernel):
        """The stride-1 kernel, `(Kh, Kw, in_channels, s * s * filters)`."""
        kh, kw, filters, in_channels = kernel.shape
        s = self.strides[0]
        rows = tf.reshape(kernel, (kh * kw, filters, in_channels))
        rows = tf.concat([rows, tf.zeros_like(rows[:1])], axis=0)
        index = self._gather_index
        kernel = tf.gather(rows, index.reshape(-1), axis=0)
        kernel = tf.reshape(kernel, index.shape + (filters, in_channels))
        # depth_to_space reads output pixel (s*a + bh, s*b + bw), channel f,
        # from channel (bh * s + bw) * filters + f of pixel (a, b).
        kernel = tf.transpose(kernel, (0, 1, 5, 2, 3, 4))
        return tf.reshape(kernel, index.shape[:2] + (in_channels, s * s * filters))

    def _conv_transpose(self, inputs, kernel):
        """`conv2d_transpose(inputs, kernel)` ("same"), differentiably."""
        s = self.strides[0]
        shift_h, shift_w = self._shift_h, self._shift_w

        @tf.custom_gradient
        def conv_transpose(inputs, kernel):
            outputs = tf.nn.conv2d(
                inputs, self._phase_kernel(kernel), strides=1, padding=self._paddings
            )
            outputs = tf.nn.depth_to_space(outputs, s)
            if shift_h or shift_w:
                shape = tf.shape(inputs)
                outputs = outputs[
                    :, shift_h : shift_h + s * shape[1], shift_w : shift_w + s * shape[2], :
                ]

            def grad(upstream):
                # Autodiff through the stride-1 convolution would compute the
                # input gradient with a stride-1 *transposed* convolution, the
                # slow CPU kernel this layer exists to avoid. The gradients of
                # a transposed convolution are a plain strided convolution
                # (input) and a filter gradient (kernel); these are exactly
                # the ops Conv2DTranspose's own backward pass runs, and they
                # are differentiable again for higher-order gradients.
                strides = [1, s, s, 1]
                d_inputs = tf.nn.conv2d(upstream, kernel, strides=strides, padding="SAME")
                d_kernel = tf.raw_ops.Conv2DBackpropFilter(
                    input=upstream,
                    filter_sizes=tf.shape(kernel),
                    out_backprop=inputs,
                    strides=strides,
                    padding="SAME",
                )
                return d_inputs, d_kernel

            return outputs, grad

        return conv_transpose(inputs, kernel)

    def call(self, inputs):
        outputs = self._conv_transpose(inputs, tf.convert_to_tensor(self.kernel))
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        s = self.strides[0]
        batch, rows, cols = input_shape[:3]
        return (
            batch,
            None if rows is None else rows * s,
            None if cols is None else cols * s,
            self.filters,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(
                    self.activity_regularizer
                ),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
            }
        )
        return config


def _pair(value, name):
    """`value` as a tuple of two ints; a single int is used for both axes."""
    if isinstance(value, int):
        return (value, value)
    try:
        pair = tuple(int(v) for v in value)
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise ValueError(
            f"`{name}` must be an int or a tuple of 2 ints. Received: {name}={value!r}"
        )
    return pair
