"""compile(augment=...) on the base class: every method trains with fit, stays
replica-exact, reaches G through the augmentation, and ADA's p is logged, moves
as the controller says and is saved."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans import augment as augment_lib
from keras_gans.models import DCGAN
from keras_gans.testing.distribute import assert_same_step, one_step_on_one_and_two_replicas

METHODS = ["diffaugment", {"name": "ada", "ada_kimg": 0.1, "ada_interval": 1}, "bcr", "zcr"]


def tiny(**compile_kwargs):
    keras.utils.set_random_seed(0)
    model = DCGAN(**DCGAN.example_config)
    model.compile(**compile_kwargs)
    return model


def dataset(model, n=8, batch=4):
    shape = (n,) + tuple(int(s) for s in model.discriminator.inputs[0].shape[1:])
    x = np.tanh(np.random.default_rng(0).standard_normal(shape)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(x).batch(batch)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m if isinstance(m, str) else m["name"])
def test_fit_logs_finite_and_matches_two_replicas(method):
    # Plain SGD: Adam's first step, lr * g / |g|, turns rounding-level
    # gradient differences of near-zero entries into full-size steps.
    def sgd_with_augment():
        return {"d_optimizer": keras.optimizers.SGD(0.01),
                "g_optimizer": keras.optimizers.SGD(0.01), "augment": method}

    run = one_step_on_one_and_two_replicas(DCGAN, compile_kwargs=sgd_with_augment)
    assert_same_step(run)
    # The single-device run's logs: every loss term and the method's own.
    aug = augment_lib.get(method)
    for key in tuple(run["metric_names"]) + tuple(aug.metric_names):
        assert np.isfinite(run["single_logs"][key][-1]), key
    if isinstance(aug, augment_lib.AdaptiveAugment):
        assert "ada_p" in run["single_logs"]


def test_ada_at_p_zero_is_training_without_augmentation():
    frozen = {"name": "ada", "ada_kimg": 1e9, "initial_p": 0.0}
    a, b = tiny(), tiny(augment=frozen)
    b.generator.set_weights(a.generator.get_weights())
    b.discriminator.set_weights(a.discriminator.get_weights())
    a.fit(dataset(a), epochs=1, verbose=0)
    b.fit(dataset(b), epochs=1, verbose=0)
    for x, y in zip(a.generator.get_weights() + a.discriminator.get_weights(),
                    b.generator.get_weights() + b.discriminator.get_weights()):
        np.testing.assert_allclose(x, y, atol=1e-6)


def test_generator_gradient_flows_through_the_augmentation():
    model = tiny(augment="diffaugment")
    z = model.sample_latents(4)
    with tf.GradientTape() as tape:
        fake = model.generate_for_training(z)
        images = model.augment.augment_images(model, fake)
        loss = tf.reduce_sum(model.discriminate(images))
    grads = tape.gradient(loss, model.generator.trainable_variables)
    assert all(g is not None for g in grads)
    assert sum(float(tf.reduce_sum(tf.abs(g))) for g in grads) > 0


def test_ada_controller_moves_p_and_p_is_saved(tmp_path):
    # A D that calls every real image real (sign +1 > 0.6) raises p by
    # batch / (ada_kimg * 1000) per update: 4 / 100 = 0.04 per step here.
    model = tiny(augment={"name": "ada", "ada_kimg": 0.1, "ada_interval": 1})
    from keras_gans.augment.ada import ada_controller_update

    for _ in range(3):
        ada_controller_update(model.ada_state, model.augment, tf.ones([4]))
    np.testing.assert_allclose(float(model.ada_state.p.numpy()), 0.12, atol=1e-6)
    ada_controller_update(model.ada_state, model.augment, -tf.ones([4]))
    np.testing.assert_allclose(float(model.ada_state.p.numpy()), 0.08, atol=1e-6)
    path = os.path.join(str(tmp_path), "ada.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(float(loaded.ada_state.p.numpy()), 0.08, atol=1e-7)
    assert isinstance(loaded.augment, augment_lib.AdaptiveAugment)
    assert loaded.augment.ada_kimg == 0.1


def test_bad_augment_fails_at_the_door():
    with pytest.raises(ValueError, match="augment must be None, one of"):
        tiny(augment="mixup")
