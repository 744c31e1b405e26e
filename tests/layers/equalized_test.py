"""Equalized learning-rate layers against float64 numpy references."""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.layers import filters as fir
from keras_gans.layers.equalized import (
    BiasActivation,
    EqualizedConv2D,
    EqualizedDense,
    bias_act,
)


def lrelu(x):
    return np.where(x >= 0, x, 0.2 * x)


def conv2d_reference(x, w, padding="same"):
    """Direct correlation (what tf.nn.conv2d computes), float64."""
    k = w.shape[0]
    if padding == "same":
        x = np.pad(x, ((0, 0), (k // 2, k // 2), (k // 2, k // 2), (0, 0)))
    h, wd = x.shape[1] - k + 1, x.shape[2] - k + 1
    out = np.zeros((x.shape[0], h, wd, w.shape[3]))
    for dy in range(k):
        for dx in range(k):
            out += np.einsum("bhwi,io->bhwo", x[:, dy : dy + h, dx : dx + wd], w[dy, dx])
    return out


def assert_config_round_trip(layer, x):
    y = layer(x).numpy()
    config = layer.get_config()
    json.dumps(config)
    clone = type(layer).from_config(config)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x).numpy(), y)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    restored(x)
    restored.set_weights(layer.get_weights())
    np.testing.assert_array_equal(restored(x).numpy(), y)


@pytest.mark.parametrize("lr", [1.0, 0.01])
def test_runtime_scale_is_he_constant_times_lr(lr):
    dense = EqualizedDense(4, lr_multiplier=lr)
    dense.build((None, 50))
    assert dense.runtime_scale == pytest.approx(math.sqrt(2 / 50) * lr, rel=1e-12)
    conv = EqualizedConv2D(4, 3, lr_multiplier=lr)
    conv.build((None, 8, 8, 6))
    assert conv.runtime_scale == pytest.approx(math.sqrt(2 / (3 * 3 * 6)) * lr, rel=1e-12)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda lr: EqualizedDense(512, lr_multiplier=lr), (None, 512)),
        (lambda lr: EqualizedConv2D(64, 3, lr_multiplier=lr), (None, 4, 4, 64)),
    ],
)
@pytest.mark.parametrize("lr", [1.0, 0.01])
def test_stored_weights_are_normal_with_std_one_over_lr(make, shape, lr):
    keras.utils.set_random_seed(1)
    layer = make(lr)
    layer.build(shape)
    w = layer.kernel.numpy().ravel() * lr  # should be N(0, 1)
    n = w.size  # 262144 (dense) or 36864 (conv) samples
    # The sample std of n normals has standard error ~ 1 / sqrt(2n) (0.14% /
    # 0.37%); 2% is > 5 standard errors yet rejects He-scaled (std 0.06) or
    # truncated-normal (std 0.88) initializations by far.
    assert abs(w.std() - 1.0) < 0.02
    assert abs(w.mean()) < 5 / math.sqrt(n)
    # Not truncated: a N(0, 1) sample this large has values beyond 3.5 sigma.
    assert np.abs(w).max() > 3.5
    # The runtime weights then have exactly He's std sqrt(2 / fan_in).
    runtime = layer.runtime_kernel().numpy()
    fan_in = np.prod(layer.kernel.shape[:-1])
    assert abs(runtime.std() / math.sqrt(2 / fan_in) - 1) < 0.02


def test_bias_is_stored_divided_by_lr():
    layer = EqualizedDense(3, lr_multiplier=0.01, bias_init=[1.0, 0.0, -2.0])
    layer.build((None, 4))
    np.testing.assert_allclose(layer.bias.numpy(), [100.0, 0.0, -200.0])
    np.testing.assert_allclose(layer.runtime_bias().numpy(), [1.0, 0.0, -2.0], rtol=1e-6)


