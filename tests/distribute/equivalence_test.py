"""One step under MirroredStrategy (2 logical CPUs) equals one step on one device.

Parametrized over every registered family, so a new family is covered as
soon as it is registered (it must define `example_config`).
"""

import numpy as np
import keras
import pytest
import tensorflow as tf

import keras_gans.models as models
from keras_gans.testing.distribute import two_device_strategy

GLOBAL_BATCH = 8


def _data(model):
    shape = (GLOBAL_BATCH,) + tuple(int(s) for s in model.discriminator.inputs[0].shape[1:])
    x = np.tanh(np.random.default_rng(0).standard_normal(shape)).astype("float32")
    if getattr(model, "num_classes", None):
        y = (np.arange(GLOBAL_BATCH) % model.num_classes).astype("int32")
        return tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH)
    return tf.data.Dataset.from_tensor_slices(x).batch(GLOBAL_BATCH)


def _make(cls):
    keras.utils.set_random_seed(0)
    model = cls(**cls.example_config)
    model.compile()
    return model


def _two_devices():
    # One strategy for the whole process: see keras_gans.testing.distribute.
    return two_device_strategy()


@pytest.mark.parametrize("family", models.list_families())
def test_one_step_matches_single_device(family):
    cls = models.get(family)
    assert cls.example_config is not None, (
        f"{cls.__name__} needs an `example_config` (a tiny instance) for the tests that "
        "run over every family")
    single = _make(cls)
    initial = single.get_weights()
    h1 = single.fit(_data(single), epochs=1, verbose=0)
    with _two_devices().scope():
        mirrored = _make(cls)
        mirrored.set_weights(initial)
    h2 = mirrored.fit(_data(mirrored), epochs=1, verbose=0)
    names = [v.path for v in single.weights]
    for name, a, b in zip(names, single.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-6, rtol=0, err_msg=name)
    for key in single.metric_names():
        np.testing.assert_allclose(h2.history[key], h1.history[key], atol=1e-5, err_msg=key)
    # The weights did move: the comparison is not between two untouched models.
    assert any(not np.array_equal(a, b) for a, b in zip(initial, single.get_weights()))


def test_replicas_draw_different_latents():
    model = _make(models.DCGAN)
    strategy = _two_devices()

    def draw():
        model._draw_index = 0
        return model.sample_latents(4)

    per_replica = strategy.experimental_local_results(strategy.run(tf.function(draw)))
    assert not np.allclose(per_replica[0], per_replica[1])
    # Together they are the single-device draw of the global batch.
    model._draw_index = 0
    np.testing.assert_allclose(np.concatenate(per_replica), model.sample_latents(8).numpy())
