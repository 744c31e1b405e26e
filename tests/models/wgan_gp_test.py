import json
import math

import numpy as np
import keras
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.models.wgan_gp import WGANGP, WGANLP
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.doubles import with_linear_critic


class Ring8Data:
    def make_dataset(self, model, batches=2):
        return keras_gans.data.load("ring8", batch_size=self.batch_size,
                                    num_samples=batches * self.batch_size)


class TestWGANGP(Ring8Data, GANFamilyTests):
    # Two critic steps trace the multi-step path at less cost than the
    # paper's five (which test_trains_on_ring8_with_the_defaults runs).
    compile_kwargs = {"d_steps": 2}

    def make_model(self):
        return WGANGP(data_shape=(2,), latent_dim=4, width=8)


class TestWGANLP(Ring8Data, GANFamilyTests):
    # WGAN-LP shares WGAN-GP's networks and export path; one fresh-process
    # export check (above) is enough.
    test_export_reload = None
    compile_kwargs = {"d_steps": 1}

    def make_model(self):
        return WGANLP(data_shape=(2,), latent_dim=4, width=8)


def _batch(shape, seed):
    return tf.constant(np.random.default_rng(seed).standard_normal(shape).astype("float32"))


@pytest.mark.parametrize("cls", [WGANGP, WGANLP])
def test_defaults_follow_algorithm_1(cls):
    gan = cls(data_shape=(2,), latent_dim=4, width=4)
    gan.compile()
    assert gan.adversarial_loss.name == "wasserstein"
    assert gan.d_steps == 5 and gan.penalty_weight == 10.0
    for opt in (gan.d_optimizer, gan.g_optimizer):
        config = opt.get_config()
        assert isinstance(opt, keras.optimizers.Adam)
        assert math.isclose(config["learning_rate"], 1e-4, rel_tol=1e-6)
        assert (config["beta_1"], config["beta_2"]) == (0.0, 0.9)
    gan.compile(penalty_weight=5.0)
    clone = cls.from_config(json.loads(json.dumps(gan.get_config())))
    clone.compile_from_config(json.loads(json.dumps(gan.get_compile_config())))
    assert clone.penalty_weight == 5.0


@pytest.mark.parametrize("cls", [WGANGP, WGANLP])
def test_trains_on_ring8_with_the_defaults(cls):
    keras.utils.set_random_seed(0)
    gan = cls(data_shape=(2,), latent_dim=4, width=8)
    gan.compile(run_eagerly=True)  # eager: no tracing for a tiny check
    history = gan.fit(keras_gans.data.load("ring8", batch_size=32, num_samples=96),
                      epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert int(gan.d_optimizer.iterations.numpy()) == 5 * 3
    assert int(gan.g_optimizer.iterations.numpy()) == 3


def test_dcgan_critic_has_layer_norm_and_no_batch_norm():
    d = WGANGP(data_shape=(28, 28, 1), latent_dim=4, width=4).discriminator
    kinds = [type(layer).__name__ for layer in d.layers]
    assert "LayerNormalization" in kinds and "BatchNormalization" not in kinds
    # User options still override the family's default.
    d = WGANGP(data_shape=(28, 28, 1), latent_dim=4, width=4,
               discriminator_options={"normalization": "batch"}).discriminator
    assert "BatchNormalization" in [type(layer).__name__ for layer in d.layers]


@pytest.mark.parametrize("norm,expected_gp,expected_lp", [
    (2.0, 1.0, 1.0),    # (2 - 1)^2 both
    (0.5, 0.25, 0.0),   # GP pushes the norm up to 1, LP does not
])
def test_linear_critic_penalties(norm, expected_gp, expected_lp):
    real, fake = _batch((5, 2), 0), _batch((5, 2), 1)
    kernel = [norm * 0.6, norm * 0.8]
    for cls, key, expected in ((WGANGP, "d_gp", expected_gp), (WGANLP, "d_lp", expected_lp)):
        gan = with_linear_critic(cls, kernel)
        gan.compile()
        terms = gan.compute_discriminator_loss(real, fake)
        np.testing.assert_allclose(terms[key].numpy(), np.full(5, expected), atol=1e-5)
        # d_loss = D(G(z)) - D(x) + lambda * penalty, per example.
        w = np.asarray(kernel)
        wasserstein = fake.numpy() @ w - real.numpy() @ w
        np.testing.assert_allclose(terms["d_loss"].numpy(), wasserstein + 10.0 * expected,
                                   rtol=1e-5, atol=1e-5)


def _record_uniform_draws(gan):
    draws = []
    original = gan.random_uniform

    def recording(shape, *args, **kwargs):
        value = original(shape, *args, **kwargs)
        draws.append(value)
        return value

    gan.random_uniform = recording
    return draws


@pytest.mark.parametrize("cls,one_sided", [(WGANGP, False), (WGANLP, True)])
@pytest.mark.parametrize("data_shape", [(2,), (4, 4, 1)])
def test_penalty_matches_an_independent_computation_on_the_same_epsilon(
        cls, one_sided, data_shape):
    keras.utils.set_random_seed(0)
    gan = cls(data_shape=data_shape, latent_dim=4, width=8, architecture="mlp")
    gan.compile()
    batch = 16
    real, fake = _batch((batch,) + data_shape, 0), _batch((batch,) + data_shape, 1)

    def input_gradient_norms(x):
        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(gan.discriminator(x, training=True))
        return np.sqrt((tape.gradient(total, x).numpy().reshape(batch, -1) ** 2).sum(axis=1))

    # Rescale the output layer (gradients scale with it) so that the gradient
    # norms straddle 1 and the one-sided penalty is active on some points.
    logit = gan.discriminator.get_layer("logit")
    midpoints = 0.5 * (real.numpy() + fake.numpy())
    logit.kernel.assign(logit.kernel / np.median(input_gradient_norms(midpoints)))
    draws = _record_uniform_draws(gan)
    terms = gan.compute_discriminator_loss(real, fake)
    # Exactly one draw: epsilon, uniform, one per example.
    assert len(draws) == 1, "epsilon must be drawn with random_uniform"
    epsilon = draws[0].numpy()
    assert epsilon.shape == (batch,) + (1,) * len(data_shape)
    assert epsilon.min() >= 0.0 and epsilon.max() <= 1.0
    norms = input_gradient_norms(epsilon * real.numpy() + (1.0 - epsilon) * fake.numpy())
    expected = np.maximum(norms - 1.0, 0.0) ** 2 if one_sided else (norms - 1.0) ** 2
    if one_sided:
        assert (norms > 1).any() and (norms < 1).any(), norms
    key = "d_lp" if one_sided else "d_gp"
    np.testing.assert_allclose(terms[key].numpy(), expected, rtol=1e-4, atol=1e-6)


def test_epsilon_is_uniform_on_the_unit_interval():
    gan = WGANGP(data_shape=(2,), latent_dim=4, width=4)
    gan.compile()
    draws = _record_uniform_draws(gan)
    real, fake = _batch((512, 2), 0), _batch((512, 2), 1)
    gan.compute_discriminator_loss(real, fake)
    epsilon = draws[0].numpy().ravel()
    # U[0, 1]: mean 1/2, variance 1/12 (a N(0, 1) or per-pixel draw fails).
    assert epsilon.min() >= 0.0 and epsilon.max() <= 1.0
    assert abs(epsilon.mean() - 0.5) < 0.05 and abs(epsilon.var() - 1 / 12) < 0.02
