"""FIR resampling against float64 references built on scipy.signal."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import signal

from keras_gans.layers.filters import (
    Blur2D,
    FIRDownsample2D,
    FIRUpsample2D,
    blur_2d,
    conv_downsample_2d,
    downsample_2d,
    setup_filter,
    upfirdn_2d,
    upsample_2d,
    upsample_conv_2d,
)

BINOMIAL = np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64.0


def per_channel(fn, x):
    """Applies a 2D numpy function to every (sample, channel) image."""
    out = [[fn(x[b, :, :, c]) for c in range(x.shape[3])] for b in range(x.shape[0])]
    return np.moveaxis(np.asarray(out), 1, -1)


def zero_insert(x, factor=2):
    n, h, w, c = x.shape
    u = np.zeros((n, h * factor, w * factor, c))
    u[:, ::factor, ::factor] = x
    return u


def test_setup_filter_is_normalized_outer_product():
    np.testing.assert_allclose(setup_filter([1, 3, 3, 1]), BINOMIAL)
    np.testing.assert_allclose(setup_filter([1, 3, 3, 1], gain=4).sum(), 4.0)
    with pytest.raises(ValueError, match="sum to zero"):
        setup_filter([1, -1])
    with pytest.raises(ValueError, match="square"):
        setup_filter(np.ones((2, 3)))


def test_box_kernel_upsampling_is_nearest_neighbour(rng):
    x = rng.normal(size=(2, 3, 4, 2))
    expected = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)
    np.testing.assert_allclose(upsample_2d(x, kernel=None).numpy(), expected, atol=1e-12)


def test_box_kernel_downsampling_is_average_pooling(rng):
    x = rng.normal(size=(2, 4, 6, 3))
    expected = x.reshape(2, 2, 2, 3, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(downsample_2d(x, kernel=None).numpy(), expected, atol=1e-12)


def test_blur_matches_scipy_convolution(rng):
    x = rng.normal(size=(2, 6, 5, 2))
    # Even kernel: 3 pixels of padding, 2 before and 1 after, so output i is
    # the full convolution at i + (taps - 1) - 2 = i + 1.
    full = per_channel(lambda im: signal.convolve2d(im, BINOMIAL, mode="full"), x)
    np.testing.assert_allclose(blur_2d(x).numpy(), full[:, 1:7, 1:6], atol=1e-12)
    # Odd kernel: symmetric padding, scipy's "same".
    k = setup_filter([1, 2, 1])
    same = per_channel(lambda im: signal.convolve2d(im, k, mode="same"), x)
    np.testing.assert_allclose(blur_2d(x, [1, 2, 1]).numpy(), same, atol=1e-12)


def test_upfirdn_is_a_true_convolution(rng):
    # An asymmetric kernel tells convolution from correlation.
    x = rng.normal(size=(1, 5, 5, 1))
    k = np.array([[1.0, 2.0], [3.0, 5.0]])
    full = signal.convolve2d(x[0, :, :, 0], k, mode="full")
    got = upfirdn_2d(x, k, padding=(1, 0)).numpy()[0, :, :, 0]
    np.testing.assert_allclose(got, full[:5, :5], atol=1e-12)


def test_upsample_and_downsample_match_scipy(rng):
    x = rng.normal(size=(2, 4, 4, 2))
    # upsample_2d pads (2, 1): output i is the full convolution at i + 1.
    full = per_channel(lambda im: signal.convolve2d(im, 4 * BINOMIAL, mode="full"), zero_insert(x))
    np.testing.assert_allclose(upsample_2d(x).numpy(), full[:, 1:9, 1:9], atol=1e-12)
    # downsample_2d pads (1, 1): output j is the full convolution at 2j + 2.
    y = rng.normal(size=(2, 8, 8, 2))
    full = per_channel(lambda im: signal.convolve2d(im, BINOMIAL, mode="full"), y)
    np.testing.assert_allclose(downsample_2d(y).numpy(), full[:, 2:10:2, 2:10:2], atol=1e-12)


def test_upsample_is_adjoint_of_downsample(rng):
    # <up(x), y> = factor^2 <x, down(y)> holds only if the two paddings are
    # mirror images, i.e. both ops are centred on the same pixel grid.
    x = rng.normal(size=(2, 5, 5, 3))
    y = rng.normal(size=(2, 10, 10, 3))
    lhs = np.sum(upsample_2d(x).numpy() * y)
    rhs = 4 * np.sum(x * downsample_2d(y).numpy())
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def upsample_then_conv_reference(x, w):
    """FIR-upsample x, then "same"-correlate with w, never truncating between.

    Signals are (array, origin): array index n holds pixel n - origin.
    """
    k = w.shape[0]
    up = per_channel(lambda im: signal.convolve2d(im, 4 * BINOMIAL, mode="full"), zero_insert(x))
    origin = 1  # upsample_2d keeps full-convolution samples 1 .. 2H.
    n, size = x.shape[0], 2 * x.shape[1]
    out = np.zeros((n, size, size, w.shape[3]))
    for b in range(n):
        for o in range(w.shape[3]):
            acc = sum(
                signal.correlate2d(up[b, :, :, i], w[:, :, i, o], mode="full")
                for i in range(w.shape[2])
            )
            # "same" correlation output p = full correlation at p + origin + k // 2.
            start = origin + k // 2
            out[b, :, :, o] = acc[start : start + size, start : start + size]
    return out


def conv_then_downsample_reference(x, w):
    """"Same"-correlate x with w, then FIR-downsample, never truncating between."""
    k = w.shape[0]
    n, size = x.shape[0], x.shape[1] // 2
    out = np.zeros((n, size, size, w.shape[3]))
    for b in range(n):
        for o in range(w.shape[3]):
            conv = sum(
                signal.correlate2d(x[b, :, :, i], w[:, :, i, o], mode="full")
                for i in range(w.shape[2])
            )
            origin = k // 2
            full = signal.convolve2d(conv, BINOMIAL, mode="full")
            # downsample_2d keeps full-convolution samples 2j + 2 of pixels.
            start = 2 + origin
            out[b, :, :, o] = full[start : start + 2 * size : 2, start : start + 2 * size : 2]
    return out


@pytest.mark.parametrize("kernel_size", [1, 3])
def test_upsample_conv_equals_upsample_then_conv(rng, kernel_size):
    x = rng.normal(size=(2, 4, 4, 2))
    w = rng.normal(size=(kernel_size, kernel_size, 2, 3))
    got = upsample_conv_2d(x, w).numpy()
    np.testing.assert_allclose(got, upsample_then_conv_reference(x, w), atol=1e-10)
    # Away from the border it is literally upsample_2d then a "same" conv.
    naive = tf.nn.conv2d(upsample_2d(x), w, strides=1, padding="SAME").numpy()
    np.testing.assert_allclose(got[:, 2:-2, 2:-2], naive[:, 2:-2, 2:-2], atol=1e-10)


@pytest.mark.parametrize("kernel_size", [1, 3])
def test_conv_downsample_equals_conv_then_downsample(rng, kernel_size):
    x = rng.normal(size=(2, 8, 8, 2))
    w = rng.normal(size=(kernel_size, kernel_size, 2, 3))
    got = conv_downsample_2d(x, w).numpy()
    np.testing.assert_allclose(got, conv_then_downsample_reference(x, w), atol=1e-10)


def test_second_order_gradients_exist(rng):
    # R1 / path-length penalties differentiate through input gradients.
    x = tf.constant(rng.normal(size=(1, 4, 4, 2)))
    w = tf.Variable(rng.normal(size=(3, 3, 2, 2)))
    for op in (upsample_conv_2d, conv_downsample_2d):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = tf.reduce_sum(tf.square(op(x, w)))
            penalty = tf.reduce_sum(tf.square(inner.gradient(y, x)))
        grad = outer.gradient(penalty, w)
        assert grad is not None and np.all(np.isfinite(grad.numpy()))


def test_dynamic_spatial_shapes(rng):
    fn = tf.function(
        lambda x: upsample_2d(downsample_2d(x)),
        input_signature=[tf.TensorSpec([None, None, None, 2], tf.float64)],
    )
    x = rng.normal(size=(1, 8, 6, 2))
    np.testing.assert_allclose(fn(x).numpy(), upsample_2d(downsample_2d(x)).numpy())


@pytest.mark.parametrize(
    "layer, fn",
    [
        (Blur2D([1, 2, 1], gain=2.0), lambda x: blur_2d(x, [1, 2, 1], gain=2.0)),
        (Blur2D(padding=(0, 0)), lambda x: blur_2d(x, padding=(0, 0))),
        (FIRUpsample2D(factor=2), upsample_2d),
        (FIRDownsample2D(kernel=None), lambda x: downsample_2d(x, kernel=None)),
    ],
)
def test_layers_and_config_round_trip(rng, layer, fn):
    x = rng.normal(size=(2, 8, 8, 3)).astype("float32")
    y = layer(x).numpy()
    np.testing.assert_allclose(y, fn(x).numpy(), atol=1e-6)
    config = layer.get_config()
    json.dumps(config)
    clone = type(layer).from_config(config)
    np.testing.assert_array_equal(clone(x).numpy(), y)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer)
    np.testing.assert_array_equal(restored(x).numpy(), y)
