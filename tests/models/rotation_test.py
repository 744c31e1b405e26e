import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.models import registry
from keras_gans.models.rotation import SelfSupervisedGAN, rotate_batch
from keras_gans.testing import GANFamilyTests


def tiny(**kwargs):
    return SelfSupervisedGAN(data_shape=(8, 8, 1), latent_dim=4, width=4, **kwargs)


class TestSelfSupervisedGAN(GANFamilyTests):
    # D is spectrally normalized: Keras's SpectralNormalization assigns W / sigma
    # on every training-mode call, including the D calls of a G step.
    generator_step_may_change_discriminator = True
    # G is the unchanged DCGAN builder's and export is the base class's (the
    # same path TestDCGAN checks in a fresh process): skip the slow check.
    test_export_reload = None

    def make_model(self):
        return tiny()


def corner_images(size=8):
    """Two asymmetric images: a bright top-left pixel, and an 'L' of 3 pixels."""
    a = -np.ones((size, size, 1), np.float32)
    a[0, 0] = 1.0
    b = -np.ones((size, size, 1), np.float32)
    b[0, 0] = b[1, 0] = b[0, 1] = 1.0
    return np.stack([a, b])


def test_rotations_are_counter_clockwise_quarter_turns_with_their_targets():
    images = corner_images()
    rotated, targets = rotate_batch(images)
    rotated, targets = rotated.numpy(), targets.numpy()
    assert rotated.shape == (8, 8, 8, 1)
    np.testing.assert_array_equal(targets, [0, 0, 1, 1, 2, 2, 3, 3])
    # Where the top-left pixel goes under k counter-clockwise quarter turns.
    corners = {0: (0, 0), 1: (7, 0), 2: (7, 7), 3: (0, 7)}
    for i, k in enumerate(targets):
        source = images[i % 2]
        np.testing.assert_array_equal(rotated[i], np.rot90(source, k, axes=(0, 1)))
        bright = np.argwhere(rotated[i, ..., 0] > 0)
        assert tuple(corners[k]) in map(tuple, bright), (i, k)
        if i % 2 == 0:  # the single pixel lands exactly there
            assert bright.tolist() == [list(corners[k])]


def oracle_discriminator(size=8, sharpness=50.0):
    """A D whose rotation head recognizes where the top-left corner went."""
    x = keras.Input((size, size, 1))
    corner_values = keras.layers.Lambda(lambda t: tf.stack(
        [t[:, 0, 0, 0], t[:, -1, 0, 0], t[:, -1, -1, 0], t[:, 0, -1, 0]], axis=-1))(x)
    rotation = keras.layers.Lambda(lambda c: sharpness * c)(corner_values)
    source = keras.layers.Lambda(lambda c: tf.zeros_like(c[:, :1]))(corner_values)
    return keras.Model(x, [source, rotation])


def test_the_rotation_targets_are_the_applied_rotations():
    """With a D that reads the rotation off the image, the rotation loss is ~0.

    It would be ~100 if any target disagreed with the rotation applied.
    """
    gan = tiny()
    gan.compile()
    gan.discriminator = oracle_discriminator()
    real = np.concatenate([corner_images()[:1]] * 3)
    d = gan.compute_discriminator_loss(real, real)
    np.testing.assert_allclose(d["d_rot"].numpy(), 0.0, atol=1e-6)
    np.testing.assert_array_equal(d["d_rot_acc"].numpy(), 1.0)
    g = gan.compute_generator_loss(real)
    np.testing.assert_allclose(g["g_rot"].numpy(), 0.0, atol=1e-6)
    # The loss is the weighted sum: source logits are 0, so the adversarial
    # terms are 2 log 2 (D) and log 2 (G).
    np.testing.assert_allclose(d["d_loss"].numpy(), 2 * np.log(2.0), rtol=1e-5)
    np.testing.assert_allclose(g["g_loss"].numpy(), np.log(2.0), rtol=1e-5)
    # A D that predicts the opposite (clockwise) rotation is maximally wrong.
    x = keras.Input((8, 8, 1))
    src, rot = oracle_discriminator()(x)
    clockwise = keras.layers.Lambda(lambda r: tf.gather(r, [0, 3, 2, 1], axis=1))(rot)
    gan.discriminator = keras.Model(x, [src, clockwise])
    d = gan.compute_discriminator_loss(real, real)
    assert d["d_rot"].numpy().min() > 40.0  # the 90 and 270 degree copies are swapped


def test_defaults_follow_the_paper_and_weights_are_applied():
    assert registry.get("self_supervised_gan") is SelfSupervisedGAN
    gan = tiny()
    gan.compile()
    assert (gan.rotation_weight_g, gan.rotation_weight_d) == (0.2, 1.0)
    assert gan.adversarial_loss.name == "non_saturating"
    assert [tuple(t.shape) for t in gan.discriminator.outputs] == [(None, 1), (None, 4)]
    assert any(isinstance(layer, keras.layers.SpectralNormalization)
               for layer in gan.discriminator._flatten_layers())
    # Without spectral normalization D's training-mode calls are repeatable,
    # so its outputs can be recomputed here.
    gan = tiny(discriminator_options={"spectral_norm": False})
    real = np.tanh(np.random.default_rng(0).standard_normal((4, 8, 8, 1))).astype(np.float32)
    fake = np.tanh(np.random.default_rng(1).standard_normal((4, 8, 8, 1))).astype(np.float32)
    gan.compile(rotation_weight_g=0.5, rotation_weight_d=3.0)
    d = gan.compute_discriminator_loss(real, fake)
    src_real = gan.discriminator(real, training=True)[0].numpy()[:, 0]
    src_fake = gan.discriminator(fake, training=True)[0].numpy()[:, 0]
    adversarial = np.logaddexp(0, -src_real) + np.logaddexp(0, src_fake)
    np.testing.assert_allclose(d["d_loss"].numpy(), adversarial + 3.0 * d["d_rot"].numpy(),
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="square"):
        SelfSupervisedGAN(data_shape=(8, 6, 1))
