"""StyleGAN's fused resampling convolutions against float64 numpy formulas."""

import numpy as np
import pytest
import tensorflow as tf

import keras

from keras_gans.layers.fused_scale import FusedConv2DDownsample, FusedUpsampleConv2D


def conv_same(x, w):
    """NHWC 'same' correlation in float64."""
    k = w.shape[0]
    p = k // 2
    h, wd = x.shape[1:3]
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    return sum(np.einsum("nhwc,co->nhwo", xp[:, i:i + h, j:j + wd], w[i, j])
               for i in range(k) for j in range(k))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((2, 6, 6, 3)), rng.standard_normal((3, 3, 3, 4))


def _with_kernel(layer, x, w):
    layer.build(x.shape)
    layer.kernel.assign(w)
    return layer.runtime_scale * w


def test_fused_downsample_is_conv_then_average_pooling(data):
    x, w = data
    layer = FusedConv2DDownsample(4, 3, use_bias=False)
    runtime = _with_kernel(layer, x, w)
    y = conv_same(x, runtime)
    expected = (y[:, ::2, ::2] + y[:, 1::2, ::2] + y[:, ::2, 1::2] + y[:, 1::2, 1::2]) / 4
    np.testing.assert_allclose(layer(tf.constant(x, tf.float32)), expected, atol=1e-5)
    assert layer.runtime_scale == pytest.approx(np.sqrt(2) / np.sqrt(27))


def test_fused_upsample_is_nearest_then_the_flipped_conv(data):
    x, w = data
    layer = FusedUpsampleConv2D(4, 3, use_bias=False)
    runtime = _with_kernel(layer, x, w)
    up = x.repeat(2, axis=1).repeat(2, axis=2)
    got = layer(tf.constant(x, tf.float32)).numpy()
    assert got.shape == (2, 12, 12, 4)
    np.testing.assert_allclose(got, conv_same(up, runtime[::-1, ::-1]), atol=1e-5)
    assert np.abs(got - conv_same(up, runtime)).max() > 0.1  # not the unflipped kernel


def test_config_round_trip_and_bad_arguments(data):
    x, w = data
    layer = FusedUpsampleConv2D(4, 3, activation="lrelu", name="up")
    layer(tf.constant(x, tf.float32))
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(clone) is FusedUpsampleConv2D and clone.activation == "lrelu"
    with pytest.raises(ValueError, match="resamples by 2 itself"):
        FusedConv2DDownsample(4, 3, down=2)
    with pytest.raises(ValueError, match="odd kernel_size"):
        FusedUpsampleConv2D(4, 2)
