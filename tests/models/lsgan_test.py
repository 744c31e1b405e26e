import json
import math

import numpy as np
import keras
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.losses import AdversarialLoss
from keras_gans.models.lsgan import LSGAN, PEARSON_CODING, ZERO_ONE_CODING
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.doubles import with_linear_critic


class TestLSGAN(GANFamilyTests):
    """The paper's defaults, trained on the 2-D ring of Gaussians."""

    def make_model(self):
        return LSGAN(data_shape=(2,), latent_dim=4, width=8)

    def make_dataset(self, model, batches=2):
        return keras_gans.data.load("ring8", batch_size=self.batch_size,
                                    num_samples=batches * self.batch_size)


def test_defaults():
    gan = LSGAN(data_shape=(2,), latent_dim=4, width=4)
    gan.compile()
    assert gan.adversarial_loss.get_config() == {"name": "least_squares", **ZERO_ONE_CODING}
    assert gan.d_steps == 1
    for opt in (gan.d_optimizer, gan.g_optimizer):
        config = opt.get_config()
        assert isinstance(opt, keras.optimizers.Adam)
        assert math.isclose(config["learning_rate"], 1e-3, rel_tol=1e-6)
        assert config["beta_1"] == 0.5


@pytest.mark.parametrize("coding", [None, PEARSON_CODING, {"a": 0.5, "b": 2.0, "c": -1.0}])
def test_losses_follow_the_formula(coding):
    # D(x) = x_0: the first coordinate of each point is its D output.
    real_out = np.array([1.5, -0.5, 0.0, 2.0], np.float32)
    fake_out = np.array([-1.0, 0.25, 3.0, 0.0], np.float32)
    real = tf.constant(np.stack([real_out, np.ones_like(real_out)], axis=1))
    fake = tf.constant(np.stack([fake_out, -np.ones_like(fake_out)], axis=1))
    gan = with_linear_critic(LSGAN, [1.0, 0.0])
    if coding is None:
        gan.compile()
        coding = ZERO_ONE_CODING
    else:
        gan.compile(loss=AdversarialLoss("least_squares", **coding))
    a, b, c = coding["a"], coding["b"], coding["c"]
    d_terms = gan.compute_discriminator_loss(real, fake)
    g_terms = gan.compute_generator_loss(fake)
    np.testing.assert_allclose(d_terms["d_loss"].numpy(),
                               0.5 * (real_out - b) ** 2 + 0.5 * (fake_out - a) ** 2, rtol=1e-6)
    np.testing.assert_allclose(g_terms["g_loss"].numpy(), 0.5 * (fake_out - c) ** 2, rtol=1e-6)
    # D's output is a regression value, logged as is (no sigmoid).
    np.testing.assert_allclose(d_terms["d_real"].numpy(), real_out, rtol=1e-6)
    # The codes survive the compile config.
    clone = LSGAN.from_config(json.loads(json.dumps(gan.get_config())))
    clone.compile_from_config(json.loads(json.dumps(gan.get_compile_config())))
    assert clone.adversarial_loss.get_config() == {"name": "least_squares", **coding}
