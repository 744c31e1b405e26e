import numpy as np
import pytest
import tensorflow as tf

from keras_gans.losses.reduction import (
    gather_global_batch,
    global_mean,
    global_std,
    reduce_batch_scalar,
    reduce_per_example,
)
from keras_gans.testing.distribute import two_device_strategy


def test_single_device_is_the_mean():
    values = tf.constant([1.0, 2.0, 3.0, 6.0])
    assert float(reduce_per_example(values)) == pytest.approx(3.0)


def test_two_replicas_divide_by_the_global_batch():
    strategy = two_device_strategy()
    per_replica = strategy.run(lambda: reduce_per_example(tf.constant([1.0, 3.0])))
    values = strategy.experimental_local_results(per_replica)
    # Each replica holds 2 of 4 examples: sum 4 / global batch 4 = 1.
    assert [float(v) for v in values] == [1.0, 1.0]
    summed = strategy.reduce("SUM", per_replica, axis=None)
    assert float(summed) == pytest.approx(2.0)  # = mean over the global batch
    scalars = strategy.run(lambda: reduce_batch_scalar(tf.constant(4.0)))
    assert float(strategy.reduce("SUM", scalars, axis=None)) == pytest.approx(4.0)


def test_scalar_is_refused():
    with pytest.raises(ValueError, match="reduce_batch_scalar"):
        reduce_per_example(tf.constant(1.0))


def test_global_std_is_the_global_batch_std():
    """On N replicas, std(x) is the std of the global batch, not of each shard."""
    strategy = two_device_strategy()
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0.0, 1.0, (4, 3)), rng.normal(2.0, 3.0, (4, 3))])
    x = x.astype("float32")
    shards = strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.constant(x[4 * ctx.replica_id_in_sync_group:][:4]))
    per_replica = strategy.experimental_local_results(
        strategy.run(tf.function(global_std), args=(shards,)))
    np.testing.assert_allclose([float(v) for v in per_replica], [x.std()] * 2, rtol=1e-5)
    assert not np.isclose(x[:4].std(), x.std(), rtol=1e-2)  # shard stds would differ
    np.testing.assert_allclose(float(global_std(tf.constant(x))), x.std(), rtol=1e-5)


def test_global_mean_is_identical_on_all_replicas():
    strategy = two_device_strategy()
    values = strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.constant([1.0, 2.0]) if ctx.replica_id_in_sync_group == 0
        else tf.constant([3.0, 6.0]))
    result = strategy.run(tf.function(global_mean), args=(values,))
    means = [float(t) for t in strategy.experimental_local_results(result)]
    assert means == [3.0, 3.0]


def test_gather_global_batch_concatenates_replicas_and_sums_their_gradients():
    strategy = two_device_strategy()
    values = strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.constant([[1.0], [2.0]]) * float(ctx.replica_id_in_sync_group + 1))
    weights = tf.constant([[1.0], [2.0], [3.0], [4.0]])

    @tf.function
    def step(v):
        def replica(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                gathered = gather_global_batch(x)
                loss = tf.reduce_sum(gathered * weights)
            return gathered, tape.gradient(loss, x)

        return strategy.run(replica, args=(v,))

    gathered, grads = step(values)
    for g in strategy.experimental_local_results(gathered):
        np.testing.assert_array_equal(g.numpy(), [[1.0], [2.0], [2.0], [4.0]])
    # Each replica's rows get the sum over replicas of the upstream gradient
    # (2 x weights): what one device computes for a loss summed over replicas.
    grads = [g.numpy() for g in strategy.experimental_local_results(grads)]
    np.testing.assert_array_equal(grads[0], [[2.0], [4.0]])
    np.testing.assert_array_equal(grads[1], [[6.0], [8.0]])
    np.testing.assert_array_equal(gather_global_batch(tf.ones((3, 1))).numpy(), np.ones((3, 1)))
