import os

import numpy as np
import keras
import pytest
import tensorflow as tf

from keras_gans.layers.filters import downsample_2d, upsample_2d
from keras_gans.losses import penalties
from keras_gans.models import get
from keras_gans.models.progan import ProGAN, ProgressiveSchedule, progressive_phase
from keras_gans.testing import GANFamilyTests


def tiny(**kwargs):
    return ProGAN(**{"resolution": 8, "latent_dim": 8, "channel_base": 64, "channel_max": 8,
                     **kwargs})


class TestProGAN(GANFamilyTests):
    """The contract in the middle of a fade (level 1 of 1, alpha 0.5)."""

    def make_model(self):
        model = tiny()
        model.set_phase(1, 0.5)
        return model


def _z(n=3, dim=8, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")


def _raw(gan, z, level, alpha):
    """The unclipped generator output at a phase."""
    n = len(z)
    return np.asarray(gan.inference_generator(
        [tf.constant(z), tf.fill([n], level), tf.fill([n], float(alpha))]))


def test_fade_in_endpoints_of_the_generator():
    gan = tiny(resolution=16)
    z = _z()
    layer = gan.inference_generator.get_layer("progressive_generator")
    for level in (1, 2):
        # alpha = 0: exactly the previous level's image (upsampled to full size).
        np.testing.assert_allclose(_raw(gan, z, level, 0.0), _raw(gan, z, level - 1, 1.0),
                                   atol=1e-6)
        # alpha = 1: exactly the new block's toRGB output, upsampled.
        new = layer.to_rgb[level](layer.features(tf.constant(z), level)[level])
        if level < 2:
            new = upsample_2d(new, kernel=None, factor=2)
        np.testing.assert_allclose(_raw(gan, z, level, 1.0), new, atol=1e-5)
        # In between: the linear blend of the two.
        blend = 0.75 * _raw(gan, z, level, 0.0) + 0.25 * np.asarray(new)
        np.testing.assert_allclose(_raw(gan, z, level, 0.25), blend, atol=1e-5)
    # generate() runs the same EMA generator and clips to the image range.
    np.testing.assert_allclose(gan.generate(z, level=1, alpha=0.25),
                               np.clip(_raw(gan, z, 1, 0.25), -1, 1), atol=1e-6)


def test_fade_in_of_the_discriminator_and_of_the_reals():
    gan = tiny()
    x = np.tanh(np.random.default_rng(1).standard_normal((4, 8, 8, 1))).astype("float32")
    d = gan.discriminator

    def logits(level, alpha):
        return np.asarray(d([x, np.full(4, level, np.int32), np.full(4, alpha, np.float32)]))

    # D at (level 1, alpha 0) sees exactly what D at level 0 sees.
    np.testing.assert_allclose(logits(1, 0.0), logits(0, 1.0), atol=1e-5)
    assert not np.allclose(logits(1, 1.0), logits(0, 1.0), atol=1e-4)
    # Reals are average-pooled to the level and upsampled back; during a fade
    # blended with the 2x-coarser version by alpha.
    coarse = upsample_2d(downsample_2d(x, kernel=None), kernel=None)
    np.testing.assert_allclose(gan.process_reals(x, 0, 1.0), coarse, atol=1e-6)
    np.testing.assert_allclose(gan.process_reals(x, 1, 1.0), x, atol=1e-6)
    np.testing.assert_allclose(gan.process_reals(x, 1, 0.25),
                               0.75 * np.asarray(coarse) + 0.25 * x, atol=1e-6)


def test_phase_schedule():
    assert progressive_phase(0, 100, 2) == (0, 1.0)
    assert progressive_phase(99, 100, 2) == (0, 1.0)
    assert progressive_phase(100, 100, 2) == (1, 0.0)
    assert progressive_phase(175, 100, 2) == (1, 0.75)
    assert progressive_phase(250, 100, 2) == (1, 1.0)
    assert progressive_phase(300, 100, 2) == (2, 0.0)
    assert progressive_phase(10**6, 100, 2) == (2, 1.0)
    assert progressive_phase(150, 100, 2, fade_images=50) == (1, 1.0)
    with pytest.raises(ValueError, match="positive"):
        ProgressiveSchedule(images_per_phase=0)


def test_schedule_callback_follows_images_seen():
    gan = tiny()
    callback = ProgressiveSchedule(images_per_phase=8)
    callback.set_model(gan)
    callback.on_train_begin()
    assert (int(gan.level.numpy()), float(gan.alpha.numpy())) == (0, 1.0)
    gan.images_seen.assign(10)  # 2 images into the first 8-image fade
    callback.on_train_batch_begin(0)
    assert int(gan.level.numpy()) == 1 and float(gan.alpha.numpy()) == pytest.approx(0.25)


def test_train_step_counts_images_of_the_global_batch():
    gan = tiny()
    gan.compile()
    x = np.tanh(np.random.default_rng(0).standard_normal((4, 8, 8, 1))).astype("float32")
    gan.set_phase(1, 0.5)
    logs = gan.train_step(tf.constant(x))  # eager: no tracing cost
    assert int(gan.images_seen.numpy()) == 4
    assert float(logs["level"]) == 1.0 and float(logs["alpha"]) == pytest.approx(0.5)


def test_phase_survives_a_keras_file(tmp_path):
    gan = tiny()
    gan.compile()
    gan.set_phase(1, 0.375)
    gan.images_seen.assign(1234)
    path = os.path.join(tmp_path, "progan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert int(loaded.level.numpy()) == 1
    assert float(loaded.alpha.numpy()) == pytest.approx(0.375)
    assert int(loaded.images_seen.numpy()) == 1234
    np.testing.assert_allclose(loaded.generate(_z()), gan.generate(_z()), atol=1e-6)


def test_discriminator_loss_is_wgan_gp_plus_drift():
    gan = tiny()
    gan.compile()
    real = tf.constant(np.tanh(np.random.default_rng(0).standard_normal((4, 8, 8, 1))),
                       tf.float32)
    fake = tf.constant(np.tanh(np.random.default_rng(1).standard_normal((4, 8, 8, 1))),
                       tf.float32)
    terms = gan.compute_discriminator_loss(real, fake)
    real_logits = np.asarray(gan.discriminate(real))[:, 0]
    fake_logits = np.asarray(gan.discriminate(fake))[:, 0]
    np.testing.assert_allclose(terms["d_drift"], real_logits ** 2, rtol=1e-5, atol=1e-7)
    expected = fake_logits - real_logits + 10.0 * np.asarray(terms["d_gp"]) \
        + 0.001 * real_logits ** 2
    np.testing.assert_allclose(terms["d_loss"], expected, rtol=1e-5, atol=1e-6)
    assert np.all(np.asarray(terms["d_gp"]) >= 0)


def test_inactive_levels_get_zero_updates_and_registry():
    assert get("progan") is ProGAN
    gan = tiny()
    gan.compile()
    d_layer = gan.discriminator.get_layer("progressive_discriminator")
    before = [np.array(v) for v in d_layer.from_rgb[1].weights]
    gan.discriminator_step(tf.zeros([4, 8, 8, 1]))  # level 0: from_rgb1 unused
    for b, v in zip(before, d_layer.from_rgb[1].weights):
        np.testing.assert_array_equal(b, v.numpy())


def test_bad_arguments_name_values():
    with pytest.raises(ValueError, match="12"):
        tiny(resolution=12)
    gan = tiny()
    with pytest.raises(ValueError, match="level"):
        gan.set_phase(2)
    with pytest.raises(ValueError, match="alpha"):
        gan.set_phase(1, 1.5)


def test_gradient_penalty_sees_the_phase():
    # The penalty's critic is D at the current level (the pooled input path).
    gan = tiny()
    x = tf.constant(np.random.default_rng(2).standard_normal((4, 8, 8, 1)), tf.float32)
    eps = tf.ones([4, 1, 1, 1])
    gp = penalties.gradient_penalty(lambda v: gan.discriminate(v), x, x, eps)
    assert gp.shape == (4,) and np.all(np.isfinite(gp))
