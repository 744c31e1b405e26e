"""pix2pix: the translation harness, the U-Net's structure, the paper's defaults."""

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.models.pix2pix import Pix2Pix, build_unet_generator
from keras_gans.testing.translation import TranslationFamilyTests, example_batch


class TestPix2PixContract(TranslationFamilyTests):
    # Dropout in G draws new fakes every call (Keras seeds, not rewound).
    discriminator_sgd_learning_rate = 5e-2
    family = Pix2Pix


def test_paper_defaults():
    model = Pix2Pix(resolution=16, channels=1, width=4)
    model.compile()
    assert model.lambda_l1 == 100.0 and model.adversarial_loss == "non_saturating"
    assert model.d_loss_weight == 0.5
    for opt in (model.d_optimizer, model.g_optimizer):
        assert type(opt).__name__ == "Adam"
        assert float(opt.learning_rate) == pytest.approx(2e-4)
        assert float(opt.beta_1) == pytest.approx(0.5)


def test_unet_at_256_has_the_papers_encoder_and_three_dropout_blocks():
    g = build_unet_generator(256, 3, width=64)
    encoder = [g.get_layer(f"enc{i}").filters for i in range(8)]
    assert encoder == [64, 128, 256, 512, 512, 512, 512, 512]
    dropouts = [layer.name for layer in g.layers if "dropout" in layer.name]
    assert dropouts == ["dec6_dropout", "dec5_dropout", "dec4_dropout"]
    assert g.get_layer("enc7").output.shape[1:3] == (1, 1)


def test_skip_connections_carry_the_input():
    # With the innermost path zeroed, the output still depends on the input
    # through the skips: perturbing one pixel moves the output near it.
    g = build_unet_generator(16, 1, width=4, dropout=0.0)
    x = np.zeros((1, 16, 16, 1), np.float32)
    y0 = g(x, training=False).numpy()
    x[0, 3, 3, 0] = 1.0
    dy = np.abs(g(x, training=False).numpy() - y0)[0, ..., 0]
    assert dy[3, 3] > 0 and dy[:8, :8].sum() > 10 * dy[8:, 8:].sum()


def test_training_mode_samples_with_dropout_and_eval_mode_is_deterministic():
    model = Pix2Pix(**Pix2Pix.example_config)
    images = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 1), dtype=np.uint8)
    a = model.translate_float(images)
    np.testing.assert_array_equal(a, model.translate_float(images))
    b, c = model.translate_float(images, training=True), model.translate_float(images,
                                                                               training=True)
    assert np.abs(b - c).max() > 0, "dropout at sampling time drew the same masks twice"


def test_l1_term_is_the_mean_absolute_error():
    model = Pix2Pix(**{**Pix2Pix.example_config, "dropout": 0.0})
    model.compile()
    source, target = example_batch(model, 2)
    # The G forward of generator_step runs before its update: same weights.
    fake = model.generator(source, training=True).numpy().astype(np.float64)
    terms = model.generator_step((tf.constant(source), tf.constant(target)))
    np.testing.assert_allclose(terms["g_l1"].numpy(),
                               np.abs(fake - target).mean(axis=(1, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(terms["g_loss"].numpy(),
                               terms["g_adv"].numpy() + 100.0 * terms["g_l1"].numpy(), rtol=1e-5)
