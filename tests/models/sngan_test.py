import math

import numpy as np
import keras
import pytest

import keras_gans
from keras_gans.models.sngan import SNGAN, spectral_norm_layers
from keras_gans.testing import GANFamilyTests


class TestSNGAN(GANFamilyTests):
    # Keras's SpectralNormalization assigns W / sigma to the wrapped kernel
    # (and updates its singular-vector estimate) on every training-mode call,
    # and a G step calls D in training mode: D's weights change in a G step.
    generator_step_may_change_discriminator = True

    def make_model(self):
        return SNGAN(data_shape=(2,), latent_dim=4, width=8)

    def make_dataset(self, model, batches=2):
        return keras_gans.data.load("ring8", batch_size=self.batch_size,
                                    num_samples=batches * self.batch_size)


def test_defaults_follow_the_paper():
    gan = SNGAN(data_shape=(2,), latent_dim=4, width=4)
    gan.compile()
    assert gan.adversarial_loss.name == "hinge"
    assert gan.d_steps == 1
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        config = opt.get_config()
        assert math.isclose(config["learning_rate"], 1e-4, rel_tol=1e-6)
        assert (config["beta_1"], config["beta_2"]) == (0.5, 0.999)


@pytest.mark.parametrize("data_shape", [(2,), (28, 28, 1)])
def test_every_discriminator_layer_is_spectrally_normalized(data_shape):
    d = SNGAN(data_shape=data_shape, latent_dim=4, width=4).discriminator
    wrapped = {id(layer.layer) for layer in spectral_norm_layers(d)}
    weighted = [layer for layer in d.layers
                if isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D))]
    assert not weighted, f"unwrapped weight layers: {[layer.name for layer in weighted]}"
    assert len(wrapped) >= 3
    kinds = {type(layer).__name__ for layer in d.layers}
    assert not kinds & {"BatchNormalization", "LayerNormalization"}, kinds


def test_inference_mode_calls_do_not_change_the_discriminator():
    gan = SNGAN(data_shape=(28, 28, 1), latent_dim=4, width=4)
    d = gan.discriminator
    x = np.tanh(np.random.default_rng(0).standard_normal((4, 28, 28, 1))).astype("float32")
    before = [w.numpy().copy() for w in d.weights]  # kernels and u estimates
    for _ in range(3):
        d(x, training=False)
    gan.generate(gan.latents(2))
    for b, w in zip(before, d.weights):
        np.testing.assert_array_equal(b, w.numpy(), err_msg=w.path)
    # The same call in training mode does change D: the check above can fail.
    d(x, training=True)
    assert any(not np.array_equal(b, w.numpy()) for b, w in zip(before, d.weights))


def _top_singular_values(layer):
    kernel = layer.kernel.numpy()
    # Keras normalizes the kernel reshaped to [-1, output channels].
    return np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)


def test_training_mode_calls_normalize_every_kernel():
    """After K training-mode calls, sigma_max of every wrapped kernel is ~1.

    Each call is one power iteration, u <- normalize(u W^T W), estimating
    sigma by ||v W|| with v = normalize(u W^T). With theta the angle between
    u and the top right singular vector, ||v W|| >= sigma_1 cos(theta), and
    tan(theta) shrinks by r^2 = (sigma_2 / sigma_1)^2 per call (W is only
    rescaled between calls). So after K calls
        1 <= sigma_max(W / estimate) <= 1 / cos(theta_{K-1})
          <= 1 + tan(theta_0)^2 r^(4 (K - 1)) / 2,
    a bound computed below from the initial u and the kernel's spectrum; K is
    the number of calls that brings it below 1e-3 for every kernel.
    """
    keras.utils.set_random_seed(1)
    d = SNGAN(data_shape=(28, 28, 1), latent_dim=4, width=4).discriminator
    layers = spectral_norm_layers(d)
    target = 1e-3
    spectra, calls = [], 1
    for layer in layers:
        kernel = layer.kernel.numpy()
        _, s, vt = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]))
        # The unnormalized initial kernels are far from sigma = 1.
        assert abs(s[0] - 1.0) > 0.5, (layer.name, s[0])
        u = layer.vector_u.numpy()[0]
        cos0 = abs(u @ vt[0]) / np.linalg.norm(u)
        tan0_sq = (1.0 - cos0 ** 2) / cos0 ** 2
        ratio = s[1] / s[0] if len(s) > 1 else 0.0
        spectra.append((tan0_sq, ratio))
        if ratio > 0 and tan0_sq > 2 * target:
            needed = math.log(2 * target / tan0_sq) / (4 * math.log(ratio))
            calls = max(calls, 1 + math.ceil(needed))
    assert calls <= 200, calls
    x = np.tanh(np.random.default_rng(0).standard_normal((4, 28, 28, 1))).astype("float32")
    for _ in range(calls):
        d(x, training=True)
    float_tol = 1e-5
    for layer, (tan0_sq, ratio) in zip(layers, spectra):
        bound = 0.5 * tan0_sq * ratio ** (4 * (calls - 1))
        assert bound <= target
        sigma = _top_singular_values(layer)[0]
        assert 1.0 - float_tol <= sigma <= 1.0 + bound + float_tol, (layer.name, sigma, bound)
