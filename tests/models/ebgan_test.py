import numpy as np
import pytest
import tensorflow as tf

from keras_gans.losses.reduction import reduce_batch_scalar, reduce_per_example
from keras_gans.models.ebgan import EBGAN, margin_discriminator_loss, pulling_away_term
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.distribute import two_device_strategy


def tiny(**kwargs):
    return EBGAN(**{"data_shape": (2,), "latent_dim": 4, "width": 8, "embedding_dim": 4,
                    **kwargs})


class TestEBGAN(GANFamilyTests):
    def make_model(self):
        return tiny()


def numpy_pt(s):
    s = np.asarray(s, np.float64).reshape(len(s), -1)
    s = s / np.linalg.norm(s, axis=1, keepdims=True)
    n = len(s)
    total = sum(float(s[i] @ s[j]) ** 2 for i in range(n) for j in range(n) if i != j)
    return total / (n * (n - 1))


def test_pulling_away_term_against_formula():
    assert float(pulling_away_term(tf.eye(4))) == pytest.approx(0.0, abs=1e-7)
    assert float(pulling_away_term(tf.ones((5, 3)) * 2.5)) == pytest.approx(1.0, abs=1e-6)
    # Opposite vectors have cos = -1: cos^2 = 1.
    assert float(pulling_away_term([[1.0, 0.0], [-2.0, 0.0]])) == pytest.approx(1.0, abs=1e-6)
    s = np.random.default_rng(0).standard_normal((6, 3, 2))
    assert float(pulling_away_term(tf.constant(s))) == pytest.approx(numpy_pt(s), rel=1e-10)
    # An all-zero embedding gives no NaN.
    assert np.isfinite(float(pulling_away_term(tf.zeros((3, 2)))))


def test_margin_loss_against_formula():
    real = np.array([0.1, 0.5, 2.0], np.float32)
    fake = np.array([0.3, 1.5, 0.0], np.float32)
    expected = real + np.maximum(0.0, 1.0 - fake)
    np.testing.assert_allclose(margin_discriminator_loss(real, fake, 1.0), expected, rtol=1e-6)


def _energy_and_embedding(model, x):
    recon, emb = model.discriminator(x, training=True)
    return ((x - np.asarray(recon)) ** 2).reshape(len(x), -1).mean(axis=1), np.asarray(emb)


def test_model_losses_against_numpy():
    gan = tiny()
    gan.compile(margin=0.8, pt_weight=0.3)
    rng = np.random.default_rng(1)
    real = rng.standard_normal((6, 2)).astype("float32")
    fake = rng.standard_normal((6, 2)).astype("float32")
    e_real, _ = _energy_and_embedding(gan, real)
    e_fake, emb = _energy_and_embedding(gan, fake)
    d_terms = gan.compute_discriminator_loss(tf.constant(real), tf.constant(fake))
    np.testing.assert_allclose(d_terms["d_loss"], e_real + np.maximum(0, 0.8 - e_fake),
                               rtol=1e-5, atol=1e-6)
    g_terms = gan.compute_generator_loss(tf.constant(fake))
    pt = numpy_pt(emb)
    assert float(g_terms["g_pt"]) == pytest.approx(pt, rel=1e-4)
    np.testing.assert_allclose(g_terms["g_loss"], e_fake + 0.3 * pt, rtol=1e-5)
    gan.compile(pt_weight=0.0)
    np.testing.assert_allclose(gan.compute_generator_loss(tf.constant(fake))["g_loss"], e_fake,
                               rtol=1e-5)


def test_broadcast_batch_term_reduces_like_a_batch_scalar_on_two_replicas():
    """The reduction EBGAN's g_loss relies on (see the module docstring)."""
    strategy = two_device_strategy()
    energies = strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.constant([1.0, 2.0, 3.0]) * tf.cast(ctx.replica_id_in_sync_group + 1,
                                                           tf.float32))

    def both(e):
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        pt = tf.cast(replica, tf.float32) * 0.5 + 0.25  # differs per replica
        return reduce_per_example(e + 0.1 * pt), reduce_per_example(e) + reduce_batch_scalar(
            0.1 * pt)

    a, b = strategy.run(both, args=(energies,))
    total_a = strategy.reduce("SUM", a, axis=None)
    total_b = strategy.reduce("SUM", b, axis=None)
    # mean energy over the 6 examples = 3, mean PT over replicas = 0.5.
    assert float(total_a) == pytest.approx(3.0 + 0.1 * 0.5, rel=1e-6)
    assert float(total_a) == pytest.approx(float(total_b), rel=1e-6)


def test_compile_validates_options():
    gan = tiny()
    with pytest.raises(ValueError, match="margin"):
        gan.compile(margin=0.0)
    with pytest.raises(ValueError, match="own losses"):
        gan.compile(loss="least_squares")
