"""Test-wide setup: quiet TensorFlow, two logical CPU devices, seeded numpy."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Two logical CPU devices let MirroredStrategy tests run on one CPU. This must
# happen before TensorFlow initializes its devices, i.e. at collection time.
try:
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration()] * 2,
    )
except RuntimeError:  # devices already initialized by an earlier import
    pass


@pytest.fixture
def rng():
    return np.random.default_rng(0)
