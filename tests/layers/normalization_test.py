"""Pixel norm and AdaIN against float64 numpy references."""

import json

import keras
import numpy as np
import pytest

from keras_gans.layers.equalized import EqualizedDense
from keras_gans.layers.normalization import (
    AdaptiveInstanceNormalization,
    PixelNormalization,
    instance_normalize,
)


def instance_norm_reference(x, eps=1e-8):
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=(1, 2), keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def test_pixel_norm_gives_unit_mean_square_over_channels(rng):
    x = rng.normal(size=(2, 4, 5, 8)) * rng.uniform(0.1, 10, size=(2, 4, 5, 1))
    y = PixelNormalization(dtype="float64")(x).numpy()
    mean_square = (x**2).mean(axis=-1)
    # 1 up to epsilon: exactly ms / (ms + 1e-8), within 1e-5 of 1 here.
    np.testing.assert_allclose((y**2).mean(axis=-1), mean_square / (mean_square + 1e-8), rtol=1e-12)
    np.testing.assert_allclose((y**2).mean(axis=-1), 1.0, rtol=1e-5)
    expected = x / np.sqrt((x**2).mean(axis=-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    # Direction is kept: y is a positive multiple of x at every pixel.
    ratio = y / x
    np.testing.assert_allclose(ratio, ratio[..., :1] * np.ones_like(ratio), rtol=1e-10)


def test_pixel_norm_on_latents_and_epsilon(rng):
    z = rng.normal(size=(4, 16))
    y = PixelNormalization(dtype="float64")(z).numpy()
    np.testing.assert_allclose((y**2).mean(axis=-1), 1.0, rtol=1e-7)
    # epsilon keeps an all-zero vector finite (and zero).
    zero = PixelNormalization(dtype="float64")(np.zeros((1, 4))).numpy()
    np.testing.assert_array_equal(zero, 0.0)


def test_adain_with_identity_style_is_instance_norm(rng):
    x = rng.normal(size=(2, 5, 4, 3)) * 3 + 1
    styles = np.concatenate([np.ones((2, 3)), np.zeros((2, 3))], axis=1)
    y = AdaptiveInstanceNormalization(dtype="float64")([x, styles]).numpy()
    np.testing.assert_allclose(y, instance_norm_reference(x), atol=1e-12)
    np.testing.assert_allclose(
        instance_normalize(x).numpy(), instance_norm_reference(x), atol=1e-12
    )


def test_adain_applies_per_sample_scale_and_bias(rng):
    x = rng.normal(size=(2, 5, 4, 3))
    ys, yb = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    y = AdaptiveInstanceNormalization(dtype="float64")([x, np.concatenate([ys, yb], 1)])
    expected = ys[:, None, None, :] * instance_norm_reference(x) + yb[:, None, None, :]
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-12)


def test_adain_affine_recipe_starts_as_identity_style(rng):
    # The docstring's affine: zero weights leave only the bias, 1 for the
    # scales and 0 for the biases, i.e. plain instance normalization.
    channels = 3
    affine = EqualizedDense(
        2 * channels, gain=1.0, bias_init=[1.0] * channels + [0.0] * channels,
        dtype="float64",
    )
    w = rng.normal(size=(2, 8))
    affine.build(w.shape)
    affine.kernel.assign(np.zeros(affine.kernel.shape))
    x = rng.normal(size=(2, 4, 4, channels))
    y = AdaptiveInstanceNormalization(dtype="float64")([x, affine(w)]).numpy()
    np.testing.assert_allclose(y, instance_norm_reference(x), atol=1e-12)


def test_adain_rejects_wrong_style_width(rng):
    with pytest.raises(ValueError, match="2 \\* channels"):
        AdaptiveInstanceNormalization()([np.zeros((1, 2, 2, 3)), np.zeros((1, 3))])


@pytest.mark.parametrize(
    "layer, inputs",
    [
        (PixelNormalization(epsilon=1e-4), lambda r: r.normal(size=(2, 3, 3, 4))),
        (PixelNormalization(axis=1), lambda r: r.normal(size=(2, 5))),
        (AdaptiveInstanceNormalization(epsilon=1e-5),
         lambda r: [r.normal(size=(2, 3, 3, 4)), r.normal(size=(2, 8))]),
    ],
)
def test_config_round_trip(rng, layer, inputs):
    x = inputs(rng)
    y = layer(x).numpy()
    config = layer.get_config()
    json.dumps(config)
    np.testing.assert_array_equal(type(layer).from_config(config)(x).numpy(), y)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer)
    np.testing.assert_array_equal(restored(x).numpy(), y)
