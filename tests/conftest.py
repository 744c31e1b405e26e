"""Test-wide setup: quiet TensorFlow, two logical CPU devices, no Grappler, seeded numpy."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gans.utils.tracing import releasing_custom_gradients  # noqa: E402

# Two logical CPU devices let MirroredStrategy tests run on one CPU. This must
# happen before TensorFlow initializes its devices, i.e. at collection time.
try:
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration()] * 2,
    )
except RuntimeError:  # devices already initialized by an earlier import
    pass

# Grappler's graph rewrites (constant folding, layout, remapper fusions) pay
# off over many steps; the tests run most graphs once or twice, on tiny
# tensors, and the rewrites took about a fifth of the suite's time (measured:
# two equivalence tests 73 s -> 56 s). They change no test's math beyond
# rounding. KERAS_GANS_TEST_GRAPPLER=1 keeps them on.
if not os.environ.get("KERAS_GANS_TEST_GRAPPLER"):
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True, scope="module")
def release_keras_state_after_each_module():
    """Frees Keras's global state, TensorFlow's kernel caches and dead models
    after each test module, and the graphs that graph-mode `tf.custom_gradient`
    calls of the module's own `tf.function`s pinned in TensorFlow's gradient
    registry (`fit` releases its own: keras_gans.utils.tracing). Before that
    fix a worker process grew past 11 GB over the suite and was killed by the
    OOM killer (measured: `dmesg`)."""
    with releasing_custom_gradients():
        yield
    keras.backend.clear_session(free_memory=True)
