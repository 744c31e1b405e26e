import numpy as np
import pytest
import tensorflow as tf

from keras_gans.losses.reduction import reduce_batch_scalar, reduce_per_example


def test_single_device_is_the_mean():
    values = tf.constant([1.0, 2.0, 3.0, 6.0])
    assert float(reduce_per_example(values)) == pytest.approx(3.0)


def test_two_replicas_divide_by_the_global_batch():
    devices = tf.config.list_logical_devices("CPU")
    if len(devices) < 2:
        pytest.fail("tests/conftest.py must configure two logical CPU devices")
    strategy = tf.distribute.MirroredStrategy([d.name for d in devices[:2]])
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
