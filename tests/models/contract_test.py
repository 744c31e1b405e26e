"""The family contract: noise streams, declared options, hooks, data arguments."""

import threading

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans import models
from keras_gans.models.base import GAN
from keras_gans.models.options import Option, declared_options, non_negative
from keras_gans.models.randomness import RandomStreams


class Streams(RandomStreams):
    seed = 3

    def __init__(self):
        self.rng_step = tf.Variable(0, dtype=tf.int64)


def test_draw_index_is_kept_per_thread():
    # MirroredStrategy traces one replica per thread: a shared counter would
    # hand replicas each other's noise.
    streams = Streams()
    streams.draw_index = 5
    seen = []

    def replica():
        seen.append(streams.draw_index)
        streams.draw_index = 2

    thread = threading.Thread(target=replica)
    thread.start()
    thread.join()
    assert seen == [0] and streams.draw_index == 5


def test_draws_follow_the_step_counter_and_reset():
    streams = Streams()
    streams.reset_draws()
    first, second = streams.random_normal([3]), streams.random_normal([3])
    assert not np.allclose(first, second)
    streams.reset_draws()
    np.testing.assert_array_equal(first, streams.random_normal([3]))
    streams.rng_step.assign_add(1)
    streams.reset_draws()
    assert not np.allclose(first, streams.random_normal([3]))


def test_noise_substream_is_independent_of_earlier_draws_and_restores_the_counter():
    streams = Streams()
    streams.reset_draws()
    with streams.noise_substream("path_length"):
        alone = streams.random_normal([4])
    streams.reset_draws()
    streams.random_normal([4])
    streams.random_normal([4])
    index = streams.draw_index
    with streams.noise_substream("path_length"):
        after_others = streams.random_normal([4])
    assert streams.draw_index == index
    np.testing.assert_array_equal(alone, after_others)
    with streams.noise_substream("r1"):
        other = streams.random_normal([4])
    assert not np.allclose(alone, other)


class Weighted(models.DCGAN):
    options = (Option("penalty_weight", 10.0, "a weight", check=non_negative),
               Option("d_steps", 3))


@pytest.fixture(scope="module")
def weighted():
    keras.utils.set_random_seed(0)
    return Weighted(**models.DCGAN.example_config)


def test_declared_option_defaults_overrides_and_validation(weighted):
    weighted.compile()
    assert weighted.penalty_weight == 10.0 and weighted.d_steps == 3
    assert weighted.adversarial_loss.name == "non_saturating"
    weighted.compile(penalty_weight=2.5, d_steps=1, loss="hinge")
    assert (weighted.penalty_weight, weighted.d_steps) == (2.5, 1)
    config = weighted.get_compile_config()
    assert config["penalty_weight"] == 2.5 and config["loss"]["name"] == "hinge"
    with pytest.raises(ValueError, match="penalty_weight must be >= 0; got -1.0"):
        weighted.compile(penalty_weight=-1)
    with pytest.raises(ValueError, match=r"unknown arguments \['penalty'\]"):
        weighted.compile(penalty=1.0)


def test_compile_config_round_trip_restores_every_declared_option(weighted):
    weighted.compile(penalty_weight=4.0, d_steps=2, critic_batches="split", skip_nonfinite=False)
    config = weighted.get_compile_config()
    other = Weighted(**models.DCGAN.example_config)
    other.compile_from_config(config)
    for name, opt in declared_options(Weighted).items():
        assert getattr(other, opt.attr) == getattr(weighted, opt.attr) or name == "loss"
    assert other.adversarial_loss.get_config() == weighted.adversarial_loss.get_config()


def test_no_family_overrides_a_private_method_of_the_base_classes():
    bases = [cls for cls in GAN.__mro__ if cls.__module__.startswith("keras_gans")]
    private = {name for cls in bases for name in cls.__dict__
               if name.startswith("_") and not name.startswith("__")}
    for key in models.list_families():
        cls = models.get(key)
        for klass in cls.__mro__:
            if klass in bases or not klass.__module__.startswith("keras_gans"):
                continue
            overridden = private & set(klass.__dict__)
            assert not overridden, f"{klass.__name__} overrides {sorted(overridden)}"


@pytest.mark.parametrize("key", ["dcgan", "cgan", "wgan_gp", "stylegan2", "vanilla"])
def test_constructor_kwargs_for_data_build_a_model_that_takes_the_data(key):
    cls = models.get(key)
    shape = (2,) if key == "vanilla" else (32, 32, 1) if key == "stylegan2" else (28, 28, 1)
    kwargs = cls.constructor_kwargs_for_data(shape, num_classes=10)
    if key == "cgan":
        assert kwargs == {"data_shape": shape, "num_classes": 10}
    if key == "dcgan":
        assert kwargs == {"resolution": 28, "channels": 1}
    example = dict(cls.example_config)
    for name in kwargs:
        example.pop(name, None)
    model = cls(**kwargs, **example)
    assert tuple(model.discriminator.inputs[0].shape[1:]) == shape


def test_constructor_kwargs_for_data_refuse_what_the_family_cannot_take():
    with pytest.raises(ValueError, match="conditional: the dataset must carry labels"):
        models.get("cgan").constructor_kwargs_for_data((28, 28, 1), None)
    with pytest.raises(ValueError, match="needs square images; got 28x32"):
        models.get("dcgan").constructor_kwargs_for_data((28, 32, 1))


def test_ema_without_rampup_keeps_the_full_decay_from_the_first_update():
    # A converted NVIDIA model's generator_ema is already an average: one step
    # must move it by (1 - decay), not replace it by the training G (the ramp
    # gives decay (1 + 0) / (10 + 0) = 0.1 at the first update).
    for rampup, expected in ((True, 0.1), (False, 0.9)):
        keras.utils.set_random_seed(0)
        gan = models.DCGAN(**{**models.DCGAN.example_config, "ema_decay": 0.9},
                           ema_rampup=rampup)
        gan.compile()
        kernel, average = gan.generator.weights[0], gan.generator_ema.weights[0]
        assert kernel.trainable
        before = average.numpy()
        kernel.assign(kernel + 1.0)
        gan.update_ema()
        np.testing.assert_allclose(average.numpy(), expected * before + (1 - expected)
                                   * kernel.numpy(), rtol=1e-5, atol=1e-6)
        assert models.DCGAN.from_config(gan.get_config()).ema_rampup is rampup


def test_families_with_optional_labels_take_them_only_when_the_data_has_them():
    stylegan2 = models.get("stylegan2")
    assert stylegan2.constructor_kwargs_for_data((32, 32, 1), None) == {
        "resolution": 32, "channels": 1}
    assert stylegan2.constructor_kwargs_for_data((32, 32, 1), 10)["num_classes"] == 10
    # StyleGAN (v1) has no label input in D here: labelled data trains it unconditionally.
    assert "num_classes" not in models.get("stylegan").constructor_kwargs_for_data(
        (32, 32, 1), 10)
