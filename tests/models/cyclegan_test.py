"""CycleGAN: the translation harness, the paper's defaults, both directions."""

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.models.cyclegan import CycleGAN
from keras_gans.testing.translation import TranslationFamilyTests, example_batch


class TestCycleGANContract(TranslationFamilyTests):
    family = CycleGAN
    # Four cycle/identity L1 terms of two Gs: SGD's step must stay small.
    sgd_learning_rate = 1e-3


def test_paper_defaults():
    model = CycleGAN(**CycleGAN.example_config)
    model.compile()
    assert (model.lambda_cycle, model.lambda_identity, model.adversarial_loss) == \
        (10.0, 0.5, "least_squares")
    assert CycleGAN(resolution=32, channels=1, width=2).pool_size == 50
    d, g = CycleGAN.paper_optimizers(steps_per_epoch=10, epochs=4)
    assert float(g.learning_rate) == pytest.approx(2e-4)
    schedule = g._learning_rate if hasattr(g, "_learning_rate") else None
    assert schedule is None or float(schedule(30)) == pytest.approx(1e-4)


def test_generator_loss_is_adv_plus_weighted_cycle_and_identity():
    model = CycleGAN(**CycleGAN.example_config)
    model.compile()
    a, b = example_batch(model, 2)
    terms = model.generator_step((tf.constant(a), tf.constant(b)))
    np.testing.assert_allclose(
        terms["g_loss"].numpy(),
        terms["g_adv"].numpy() + 10.0 * terms["g_cycle"].numpy()
        + 0.5 * 10.0 * terms["g_identity"].numpy(), rtol=1e-5)


def test_directions_by_domain_name_and_refusals():
    model = CycleGAN(**{**CycleGAN.example_config, "domain_names": ("sneaker", "boot")})
    x = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 1), dtype=np.uint8)
    to_b = model.translate_float(x)
    np.testing.assert_array_equal(model.translate_float(x, target_domain="boot"), to_b)
    to_a = model.translate_float(x, target_domain="sneaker")
    np.testing.assert_allclose(to_a, model.generator_ba(x / 127.5 - 1.0).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="Unknown domain 'shoe'"):
        model.translate(x, target_domain="shoe")
    with pytest.raises(ValueError, match="two domains"):
        CycleGAN(resolution=16, channels=1, width=2, domain_names=("a", "b", "c"))
