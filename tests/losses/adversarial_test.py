"""Each adversarial loss against its float64 numpy formula (TF-GAN's mixin style)."""

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.losses import adversarial
from keras_gans.losses.adversarial import AdversarialLoss

REAL = np.array([-3.0, -0.5, 0.0, 0.7, 4.0], np.float64)
FAKE = np.array([2.0, -1.5, 0.3, -0.2, -5.0], np.float64)


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class LossFormulaMixin:
    """A loss pair against numpy formulas of D(x), D(G(z)) per example."""

    name = None
    options = {}

    def d_formula(self, real, fake):
        raise NotImplementedError

    def g_formula(self, fake):
        raise NotImplementedError

    def loss(self):
        return AdversarialLoss(self.name, **self.options)

    def test_discriminator_loss(self):
        got = self.loss().discriminator_loss(tf.constant(REAL), tf.constant(FAKE)).numpy()
        np.testing.assert_allclose(got, self.d_formula(REAL, FAKE), rtol=1e-12, atol=1e-12)

    def test_generator_loss(self):
        got = self.loss().generator_loss(tf.constant(FAKE)).numpy()
        np.testing.assert_allclose(got, self.g_formula(FAKE), rtol=1e-12, atol=1e-12)

    def test_per_example_shape_and_patch_logits(self):
        # A PatchGAN D gives [B, h, w, 1]: the loss is that of the mean logit.
        patches = np.stack([np.full((2, 2, 1), v) for v in FAKE])
        got = self.loss().generator_loss(tf.constant(patches)).numpy()
        assert got.shape == (len(FAKE),)
        np.testing.assert_allclose(got, self.g_formula(FAKE), rtol=1e-12, atol=1e-12)

    def test_config_roundtrip(self):
        loss = adversarial.get(self.loss().get_config())
        np.testing.assert_allclose(loss.generator_loss(tf.constant(FAKE)).numpy(),
                                   self.g_formula(FAKE))


class TestMinimax(LossFormulaMixin):
    name = "minimax"

    def d_formula(self, real, fake):
        return -np.log(np_sigmoid(real)) - np.log(1 - np_sigmoid(fake))

    def g_formula(self, fake):
        return np.log(1 - np_sigmoid(fake))


class TestNonSaturating(TestMinimax):
    name = "non_saturating"

    def g_formula(self, fake):
        return -np.log(np_sigmoid(fake))


class TestLabelSmoothing(TestNonSaturating):
    name = "non_saturating"
    options = {"label_smoothing": 0.1}

    def d_formula(self, real, fake):
        # One-sided: real targets 0.9, fake targets stay 0.
        p = np_sigmoid(real)
        return -(0.9 * np.log(p) + 0.1 * np.log(1 - p)) - np.log(1 - np_sigmoid(fake))


class TestWasserstein(LossFormulaMixin):
    name = "wasserstein"

    def d_formula(self, real, fake):
        return fake - real

    def g_formula(self, fake):
        return -fake


class TestHinge(LossFormulaMixin):
    name = "hinge"

    def d_formula(self, real, fake):
        return np.maximum(0, 1 - real) + np.maximum(0, 1 + fake)

    def g_formula(self, fake):
        return -fake


class TestLeastSquares(LossFormulaMixin):
    name = "least_squares"

    def d_formula(self, real, fake):
        return 0.5 * (real - 1) ** 2 + 0.5 * fake ** 2

    def g_formula(self, fake):
        return 0.5 * (fake - 1) ** 2


class TestLeastSquaresPearson(LossFormulaMixin):
    name = "least_squares"
    options = {"a": -1.0, "b": 1.0, "c": 0.0}

    def d_formula(self, real, fake):
        return 0.5 * (real - 1) ** 2 + 0.5 * (fake + 1) ** 2

    def g_formula(self, fake):
        return 0.5 * fake ** 2


def test_minimax_is_stable_for_large_logits():
    # softplus formulation: no log(0) for confident logits.
    value = adversarial.minimax_discriminator_loss(tf.constant([80.0]), tf.constant([-80.0]))
    assert np.isfinite(value.numpy()).all()
    np.testing.assert_allclose(value.numpy(), [0.0], atol=1e-6)


def test_unknown_loss_names_close_match():
    with pytest.raises(ValueError, match="'hinge'"):
        AdversarialLoss("hinj")


def test_unknown_option_is_refused():
    with pytest.raises(ValueError, match="label_smoothing"):
        AdversarialLoss("hinge", label_smoothing=0.1)


def test_scalar_logits_are_refused():
    with pytest.raises(ValueError, match="batch axis"):
        adversarial.non_saturating_generator_loss(tf.constant(1.0))
