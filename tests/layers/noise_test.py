"""NoiseInjection: explicit, seeded, constant and disabled noise; purity."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.layers.noise import NoiseInjection, stateless_noise


def built_layer(x, strength=1.0, **kwargs):
    layer = NoiseInjection(**kwargs)
    layer.build(x.shape)
    layer.strength.assign(np.broadcast_to(strength, layer.strength.shape))
    return layer


@pytest.fixture
def x(rng):
    return rng.normal(size=(3, 8, 8, 4)).astype("float32")


def test_strength_starts_at_zero(x):
    scalar = NoiseInjection()
    y = scalar(x, seed=np.arange(3))
    np.testing.assert_array_equal(y.numpy(), x)
    assert scalar.strength.shape == ()  # StyleGAN2: one scalar
    per_channel = NoiseInjection(per_channel=True)
    per_channel.build(x.shape)
    assert per_channel.strength.shape == (4,)  # StyleGAN: one per channel
    np.testing.assert_array_equal(per_channel.strength.numpy(), 0.0)


def test_same_seed_same_noise_different_seed_different_noise(x):
    layer = built_layer(x)
    a = layer(x, seed=np.array([1, 2, 3])).numpy()
    b = layer(x, seed=np.array([1, 2, 3])).numpy()
    c = layer(x, seed=np.array([1, 2, 4])).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[:2], c[:2])
    assert not np.allclose(a[2], c[2])
    # The noise is one image per sample, shared by all channels.
    noise = a - x
    np.testing.assert_allclose(noise, np.broadcast_to(noise[..., :1], noise.shape), atol=1e-6)


def test_sample_noise_does_not_depend_on_the_batch(x):
    layer = built_layer(x)
    full = layer(x, seed=np.array([5, 6, 7])).numpy()
    alone = layer(x[1:2], seed=np.array([6])).numpy()
    np.testing.assert_array_equal(full[1:2], alone)


def test_seed_offset_and_key_pairs_give_other_noise(x):
    base = built_layer(x)(x, seed=np.array([1, 2, 3])).numpy()
    other = built_layer(x, seed_offset=1)(x, seed=np.array([1, 2, 3])).numpy()
    assert not np.allclose(base, other)
    pairs = built_layer(x)(x, seed=np.array([[1, 0], [2, 0], [3, 9]])).numpy()
    # (batch,) seeds are the (batch, 2) keys (seed, 0): int64 split in halves.
    np.testing.assert_array_equal(pairs[:2], base[:2])
    assert not np.allclose(pairs[2], base[2])


def test_seeded_noise_is_standard_normal():
    noise = stateless_noise(tf.range(8), 64, 64).numpy()
    assert noise.shape == (8, 64, 64, 1)
    # 32768 samples: the mean has standard error 0.0055, the std 0.004.
    assert abs(noise.mean()) < 0.03 and abs(noise.std() - 1) < 0.02
    # Different samples get uncorrelated noise.
    assert abs(np.corrcoef(noise[0].ravel(), noise[1].ravel())[0, 1]) < 0.05


def test_explicit_noise_is_used_exactly(rng, x):
    layer = built_layer(x, strength=np.array([0.5, -1.0, 2.0, 0.0]), per_channel=True)
    noise = rng.normal(size=(3, 8, 8, 1)).astype("float32")
    expected = x + noise * np.array([0.5, -1.0, 2.0, 0.0], "float32")
    np.testing.assert_array_equal(layer(x, noise=noise).numpy(), expected)
    # Explicit noise wins over a seed and over the mode.
    np.testing.assert_array_equal(layer(x, noise=noise, seed=np.arange(3)).numpy(), expected)
    off = built_layer(x, strength=np.array([0.5, -1.0, 2.0, 0.0]), per_channel=True, mode="none")
    np.testing.assert_array_equal(off(x, noise=noise).numpy(), expected)


def test_mode_none_adds_nothing(x):
    layer = built_layer(x, mode="none")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, seed=np.arange(3)).numpy(), x)


def test_mode_const_uses_the_stored_noise(x):
    layer = built_layer(x, strength=2.0, mode="const")
    assert not layer.const_noise.trainable
    assert layer.const_noise.shape == (1, 8, 8, 1)
    y = layer(x).numpy()
    np.testing.assert_allclose(y, x + 2.0 * layer.const_noise.numpy(), rtol=1e-6)
    # The same image for every sample and every call.
    np.testing.assert_allclose((y - x)[0], (y - x)[2], atol=1e-6)
    np.testing.assert_array_equal(layer(x).numpy(), y)


def test_random_mode_without_seed_or_noise_raises(x):
    with pytest.raises(ValueError, match="never draws noise from hidden random state"):
        built_layer(x)(x)


def test_traced_graph_is_a_pure_function_of_its_inputs(x):
    layer = built_layer(x)
    fn = tf.function(
        lambda x, seed: layer(x, seed=seed),
        input_signature=[tf.TensorSpec([None, 8, 8, 4]), tf.TensorSpec([None], tf.int64)],
    )
    graph_def = fn.get_concrete_function().graph.as_graph_def()
    ops = {node.op for node in graph_def.node}
    for body in graph_def.library.function:  # map_fn's loop body
        ops |= {node.op for node in body.node_def}
    stateful_random = {op for op in ops if "Random" in op and "Stateless" not in op}
    assert not stateful_random, stateful_random
    assert any("Stateless" in op for op in ops)
    seed = np.array([3, 4, 5])
    np.testing.assert_array_equal(fn(x, seed).numpy(), fn(x, seed).numpy())
    np.testing.assert_array_equal(fn(x, seed).numpy(), layer(x, seed=seed).numpy())


def test_saved_model_replays_the_same_noise_for_the_same_seed(tmp_path, x):
    layer = built_layer(x)
    module = tf.Module()
    module.layer = layer
    module.generate = tf.function(
        lambda x, seed: layer(x, seed=seed),
        input_signature=[tf.TensorSpec([None, 8, 8, 4]), tf.TensorSpec([None], tf.int64)],
    )
    tf.saved_model.save(module, str(tmp_path))
    seed = np.array([10, 11, 12])
    expected = layer(x, seed=seed).numpy()
    for _ in range(2):  # every reload: same outputs, independent of history
        loaded = tf.saved_model.load(str(tmp_path))
        np.testing.assert_array_equal(loaded.generate(x, seed).numpy(), expected)
        np.testing.assert_array_equal(loaded.generate(x, seed).numpy(), expected)


def test_functional_model_with_seed_input(x):
    images = keras.Input((8, 8, 4))
    seeds = keras.Input((), dtype="int64")
    layer = NoiseInjection(seed_offset=2)
    model = keras.Model([images, seeds], layer(images, seed=seeds))
    layer.strength.assign(1.0)
    seed = np.array([1, 2, 3])
    np.testing.assert_array_equal(
        model.predict([x, seed], verbose=0), layer(x, seed=seed).numpy()
    )


@pytest.mark.parametrize(
    "kwargs",
    [dict(mode="random", seed_offset=7), dict(mode="const", per_channel=True), dict(mode="none")],
)
def test_config_round_trip(rng, x, kwargs):
    layer = NoiseInjection(**kwargs)
    layer.build(x.shape)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    seed = np.array([1, 2, 3])
    y = layer(x, seed=seed).numpy()
    config = layer.get_config()
    json.dumps(config)
    for clone in (
        type(layer).from_config(config),
        keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer)),
    ):
        if not clone.built:  # deserialize_keras_object builds from build_config
            clone.build(x.shape)
        clone.set_weights(layer.get_weights())
        np.testing.assert_array_equal(clone(x, seed=seed).numpy(), y)
