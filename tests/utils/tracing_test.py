"""`keras_gans.utils.tracing`: traced train steps do not stay in memory."""

import gc
import weakref

import numpy as np
import tensorflow as tf

import keras
import keras_gans.models as models
from keras_gans.testing.distribute import one_step_on_one_and_two_replicas, sgd_compile_kwargs
from keras_gans.utils.tracing import custom_gradient_count, releasing_custom_gradients


def _fit_once():
    keras.utils.set_random_seed(0)
    model = models.DCGAN(**models.DCGAN.example_config)
    model.compile()
    x = np.zeros((8,) + tuple(model.discriminator.inputs[0].shape[1:]), "float32")
    model.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0)
    return weakref.ref(model)


def test_fit_leaves_no_custom_gradient_behind():
    # Keras's optimizer all-reduces through a graph-mode `tf.custom_gradient`,
    # whose registry entry would keep each traced step (about 30 MB here) alive.
    before = custom_gradient_count()
    model = _fit_once()
    gc.collect()
    assert custom_gradient_count() == before
    assert model() is None, "the fitted model is still referenced"


def test_replica_runs_leave_no_custom_gradient_behind():
    # Under MirroredStrategy the losses' cross-replica sums add their own.
    before = custom_gradient_count()
    one_step_on_one_and_two_replicas(models.DCGAN, compile_kwargs=sgd_compile_kwargs())
    assert custom_gradient_count() == before


def test_release_removes_only_what_the_block_registered():
    @tf.custom_gradient
    def double(x):
        return 2 * x, lambda dy: 2 * dy

    def traced_gradient():
        x = tf.constant(3.0)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = double(x)
        return tape.gradient(y, x)

    kept = tf.function(traced_gradient)
    assert float(kept()) == 2.0           # registered outside any block: kept
    outside = custom_gradient_count()
    with releasing_custom_gradients():
        assert float(tf.function(traced_gradient)()) == 2.0
        assert custom_gradient_count() == outside + 1
    assert custom_gradient_count() == outside
    assert float(kept()) == 2.0
