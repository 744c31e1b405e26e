import json
import math

import numpy as np
import keras
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.models.wgan import WGAN, clip_weights
from keras_gans.testing import GANFamilyTests


class TestWGAN(GANFamilyTests):
    # Two critic steps trace the multi-step path at less cost than the
    # paper's five (which test_critic_stays_clipped_through_fit runs).
    compile_kwargs = {"d_steps": 2}

    def make_model(self):
        return WGAN(data_shape=(2,), latent_dim=4, width=8)

    def make_dataset(self, model, batches=2):
        return keras_gans.data.load("ring8", batch_size=self.batch_size,
                                    num_samples=batches * self.batch_size)


def test_defaults_follow_algorithm_1():
    gan = WGAN(data_shape=(2,), latent_dim=4, width=4)
    gan.compile()
    assert gan.adversarial_loss.name == "wasserstein"
    assert gan.d_steps == 5 and gan.clip_value == 0.01
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(opt, keras.optimizers.RMSprop)
        assert math.isclose(opt.get_config()["learning_rate"], 5e-5, rel_tol=1e-6)


def test_critic_step_clips_every_trainable_weight():
    gan = WGAN(data_shape=(28, 28, 1), latent_dim=4, width=4)
    clip = 1e-3
    gan.compile(clip_value=clip)
    d = gan.discriminator
    # The initial weights violate the bound (BN scales are 1, kernels N(0, 0.02)).
    assert all(np.abs(v.numpy()).max() > clip for v in d.trainable_variables
               if "kernel" in v.path or "gamma" in v.path)
    real = np.tanh(np.random.default_rng(0).standard_normal((4, 28, 28, 1))).astype("float32")
    gan.discriminator_step(tf.constant(real))
    for v in d.trainable_variables:
        assert np.abs(v.numpy()).max() <= clip, v.path
    # Moving statistics are not weights of the critic function: not clipped.
    variances = [v for v in d.non_trainable_variables if "moving_variance" in v.path]
    assert variances and all(v.numpy().max() > clip for v in variances)


def test_critic_stays_clipped_through_fit():
    keras.utils.set_random_seed(0)
    gan = WGAN(data_shape=(2,), latent_dim=4, width=8)
    gan.compile(run_eagerly=True)  # eager: no tracing for a tiny check
    history = gan.fit(keras_gans.data.load("ring8", batch_size=32, num_samples=96),
                      epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert int(gan.d_optimizer.iterations.numpy()) == 5 * 3
    assert int(gan.g_optimizer.iterations.numpy()) == 3
    for v in gan.discriminator.trainable_variables:
        assert np.abs(v.numpy()).max() <= 0.01, v.path


def test_clip_value_is_saved_with_the_compile_config():
    gan = WGAN(data_shape=(2,), latent_dim=4, width=4)
    gan.compile(clip_value=0.02, d_steps=3)
    config = json.loads(json.dumps(gan.get_compile_config()))
    assert config["clip_value"] == 0.02
    clone = WGAN.from_config(json.loads(json.dumps(gan.get_config())))
    clone.compile_from_config(config)
    assert clone.clip_value == 0.02 and clone.d_steps == 3
    with pytest.raises(ValueError, match="clip_value"):
        gan.compile(clip_value=0.0)


def test_clip_weights_helper():
    v = keras.Variable([-1.0, 0.005, 2.0])
    clip_weights([v], 0.01)
    np.testing.assert_allclose(v.numpy(), [-0.01, 0.005, 0.01])
