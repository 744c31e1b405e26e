import os

import numpy as np
import keras
import pytest
import tensorflow as tf

from keras_gans.models.began import BEGAN
from keras_gans.testing import GANFamilyTests


def tiny(**kwargs):
    return BEGAN(**{"data_shape": (2,), "latent_dim": 4, "width": 8, "embedding_dim": 4,
                    **kwargs})


class TestBEGAN(GANFamilyTests):
    def make_model(self):
        return tiny()


def test_conv_autoencoder_steps_on_images():
    """The conv autoencoder D on images (the harness runs the MLP variant)."""
    gan = BEGAN(data_shape=(28, 28, 1), latent_dim=4, width=4, embedding_dim=4)
    gan.compile(lambda_k=0.1)
    recon, embedding = gan.discriminator(np.zeros((2, 28, 28, 1), "float32"))
    assert recon.shape == (2, 28, 28, 1) and embedding.shape == (2, 4)
    real = tf.constant(np.tanh(np.random.default_rng(0).standard_normal((4, 28, 28, 1))),
                       tf.float32)
    d_terms = gan.discriminator_step(real)
    g_terms = gan.generator_step(4, real=real)
    assert np.isfinite(d_terms["d_loss"]).all() and np.isfinite(g_terms["g_loss"]).all()
    assert 0.0 < float(gan.k_t.numpy()) <= 1.0


def _numpy_l1(model, x):
    recon, _ = model.discriminator(x, training=True)
    return np.abs(x - np.asarray(recon)).reshape(len(x), -1).mean(axis=1)


def _batch(seed=0, n=8, scale=1.0):
    return (scale * np.random.default_rng(seed).standard_normal((n, 2))).astype("float32")


def test_losses_follow_the_paper():
    gan = tiny()
    gan.compile()
    gan.k_t.assign(0.3)
    real = _batch(0)
    fake = _batch(1)
    terms = gan.compute_discriminator_loss(tf.constant(real), tf.constant(fake))
    l_real, l_fake = _numpy_l1(gan, real), _numpy_l1(gan, fake)
    np.testing.assert_allclose(terms["d_real"], l_real, rtol=1e-5)
    np.testing.assert_allclose(terms["d_fake"], l_fake, rtol=1e-5)
    np.testing.assert_allclose(terms["d_loss"], l_real - 0.3 * l_fake, rtol=1e-5, atol=1e-6)
    m = l_real.mean() + abs(0.5 * l_real.mean() - l_fake.mean())
    np.testing.assert_allclose(float(terms["m_global"]), m, rtol=1e-5)
    g_terms = gan.compute_generator_loss(tf.constant(fake))
    np.testing.assert_allclose(g_terms["g_loss"], l_fake, rtol=1e-5)
    # Evaluating the losses never moves k_t: only a D update does.
    assert float(gan.k_t.numpy()) == pytest.approx(0.3)


def test_k_follows_the_update_formula_on_one_step():
    gan = tiny()
    gan.compile(gamma=0.7, lambda_k=0.05)
    gan.k_t.assign(0.4)
    terms = gan.discriminator_step(tf.constant(_batch(2)))
    expected = np.clip(0.4 + 0.05 * (0.7 * np.mean(terms["d_real"]) - np.mean(terms["d_fake"])),
                       0.0, 1.0)
    assert float(gan.k_t.numpy()) == pytest.approx(expected, abs=1e-6)
    assert float(gan.k_t.numpy()) != pytest.approx(0.4, abs=1e-7)


def test_k_is_clipped_to_the_unit_interval_both_ways():
    # Up: real points far from anything the untrained AE reconstructs, gamma 1.
    gan = tiny()
    gan.compile(gamma=1.0, lambda_k=1e3)
    real = tf.constant(_batch(3, scale=100.0))
    for _ in range(2):
        gan.discriminator_step(real)
        assert float(gan.k_t.numpy()) == 1.0
    # Down: gamma 0 makes the controller input -L(G(z)) < 0.
    gan = tiny()
    gan.compile(gamma=0.0, lambda_k=1e3)
    gan.k_t.assign(0.5)
    for _ in range(2):
        gan.discriminator_step(tf.constant(_batch(4)))
        assert float(gan.k_t.numpy()) == 0.0
    # Through fit (the fused step), the logged k_t stays in [0, 1] too.
    data = tf.data.Dataset.from_tensor_slices(_batch(5, n=16, scale=100.0)).batch(4)
    gan = tiny()
    gan.compile(gamma=1.0, lambda_k=1e3)
    history = gan.fit(data, epochs=1, verbose=0)
    assert 0.0 <= history.history["k_t"][-1] <= 1.0
    assert float(gan.k_t.numpy()) == 1.0


def test_k_is_saved_with_the_model(tmp_path):
    gan = tiny()
    gan.compile(gamma=0.3, lambda_k=0.002)
    gan.k_t.assign(0.625)
    path = os.path.join(tmp_path, "began.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert float(loaded.k_t.numpy()) == 0.625
    assert (loaded.gamma, loaded.lambda_k) == (0.3, 0.002)


def test_compile_validates_options():
    gan = tiny()
    with pytest.raises(ValueError, match="gamma"):
        gan.compile(gamma=1.5)
    with pytest.raises(ValueError, match="own losses"):
        gan.compile(loss="hinge")