def test_dense_matches_numpy(rng):
    layer = EqualizedDense(
        5, lr_multiplier=0.1, activation="lrelu", activation_gain=1.5, clamp=0.8,
        dtype="float64",
    )
    x = rng.normal(size=(3, 7))
    layer.build(x.shape)
    w, b = rng.normal(size=(7, 5)), rng.normal(size=(5,))
    layer.set_weights([w, b])
    scale = math.sqrt(2 / 7) * 0.1
    expected = np.clip(lrelu(x @ (w * scale) + b * 0.1) * 1.5, -0.8, 0.8)
    np.testing.assert_allclose(layer(x).numpy(), expected, atol=1e-12)
    # Acts on the last axis of higher-rank inputs, like keras.layers.Dense.
    x3 = rng.normal(size=(2, 3, 7))
    np.testing.assert_allclose(
        layer(x3).numpy(), np.clip(lrelu(x3 @ (w * scale) + b * 0.1) * 1.5, -0.8, 0.8),
        atol=1e-12,
    )


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv_matches_numpy(rng, padding):
    layer = EqualizedConv2D(4, 3, padding=padding, activation="relu", dtype="float64")
    x = rng.normal(size=(2, 6, 5, 3))
    layer.build(x.shape)
    w, b = rng.normal(size=(3, 3, 3, 4)), rng.normal(size=(4,))
    layer.set_weights([w, b])
    expected = np.maximum(conv2d_reference(x, w * math.sqrt(2 / 27), padding) + b, 0)
    np.testing.assert_allclose(layer(x).numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("up, down", [(2, 1), (1, 2)])
def test_up_and_down_convs_use_the_fir_ops(rng, up, down):
    layer = EqualizedConv2D(3, 3, up=up, down=down, use_bias=False, dtype="float64")
    x = rng.normal(size=(2, 4, 4, 2))
    y = layer(x).numpy()
    weight = layer.runtime_kernel().numpy()
    op = fir.upsample_conv_2d if up > 1 else fir.conv_downsample_2d
    np.testing.assert_allclose(y, op(x, weight).numpy(), atol=1e-12)
    assert y.shape == (2, 4 * up // down, 4 * up // down, 3)
    assert layer.compute_output_shape(x.shape) == y.shape


def test_progan_and_stylegan2_gain_conventions_agree(rng):
    # lrelu is positively homogeneous, so the sqrt(2) may sit on the weights
    # or after the activation (with zero bias): both docstring recipes agree.
    x = rng.normal(size=(2, 5, 5, 3))
    progan = EqualizedConv2D(4, 3, activation="lrelu", dtype="float64")
    stylegan2 = EqualizedConv2D(
        4, 3, gain=1.0, activation="lrelu", activation_gain=math.sqrt(2), dtype="float64"
    )
    progan.build(x.shape)
    stylegan2.build(x.shape)
    stylegan2.set_weights(progan.get_weights())
    np.testing.assert_allclose(progan(x).numpy(), stylegan2(x).numpy(), atol=1e-12)


def test_bias_activation_matches_numpy(rng):
    layer = BiasActivation(
        lr_multiplier=0.5, activation="lrelu", activation_gain=math.sqrt(2), dtype="float64"
    )
    x = rng.normal(size=(2, 3, 3, 4))
    layer.build(x.shape)
    b = rng.normal(size=(4,))
    layer.set_weights([b])
    np.testing.assert_allclose(
        layer(x).numpy(), lrelu(x + 0.5 * b) * math.sqrt(2), atol=1e-12
    )
    np.testing.assert_allclose(
        bias_act(tf.constant(x), activation="linear", clamp=0.1).numpy(),
        np.clip(x, -0.1, 0.1),
    )


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="activation"):
        EqualizedDense(3, activation="gelu")
    with pytest.raises(ValueError, match="up/down"):
        EqualizedConv2D(3, 3, up=2, down=2)
    with pytest.raises(ValueError, match="odd"):
        EqualizedConv2D(3, 4, down=2)
    with pytest.raises(ValueError, match="lr_multiplier"):
        EqualizedDense(3, lr_multiplier=0)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (EqualizedDense(6, lr_multiplier=0.01, bias_init=[1, 2, 3, 4, 5, 6],
                        activation="lrelu", activation_gain=2.0, clamp=5.0), (2, 4)),
        (EqualizedConv2D(5, 3, gain=1.0, up=2, resample_kernel=[1, 2, 1],
                         use_bias=False), (2, 4, 4, 3)),
        (EqualizedConv2D(5, 1, down=2, resample_kernel=None, bias_init=0.5), (2, 4, 4, 3)),
        (BiasActivation(lr_multiplier=0.1, bias_init=0.3, activation="relu", clamp=1.0),
         (2, 4, 4, 3)),
    ],
)
def test_config_round_trip(rng, layer, shape):
    x = rng.normal(size=shape).astype("float32")
    layer(x)
    # Randomize every weight so that copying them is actually tested.
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    assert_config_round_trip(layer, x)
