"""Upsampling layers.

`SubPixelConv2DTranspose` computes exactly what
`keras.layers.Conv2DTranspose(strides=s, padding="same")` computes, with
stride-1 convolutions followed by `tf.nn.depth_to_space` (Shi et al. 2016,
"Is the deconvolution layer the same as a convolutional layer?"). On CPU a
plain convolution is much faster than the transposed convolution kernel, and
the stride-1 form never multiplies by the zeros a transposed convolution
inserts between input pixels.

Derivation (one spatial axis; the two axes are independent). TensorFlow
defines a stride-`s` "same" transposed convolution as the gradient of a
stride-`s` "same" convolution whose input has size `s * H`. That convolution
pads its input by `P = max(k - s, 0)` in total, `p = P // 2` of it before, and
computes `y[i] = sum_t x[s*i + t - p] * w[t]`. Its transpose therefore sends
input pixel `y[i]` through tap `t` to output pixel `o = s*i + t - p`:

    out[o] = sum over (i, t) with s*i + t - p == o of y[i] * w[t]

Split the output into phases, `o = s*a + b` with `b` in `[0, s)`. Tap `t`
contributes to phase `b == (t - p) mod s` only, reading `y[a + d]` with
`d = (b + p - t) / s`. So phase `b` is a stride-1 correlation of `y` with the
taps `t = b + p - s*d` over its own window of offsets `d`, and
`depth_to_space` interleaves the phases back into output pixels when they
are stacked along the channel axis in `(row phase, column phase, filter)`
order. Each phase gets a convolution with exactly its own taps, so no
multiply is wasted; phases whose windows coincide (e.g. all of them when
`k` is a multiple of `2 * s`) share one convolution with their kernels
stacked along the output channels.

The backward pass is not autodiff through those stride-1 convolutions: their
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

# Below this many filters every phase is computed by ONE convolution with
# `strides**2 * filters` outputs, each phase's taps laid out on the union of
# the phases' windows (zeros elsewhere). A convolution with few output
# channels (a generator's RGB or grayscale output layer) keeps the CPU's vector
# units idle, and so does TensorFlow's transposed kernel: measured in the
# DCGAN step (1-channel output, 5x5 stride 2: 36 taps for 25 real ones), the
# whole step ran 1.11x faster in float32 than with the native transposed
# convolution this layer used before for so few filters.
_SINGLE_CONV_BELOW_FILTERS = 16


def _axis_phases(kernel_size, stride):
    """The stride-1 correlation each output phase of one axis computes.

    Returns one `(taps, (pad_before, pad_after))` per phase `b` in
    `[0, stride)`: window position `u` of phase `b` applies kernel tap
    `taps[u]` (or nothing when `taps[u] == kernel_size`, which indexes a zero
    appended to the kernel), and the input is zero-padded so that a "valid"
    correlation yields exactly the input's length.
    """
    k, s = kernel_size, stride
    # Leading padding of the "same" forward convolution that this transposed
    # convolution is the gradient of (input size s * H, output size H).
    p = max(k - s, 0) // 2
    phases = []
    for b in range(s):
        offsets = [(b + p - t) // s for t in range(k) if (t - p - b) % s == 0]
        # Keep offset 0 in the window so that neither padding is negative.
        # This only adds zero taps when k < s (phases with no tap at all).
        lo, hi = min(offsets + [0]), max(offsets + [0])
        taps = [b + p - s * d for d in range(lo, hi + 1)]
        taps = np.array([t if 0 <= t < k else k for t in taps])
        # Output a reads y[a + lo] .. y[a + hi]: pad -lo before, hi after.
        phases.append((taps, (-lo, hi)))
    return phases


def _widened_axis_phases(kernel_size, stride):
    """`_axis_phases` with every phase's window widened to their union.

    The extra window positions index the zero row (`kernel_size`), so each
    phase computes the same values over one shared window and padding.
    """
    phases = _axis_phases(kernel_size, stride)
    before = max(pad_before for _, (pad_before, _) in phases)
    after = max(pad_after for _, (_, pad_after) in phases)
    return [(np.pad(taps, (before - pad_before, after - pad_after),
                    constant_values=kernel_size), (before, after))
            for taps, (pad_before, pad_after) in phases]


def _conv_groups(kernel_size, strides, single=False):
    """Groups the 2D output phases into stride-1 convolutions.

    Returns a list of `(index, paddings)` in phase order, where `index` has
    shape `(Kh, Kw, num_phases)` and holds flat indices into the
    `(kh * kw + 1)`-row kernel whose last row is zero, and `paddings` is the
    explicit padding for `tf.nn.conv2d`. With `single=True` the phases'
    windows are widened to their union first, so all of them share ONE
    convolution (some of its taps multiply zeros).
    """
    (kh, kw), s = kernel_size, strides[0]
    axis_phases = _widened_axis_phases if single else _axis_phases
    rows, cols = axis_phases(kh, s), axis_phases(kw, s)
    phases = []  # In (row phase, column phase) order, as depth_to_space needs.
    for taps_h, pad_h in rows:
        for taps_w, pad_w in cols:
            valid = (taps_h[:, None] < kh) & (taps_w[None, :] < kw)
            index = np.where(valid, taps_h[:, None] * kw + taps_w[None, :], kh * kw)
            phases.append((index, [[0, 0], list(pad_h), list(pad_w), [0, 0]]))
    # Consecutive phases with the same window share a convolution (all of
    # them when both axes' windows coincide, one per row phase when only the
    # columns' do). Keeping runs consecutive keeps the channel order that
    # depth_to_space expects without any shuffling.
    groups = []
    for index, paddings in phases:
        if groups and groups[-1][1] == paddings:
            groups[-1][0].append(index)
        else:
            groups.append(([index], paddings))
    return [(np.stack(indices, axis=-1), paddings) for indices, paddings in groups]


@keras.saving.register_keras_serializable(package="keras_gans")
class SubPixelConv2DTranspose(keras.layers.Layer):
    """2D transposed convolution ("same" padding) computed via sub-pixel conv.

    A drop-in replacement for
    `keras.layers.Conv2DTranspose(filters, kernel_size, strides, padding="same")`
    that gives the same outputs (up to float rounding) but computes the
    forward pass as stride-1 convolutions (one per output phase, each with
    exactly that phase's taps, or a single one with `strides**2 * filters`
    output channels when all phases share a window) followed by
    `tf.nn.depth_to_space`, which is faster on CPU. The backward pass runs
    the same ops as `Conv2DTranspose`'s. With fewer than 16 filters all
    phases share one convolution over the union of their windows (some
    taps multiply zeros), which is faster for so few output channels.

    The `kernel` weight has the shape and layout of `Conv2DTranspose`'s
    kernel, `kernel_size + (filters, input_channels)`, and `bias` is
    `(filters,)`, so weights move freely between the two layers with
    `get_weights()` / `set_weights()`. The stride-1 kernels are gathered from
    `kernel` at every call (cheap next to the convolution), so training,
    regularizers and constraints all see the transposed-convolution kernel.

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
        self._conv_groups = _conv_groups(self.kernel_size, self.strides,
                                         single=self.filters < _SINGLE_CONV_BELOW_FILTERS)

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

    def _subpixel_conv_transpose(self, inputs, kernel):
        """The forward pass: stride-1 convolutions and depth_to_space."""
        kh, kw, filters, in_channels = kernel.shape
        rows = tf.reshape(kernel, (kh * kw, filters, in_channels))
        rows = tf.concat([rows, tf.zeros_like(rows[:1])], axis=0)
        outputs = []
        for index, paddings in self._conv_groups:
            # (Kh, Kw, phases, filters, in) -> (Kh, Kw, in, phases * filters).
            phase_kernel = tf.gather(rows, index.reshape(-1), axis=0)
            phase_kernel = tf.reshape(phase_kernel, index.shape + (filters, in_channels))
            phase_kernel = tf.transpose(phase_kernel, (0, 1, 4, 2, 3))
            phase_kernel = tf.reshape(
                phase_kernel, index.shape[:2] + (in_channels, index.shape[2] * filters)
            )
            outputs.append(tf.nn.conv2d(inputs, phase_kernel, strides=1, padding=paddings))
        outputs = outputs[0] if len(outputs) == 1 else tf.concat(outputs, axis=-1)
        # depth_to_space writes channel (bh * s + bw) * filters + f of pixel
        # (a, c) to channel f of output pixel (s*a + bh, s*c + bw).
        return tf.nn.depth_to_space(outputs, self.strides[0])

    def _conv_transpose(self, inputs, kernel):
        """`conv2d_transpose(inputs, kernel)` ("same"), differentiably."""
        s = self.strides[0]
        # In a graph, `tf.custom_gradient` registers its gradient in
        # TensorFlow's process-wide registry for good, pinning the traced
        # graph; `AdversarialModel`'s train and test functions release what
        # their traces registered (keras_gans.utils.tracing). A gradient
        # registered once by name cannot replace it: SavedModel export traces
        # registered gradients without their op.
        @tf.custom_gradient
        def conv_transpose(inputs, kernel):
            def grad(upstream):
                return _transposed_conv_gradients(upstream, inputs, kernel, s)

            return self._subpixel_conv_transpose(inputs, kernel), grad

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



def _transposed_conv_gradients(upstream, inputs, kernel, stride):
    """Gradients of `conv2d_transpose(inputs, kernel)` ("same", `stride`).

    Autodiff through the stride-1 convolutions would compute the input
    gradient with stride-1 *transposed* convolutions, the slow CPU kernel the
    layer exists to avoid. The gradients of a transposed convolution are a
    plain strided convolution (input) and a filter gradient (kernel): the ops
    `Conv2DTranspose`'s own backward pass runs, differentiable again for
    higher-order gradients.
    """
    strides = [1, stride, stride, 1]
    d_inputs = tf.nn.conv2d(upstream, kernel, strides=strides, padding="SAME")
    d_kernel = tf.raw_ops.Conv2DBackpropFilter(
        input=upstream, filter_sizes=tf.shape(kernel), out_backprop=inputs,
        strides=strides, padding="SAME")
    return d_inputs, d_kernel


def _pair(value, name):
    """`value` as a tuple of two ints; a single int is used for both axes."""
    if isinstance(value, (int, np.integer)):
        return (int(value), int(value))
    try:
        pair = tuple(int(v) for v in value)
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise ValueError(
            f"`{name}` must be an int or a tuple of 2 ints. Received: {name}={value!r}"
        )
    return pair
