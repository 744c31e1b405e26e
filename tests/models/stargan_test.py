"""StarGAN: the translation harness, the paper's defaults, target permutation."""

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.models.stargan import StarGAN, permuted_domains
from keras_gans.testing.translation import TranslationFamilyTests


class TestStarGANContract(TranslationFamilyTests):
    family = StarGAN
    updates_per_step = {"d_optimizer": 5}
    # WGAN-GP on a tiny D: the penalty changes abruptly once units flip (see the harness).
    discriminator_sgd_learning_rate = 3e-4
    # The steps-change-only-their-network test and SGD test use one step each.
    compile_kwargs = {}


def test_paper_defaults():
    model = StarGAN(**StarGAN.example_config)
    model.compile()
    assert (model.lambda_gp, model.lambda_cls, model.lambda_rec, model.d_steps) == \
        (10.0, 1.0, 10.0, 5)
    for opt in (model.d_optimizer, model.g_optimizer):
        assert float(opt.learning_rate) == pytest.approx(1e-4)
        assert (float(opt.beta_1), float(opt.beta_2)) == (0.5, 0.999)


def test_targets_are_a_permutation_of_the_batch_domains():
    model = StarGAN(**StarGAN.example_config)
    domains = tf.constant([0, 0, 1, 2, 2, 2], tf.int32)
    model.reset_draws()
    targets = permuted_domains(model, domains).numpy()
    assert sorted(targets.tolist()) == sorted(domains.numpy().tolist())
    orders = set()
    for step in range(6):
        model.rng_step.assign(step)
        model.reset_draws()
        orders.add(tuple(permuted_domains(model, tf.range(6)).numpy()))
    assert len(orders) > 1, "the permutation did not change with the step"


def test_generator_loss_and_domain_checks():
    model = StarGAN(**StarGAN.example_config)
    model.compile()
    rng = np.random.default_rng(0)
    x = np.tanh(rng.standard_normal((2, 16, 16, 1))).astype(np.float32)
    terms = model.generator_step((tf.constant(x), tf.constant([0, 1])))
    np.testing.assert_allclose(terms["g_loss"].numpy(),
                               terms["g_adv"].numpy() + terms["g_cls"].numpy()
                               + 10.0 * terms["g_rec"].numpy(), rtol=1e-5)
    images = rng.integers(0, 256, (2, 16, 16, 1), dtype=np.uint8)
    with pytest.raises(ValueError, match="needs target_domain"):
        model.translate(images)
    with pytest.raises(ValueError, match=r"target_domain must lie in \[0, 2\]"):
        model.translate(images, target_domain=3)
    with pytest.raises(ValueError, match="num_domains"):
        StarGAN(resolution=16, channels=1)
    a = model.translate_float(images, target_domain=[0, 2])
    b = model.translate_float(images[:1], target_domain=2)
    np.testing.assert_allclose(a[1:], model.translate_float(images[1:], target_domain=2),
                               atol=1e-6)
    assert not np.allclose(a[:1], b)   # the domain changes the output
