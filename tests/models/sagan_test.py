import math

import keras
import numpy as np
import pytest

from keras_gans.layers.attention import SelfAttention2D
from keras_gans.layers.conditional import ConditionalBatchNormalization, ProjectionOutput
from keras_gans.models import registry
from keras_gans.models.sagan import SAGAN
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.conditional import (check_export_rejects_out_of_range_labels,
                                            check_label_validation)


def unchanged_up_to_spectral_renormalization(model, before):
    """G's weights after a D step: untouched, except spectrally normalized kernels,
    which G's own training-mode forward pass rescales by 1 / sigma (a scalar)."""
    for v, b in zip(model.trainable_variables, before):
        a = v.numpy()
        if np.array_equal(a, b):
            continue
        scale = np.sum(a * b) / np.sum(b * b)
        np.testing.assert_allclose(a, scale * b, rtol=1e-4, atol=1e-6, err_msg=v.path)
        assert "kernel" in v.path, f"{v.path} changed in a D step"


class SpectralGeneratorTests(GANFamilyTests):
    """The harness, for families with spectral norm in G AND D.

    Keras's SpectralNormalization assigns W / sigma to the wrapped kernel on
    every training-mode call: a G step renormalizes D's kernels, and a D step
    (which runs G in training mode to make its fakes) renormalizes G's. The D
    step test then checks that G's weights changed only by those scalings.
    """

    generator_step_may_change_discriminator = True

    def test_discriminator_step_changes_only_discriminator(self):
        from keras_gans.testing.harness import changed, trainable_snapshot
        import tensorflow as tf

        model = self.build()
        real, labels = self.make_batch(model)
        g0, d0 = trainable_snapshot(model.generator), trainable_snapshot(model.discriminator)
        model.discriminator_step(tf.constant(real), tf.constant(labels))
        unchanged_up_to_spectral_renormalization(model.generator, g0)
        assert any(changed(d0, trainable_snapshot(model.discriminator))), "D unchanged"


class TestSAGAN(SpectralGeneratorTests):

    def make_model(self):
        return SAGAN(**SAGAN.example_config)


def all_layers(model):
    return list(model._flatten_layers(include_self=False, recursive=True))


@pytest.fixture(scope="module")
def gan16():
    keras.utils.set_random_seed(0)
    gan = SAGAN(resolution=16, latent_dim=4, width=8, num_classes=3, attention_resolution=8)
    gan.compile()
    return gan


def test_defaults_follow_the_paper(gan16):
    assert registry.get("sagan") is SAGAN
    assert gan16.adversarial_loss.name == "hinge" and gan16.d_steps == 1
    for opt, lr in ((gan16.d_optimizer, 4e-4), (gan16.g_optimizer, 1e-4)):
        config = opt.get_config()
        assert math.isclose(config["learning_rate"], lr, rel_tol=1e-6)
        assert (config["beta_1"], config["beta_2"]) == (0.0, 0.9)


def test_attention_spectral_norm_cbn_and_projection(gan16):
    for net in (gan16.generator, gan16.discriminator):
        layers = all_layers(net)
        attention = [layer for layer in layers if isinstance(layer, SelfAttention2D)]
        assert len(attention) == 1 and attention[0].spectral_norm
        weighted = [layer for layer in layers if isinstance(layer, (keras.layers.Dense,
                                                                    keras.layers.Conv2D))]
        wrapped = {id(layer.layer) for layer in layers
                   if isinstance(layer, keras.layers.SpectralNormalization)}
        # Every weight layer except the per-class CBN tables (not Dense) is normalized.
        assert weighted and all(id(layer) in wrapped for layer in weighted), \
            [layer.name for layer in weighted if id(layer) not in wrapped]
    g_layers = all_layers(gan16.generator)
    assert sum(isinstance(layer, ConditionalBatchNormalization) for layer in g_layers) == 4
    assert any(isinstance(layer, ProjectionOutput) and layer.spectral_norm
               for layer in all_layers(gan16.discriminator))


def test_label_validation_and_export(gan16, tmp_path):
    check_label_validation(gan16)
    check_export_rejects_out_of_range_labels(gan16, tmp_path)


def test_bad_arguments_fail_at_the_door():
    with pytest.raises(ValueError, match="4 times a power of two"):
        SAGAN(resolution=28)
    with pytest.raises(ValueError, match="multiple of 8"):
        SAGAN(resolution=8, width=12, attention_resolution=None)
    with pytest.raises(ValueError, match="attention_resolution must be one of"):
        SAGAN(resolution=8, width=8, attention_resolution=6)
