"""One two-replica MirroredStrategy per process, shared by every test.

Collective instance keys are allocated per strategy object: a second
MirroredStrategy in the same process reuses keys the first one already
resolved with other tensor shapes, and its first all-reduce aborts with
"Shape mismatch in the collective instance 100" (tensorflow/tensorflow#62790;
measured here: a DCGAN fit, then an LSGAN fit, each under its own strategy).
Tests therefore share one strategy; a user script should likewise create its
strategy once and reuse it for every model it trains.
"""

import functools

import tensorflow as tf


@functools.lru_cache(maxsize=None)
def two_device_strategy():
    """The process's MirroredStrategy over its first two logical CPU devices.

    Example:

    >>> strategy = two_device_strategy()  # doctest: +SKIP
    >>> with strategy.scope():  # doctest: +SKIP
    ...     model = keras_gans.models.DCGAN(resolution=8, width=4)
    """
    devices = tf.config.list_logical_devices("CPU")
    if len(devices) < 2:
        raise RuntimeError(
            f"Two logical CPU devices are needed, found {len(devices)}: call "
            "tf.config.set_logical_device_configuration(cpu, [LogicalDeviceConfiguration()] * 2) "
            "before TensorFlow initializes its devices (tests/conftest.py does).")
    return tf.distribute.MirroredStrategy([d.name for d in devices[:2]])
