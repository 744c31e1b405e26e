"""SelfAttention2D against a float64 numpy reference and its exact properties."""

import keras
import numpy as np
import pytest

from keras_gans.layers.attention import SelfAttention2D


def kernel(conv):
    return np.asarray(conv.kernel)[0, 0].astype(np.float64)  # [C_in, C_out]


def numpy_attention(x, layer):
    def pool(t):  # 2x2 max pooling
        b, h, w, c = t.shape
        return t.reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))

    b, h, w, c = x.shape
    f = (x @ kernel(layer.query)).reshape(b, h * w, -1)
    g = pool(x @ kernel(layer.key)).reshape(b, h * w // 4, -1)
    v = pool(x @ kernel(layer.value)).reshape(b, h * w // 4, -1)
    logits = f @ g.transpose(0, 2, 1)
    logits -= logits.max(-1, keepdims=True)
    beta = np.exp(logits)
    beta /= beta.sum(-1, keepdims=True)
    o = (beta @ v).reshape(b, h, w, c // 2) @ kernel(layer.out)
    return x + float(layer.gamma.numpy()) * o, beta


@pytest.fixture(scope="module")
def setup():
    keras.utils.set_random_seed(0)
    layer = SelfAttention2D(spectral_norm=False, kernel_initializer="random_normal")
    x = np.random.default_rng(0).normal(size=(2, 6, 4, 16))
    layer(x.astype(np.float32))
    return layer, x


def test_gamma_zero_is_the_identity(setup):
    layer, x = setup
    np.testing.assert_array_equal(layer(x.astype(np.float32)), x.astype(np.float32))


def test_matches_float64_numpy(setup):
    layer, x = setup
    layer.gamma.assign(0.7)
    try:
        ref, beta = numpy_attention(x, layer)
        np.testing.assert_allclose(layer(x.astype(np.float32)), ref, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(layer.attention_map(x.astype(np.float32)), beta, atol=1e-5)
    finally:
        layer.gamma.assign(0.0)


def test_softmax_is_over_the_keys(setup):
    layer, x = setup
    beta = np.asarray(layer.attention_map(x.astype(np.float32)))
    assert beta.shape == (2, 24, 6)  # 6x4 queries, 3x2 pooled keys
    np.testing.assert_allclose(beta.sum(-1), 1.0, atol=1e-5)
    assert not np.allclose(beta.sum(1), 1.0)


def test_spectral_norm_wraps_every_projection_and_saves():
    layer = SelfAttention2D()
    x = np.random.default_rng(1).normal(size=(1, 4, 4, 8)).astype(np.float32)
    inputs = keras.Input((4, 4, 8))
    model = keras.Model(inputs, layer(inputs))
    layer.gamma.assign(0.5)
    assert all(isinstance(c, keras.layers.SpectralNormalization)
               for c in (layer.query, layer.key, layer.value, layer.out))
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(x), model(x), atol=1e-6)


def test_bad_shapes_fail_at_the_door():
    with pytest.raises(ValueError, match="divisible by 8"):
        SelfAttention2D()(np.zeros((1, 4, 4, 12), np.float32))
    with pytest.raises(ValueError, match="even H and W"):
        SelfAttention2D()(np.zeros((1, 5, 4, 8), np.float32))
