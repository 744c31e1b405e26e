import json
import math

import numpy as np
import keras
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.models.dragan import DRAGAN
from keras_gans.testing import GANFamilyTests


class TestDRAGAN(GANFamilyTests):
    """The paper's defaults, trained on the 2-D ring of Gaussians."""

    def make_model(self):
        return DRAGAN(data_shape=(2,), latent_dim=4, width=8)

    def make_dataset(self, model, batches=2):
        return keras_gans.data.load("ring8", batch_size=self.batch_size,
                                    num_samples=batches * self.batch_size)


def _batch(shape, seed):
    return tf.constant(np.random.default_rng(seed).standard_normal(shape).astype("float32"))


def _softplus(x):
    return np.logaddexp(0.0, x)


def test_defaults():
    gan = DRAGAN(data_shape=(2,), latent_dim=4, width=4)
    gan.compile()
    assert gan.adversarial_loss.name == "non_saturating"
    assert gan.d_steps == 1
    assert (gan.penalty_weight, gan.perturbation_scale) == (10.0, 0.5)
    for opt in (gan.d_optimizer, gan.g_optimizer):
        config = opt.get_config()
        assert isinstance(opt, keras.optimizers.Adam)
        assert math.isclose(config["learning_rate"], 1e-4, rel_tol=1e-6)
        assert (config["beta_1"], config["beta_2"]) == (0.5, 0.9)
    gan.compile(loss="minimax", penalty_weight=3.0, perturbation_scale=0.25)
    clone = DRAGAN.from_config(json.loads(json.dumps(gan.get_config())))
    clone.compile_from_config(json.loads(json.dumps(gan.get_compile_config())))
    assert (clone.penalty_weight, clone.perturbation_scale) == (3.0, 0.25)
    assert clone.adversarial_loss.name == "minimax"
    with pytest.raises(ValueError, match="perturbation_scale"):
        gan.compile(perturbation_scale=0.0)


def test_dcgan_critic_has_no_batch_norm():
    d = DRAGAN(data_shape=(28, 28, 1), latent_dim=4, width=4).discriminator
    kinds = [type(layer).__name__ for layer in d.layers]
    assert "BatchNormalization" not in kinds and "LayerNormalization" in kinds


def test_penalty_is_taken_around_perturbed_real_data():
    keras.utils.set_random_seed(0)
    gan = DRAGAN(data_shape=(2,), latent_dim=4, width=8)
    gan.compile()
    batch = 16
    real, fake = _batch((batch, 2), 0), _batch((batch, 2), 1)
    draws = []
    original = gan.random_uniform

    def recording(shape, *args, **kwargs):
        draws.append(original(shape, *args, **kwargs))
        return draws[-1]

    gan.random_uniform = recording
    terms = gan.compute_discriminator_loss(real, fake)
    # Per-element noise u and per-example alpha, both from U[0, 1].
    noise, alpha = sorted((d.numpy() for d in draws), key=lambda a: a.size, reverse=True)
    assert noise.shape == (batch, 2) and alpha.shape == (batch, 1)
    assert 0.0 <= noise.min() and noise.max() <= 1.0 and 0.0 <= alpha.min() and alpha.max() <= 1.0
    # delta = alpha * 0.5 * std(real batch) * u, around the REAL points.
    x_hat = tf.constant(real.numpy() + alpha * 0.5 * real.numpy().std() * noise)
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        total = tf.reduce_sum(gan.discriminator(x_hat, training=True))
    norms = np.linalg.norm(tape.gradient(total, x_hat).numpy(), axis=1)
    np.testing.assert_allclose(terms["d_penalty"].numpy(), (norms - 1.0) ** 2,
                               rtol=1e-4, atol=1e-6)
    # d_loss = the non-saturating D loss + lambda * penalty.
    real_logits = gan.discriminator(real).numpy()[:, 0]
    fake_logits = gan.discriminator(fake).numpy()[:, 0]
    gan_loss = _softplus(-real_logits) + _softplus(fake_logits)
    np.testing.assert_allclose(terms["d_loss"].numpy(),
                               gan_loss + 10.0 * terms["d_penalty"].numpy(), rtol=1e-5)


