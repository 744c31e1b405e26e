import math

import numpy as np
import keras
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.models.architectures import Maxout
from keras_gans.models.vanilla import VanillaGAN
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.doubles import with_linear_critic


class TestVanillaGAN(GANFamilyTests):
    """The paper's defaults, trained on the 2-D ring of Gaussians."""

    def make_model(self):
        return VanillaGAN(data_shape=(2,), latent_dim=4, width=8)

    def make_dataset(self, model, batches=2):
        return keras_gans.data.load("ring8", batch_size=self.batch_size,
                                    num_samples=batches * self.batch_size)


def _softplus(x):
    return np.logaddexp(0.0, x)


def test_defaults():
    gan = VanillaGAN(data_shape=(28, 28, 1), latent_dim=4, width=4)
    assert gan.architecture == "mlp"  # MLPs for images too, as in the paper
    gan.compile()
    assert gan.adversarial_loss.name == "non_saturating"
    assert gan.d_steps == 1
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(opt, keras.optimizers.SGD)
        assert math.isclose(opt.get_config()["learning_rate"], 0.1, rel_tol=1e-6)
        assert opt.get_config()["momentum"] == 0.5


def test_minimax_and_non_saturating_generator_losses_follow_their_formulas():
    logits = np.array([-10.0, -2.0, 0.0, 3.0], np.float32)
    fake = tf.constant(np.stack([logits, np.zeros_like(logits)], axis=1))
    real = tf.constant([[1.0, 0.0]] * 4)
    results = {}
    for loss in ("minimax", "non_saturating"):
        gan = with_linear_critic(VanillaGAN, [1.0, 0.0])
        gan.compile(loss=loss)
        with tf.GradientTape() as tape:
            tape.watch(fake)
            g_loss = gan.compute_generator_loss(fake)["g_loss"]
            total = tf.reduce_sum(g_loss)
        # d loss / d logit: the critic is the first coordinate.
        slope = tape.gradient(total, fake).numpy()[:, 0]
        d_terms = gan.compute_discriminator_loss(real, fake)
        results[loss] = (g_loss.numpy(), slope, d_terms["d_loss"].numpy())
    sigmoid = 1.0 / (1.0 + np.exp(-logits))
    minimax, ns = results["minimax"], results["non_saturating"]
    # log(1 - D(G(z))) and -log D(G(z)).
    np.testing.assert_allclose(minimax[0], -_softplus(logits), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ns[0], _softplus(-logits), rtol=1e-5, atol=1e-6)
    # Their slopes: -D(G(z)), which vanishes when D rejects the fakes, and
    # -(1 - D(G(z))), which does not (the paper's reason for the fix).
    np.testing.assert_allclose(minimax[1], -sigmoid, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ns[1], -(1.0 - sigmoid), rtol=1e-5, atol=1e-7)
    assert abs(minimax[1][0]) < 1e-4 and abs(ns[1][0]) > 0.99
    # Both games share D's loss: -log D(x) - log(1 - D(G(z))).
    np.testing.assert_allclose(minimax[2], ns[2])
    np.testing.assert_allclose(minimax[2], _softplus(-1.0) + _softplus(logits), rtol=1e-5)


def test_rejects_losses_of_other_families():
    gan = VanillaGAN(data_shape=(2,), latent_dim=4, width=4)
    with pytest.raises(ValueError, match="minimax"):
        gan.compile(loss="wasserstein")
    gan.compile(loss={"name": "minimax", "label_smoothing": 0.1})
    assert gan.adversarial_loss.options == {"label_smoothing": 0.1}


@pytest.mark.parametrize("data_shape", [(2,), (28, 28, 1)])
def test_maxout_discriminator_option_builds(data_shape):
    gan = VanillaGAN(data_shape=data_shape, latent_dim=4, width=6,
                     discriminator_options={"maxout_pieces": 5})
    maxouts = [layer for layer in gan.discriminator.layers if isinstance(layer, Maxout)]
    assert len(maxouts) == 2
    assert all(layer.pieces == 5 and layer.units == 6 for layer in maxouts)
    assert gan.discriminator(np.zeros((3,) + data_shape, np.float32)).shape == (3, 1)
    gan.compile()
    terms = gan.discriminator_step(tf.zeros((3,) + data_shape))
    assert np.isfinite(terms["d_loss"].numpy()).all()


def test_d_steps_is_k():
    keras.utils.set_random_seed(0)
    gan = VanillaGAN(data_shape=(2,), latent_dim=4, width=8)
    gan.compile(d_steps=3, run_eagerly=True)  # eager: no tracing for a tiny check
    gan.fit(keras_gans.data.load("ring8", batch_size=32, num_samples=64), epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == 2
    assert int(gan.d_optimizer.iterations.numpy()) == 6
