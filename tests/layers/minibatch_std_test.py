"""Minibatch standard deviation against an explicit numpy loop."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.layers.minibatch_std import MinibatchStandardDeviation


def minibatch_std_reference(x, group_size, num_features, eps=1e-8):
    """Loops over samples: sample n shares a group with n +- k * (N / G)."""
    n, h, w, c = x.shape
    g = min(group_size, n)
    m = n // g
    per_slice = c // num_features
    stats = np.zeros((n, num_features))
    for i in range(n):
        members = x[np.arange(i % m, n, m)]  # the G samples of i's group
        assert len(members) == g
        std = np.sqrt(members.var(axis=0) + eps)  # biased variance, [H, W, C]
        for f in range(num_features):
            stats[i, f] = std[:, :, f * per_slice : (f + 1) * per_slice].mean()
    appended = np.broadcast_to(stats[:, None, None, :], (n, h, w, num_features))
    return np.concatenate([x, appended], axis=-1)


@pytest.mark.parametrize(
    "batch, group_size, num_features",
    [(8, 4, 1), (8, 2, 2), (4, 4, 1), (3, 4, 1), (6, 3, 3)],
)
def test_matches_numpy(rng, batch, group_size, num_features):
    x = rng.normal(size=(batch, 3, 4, 6)) * rng.uniform(0.5, 2, size=(batch, 1, 1, 6))
    layer = MinibatchStandardDeviation(group_size, num_features, dtype="float64")
    y = layer(x).numpy()
    np.testing.assert_allclose(y, minibatch_std_reference(x, group_size, num_features), atol=1e-12)
    # Dynamic batch size (graph mode) takes the other code path.
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, 3, 4, 6], tf.float64)])
    np.testing.assert_allclose(fn(x).numpy(), y, atol=1e-12)


def test_identical_samples_give_sqrt_epsilon():
    x = np.ones((4, 2, 2, 3))
    y = MinibatchStandardDeviation(dtype="float64")(x).numpy()
    np.testing.assert_allclose(y[..., -1], 1e-4, rtol=1e-9)
    np.testing.assert_array_equal(y[..., :3], x)


def test_indivisible_batch_raises_clear_error():
    layer = MinibatchStandardDeviation(group_size=4)
    with pytest.raises(ValueError, match="batch size 6 must be at most group_size=4"):
        layer(np.zeros((6, 2, 2, 2), "float32"))
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, 2, 2, 2], tf.float32)])
    with pytest.raises(tf.errors.InvalidArgumentError, match="group_size=4"):
        fn(np.zeros((6, 2, 2, 2), "float32"))


def test_channels_must_split_into_features():
    with pytest.raises(ValueError, match="divisible by num_features=4"):
        MinibatchStandardDeviation(num_features=4)(np.zeros((4, 2, 2, 6), "float32"))


def test_functional_model_and_config_round_trip(rng):
    inputs = keras.Input((4, 4, 8))
    layer = MinibatchStandardDeviation(group_size=2, num_features=2, epsilon=1e-6)
    model = keras.Model(inputs, layer(inputs))
    assert model.output_shape == (None, 4, 4, 10)
    x = rng.normal(size=(6, 4, 4, 8)).astype("float32")
    y = model.predict(x, verbose=0)
    config = layer.get_config()
    json.dumps(config)
    np.testing.assert_array_equal(type(layer).from_config(config)(x).numpy(), y)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    np.testing.assert_array_equal(restored(x).numpy(), y)
