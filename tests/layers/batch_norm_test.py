"""`keras_gans.layers.BatchNormalization` (fused) against Keras's BatchNormalization and a float64 formula."""

import numpy as np
import pytest
import tensorflow as tf

import keras
from keras_gans.layers.batch_norm import BatchNormalization as FusedBatchNormalization
from keras_gans.testing.distribute import two_device_strategy

SHAPE = (8, 5, 4, 3)
OPTIONS = dict(momentum=0.9, epsilon=1e-5, synchronized=True)


def _pair(rng):
    """The fused layer and Keras's, with the same random weights and statistics."""
    fused = FusedBatchNormalization(**OPTIONS)
    plain = keras.layers.BatchNormalization(**OPTIONS)
    for layer in (fused, plain):
        layer.build(SHAPE)
    weights = [rng.normal(size=3) + 1.0, rng.normal(size=3), rng.normal(size=3),
               rng.uniform(0.5, 2.0, size=3)]
    fused.set_weights(weights)
    plain.set_weights(weights)
    return fused, plain, weights


def _train_call(layer, x, upstream):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        loss = tf.reduce_sum(y * upstream)
    return [y] + tape.gradient(loss, [x, layer.gamma, layer.beta])


def _op_types(function, *args):
    return {op.type for op in function.get_concrete_function(*args).graph.get_operations()}


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_training_step_matches_keras_and_float64_formula(rng, graph):
    fused, plain, (gamma, beta, moving_mean, moving_var) = _pair(rng)
    x = tf.constant(rng.normal(2.0, 3.0, size=SHAPE), tf.float32)
    upstream = tf.constant(rng.normal(size=SHAPE), tf.float32)
    run = tf.function(_train_call) if graph else _train_call
    got = run(fused, x, upstream)
    want = _train_call(plain, x, upstream)
    for name, g, w in zip(["y", "d_x", "d_gamma", "d_beta"], got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4, err_msg=name)
    # Float64: the biased batch variance normalizes and enters the moving average.
    x64 = x.numpy().astype("float64").reshape(-1, 3)
    mean, var = x64.mean(0), x64.var(0)
    np.testing.assert_allclose(got[0].numpy().reshape(-1, 3),
                               gamma * (x64 - mean) / np.sqrt(var + 1e-5) + beta,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(fused.moving_mean, 0.9 * moving_mean + 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(fused.moving_variance, 0.9 * moving_var + 0.1 * var, rtol=1e-5)
    if graph:
        assert "FusedBatchNormV3" in _op_types(run, fused, x, upstream)


def test_second_order_gradient_matches_keras(rng):
    # A gradient penalty differentiates d(output)/d(input) again.
    fused, plain, _ = _pair(rng)
    x = tf.constant(rng.normal(size=SHAPE), tf.float32)
    upstream = tf.constant(rng.normal(size=SHAPE), tf.float32)

    @tf.function
    def penalty_gradient(layer):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                loss = tf.reduce_sum(tf.tanh(layer(x, training=True)) * upstream)
            d_x = inner.gradient(loss, x)
            penalty = tf.reduce_sum(d_x ** 2)
        return outer.gradient(penalty, [layer.gamma, layer.beta])

    for got, want in zip(penalty_gradient(fused), penalty_gradient(plain)):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)


def test_inference_uses_moving_statistics_like_keras(rng):
    fused, plain, _ = _pair(rng)
    x = rng.normal(size=SHAPE).astype("float32")
    np.testing.assert_allclose(fused(x, training=False), plain(x, training=False), atol=1e-6)


def test_bfloat16_stays_bfloat16_with_float32_statistics(rng):
    fused, plain, _ = _pair(rng)
    fused_bf16 = FusedBatchNormalization(**OPTIONS, dtype="mixed_bfloat16")
    fused_bf16.build(SHAPE)
    fused_bf16.set_weights(fused.get_weights())
    x = rng.normal(size=SHAPE).astype("float32")
    y = fused_bf16(tf.cast(x, tf.bfloat16), training=True)
    assert y.dtype == tf.bfloat16
    assert fused_bf16.moving_mean.dtype == "float32"
    np.testing.assert_allclose(tf.cast(y, tf.float32), plain(x, training=True), atol=5e-2)


def test_replicas_keep_the_global_batch_statistics(rng):
    # On 2 replicas each half-batch must be normalized with the GLOBAL batch's
    # moments, which the fused kernel cannot see: the layer falls back.
    strategy = two_device_strategy()
    with strategy.scope():
        fused, plain, _ = _pair(rng)
    x = rng.normal(size=SHAPE).astype("float32") * np.arange(1, 9)[:, None, None, None]
    dataset = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices(x).batch(SHAPE[0]))
    halves = next(iter(dataset))
    per_replica = strategy.run(tf.function(lambda h: fused(h, training=True)), args=(halves,))
    got = np.concatenate([t.numpy() for t in strategy.experimental_local_results(per_replica)])
    np.testing.assert_allclose(got, plain(x, training=True), atol=1e-5)


def test_weights_files_load_across_keras_and_fused_layers(rng, tmp_path):
    # Keras keys a layer's weights by its class name: the shipped presets were
    # saved with Keras's BatchNormalization and load into the fused one.
    def net(layer):
        x = keras.Input(SHAPE[1:])
        return keras.Model(x, layer(**OPTIONS)(keras.layers.Conv2D(3, 1)(x)))

    saved = net(keras.layers.BatchNormalization)
    saved.set_weights([rng.normal(size=w.shape) for w in saved.get_weights()])
    saved.save_weights(tmp_path / "w.weights.h5")
    loaded = net(FusedBatchNormalization)
    loaded.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(saved.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
