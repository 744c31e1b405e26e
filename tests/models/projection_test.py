import math

import keras
import numpy as np

from keras_gans.layers.conditional import ConditionalBatchNormalization, ProjectionOutput
from keras_gans.models import registry
from keras_gans.models.projection import SNGANProjection
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.conditional import (
    check_export_rejects_out_of_range_labels,
    check_label_validation,
)
from keras_gans.testing.doubles import all_layers


def tiny(**kwargs):
    return SNGANProjection(data_shape=(8, 8, 1), latent_dim=4, width=4, num_classes=3, **kwargs)


class TestSNGANProjection(GANFamilyTests):
    # Keras's SpectralNormalization assigns W / sigma to the wrapped kernels on
    # every training-mode call, and a G step calls D in training mode: D's
    # weights change in a G step.
    generator_step_may_change_discriminator = True
    compile_kwargs = {"d_steps": 1}

    def make_model(self):
        return tiny(ema_decay=0.9)


def test_defaults_follow_the_paper():
    assert registry.get("sngan_projection") is SNGANProjection
    gan = tiny()
    gan.compile()
    assert gan.adversarial_loss.name == "hinge" and gan.d_steps == 5
    for opt in (gan.d_optimizer, gan.g_optimizer):
        config = opt.get_config()
        assert math.isclose(config["learning_rate"], 2e-4, rel_tol=1e-6)
        assert (config["beta_1"], config["beta_2"]) == (0.0, 0.9)


def test_spectral_norm_everywhere_in_d_and_conditional_bn_in_g():
    gan = tiny()
    d_layers = list(all_layers(gan.discriminator))
    weighted = [layer for layer in d_layers
                if isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D))]
    wrapped = {id(layer.layer) for layer in d_layers
               if isinstance(layer, keras.layers.SpectralNormalization)}
    assert weighted and all(id(layer) in wrapped for layer in weighted), \
        [layer.name for layer in weighted if id(layer) not in wrapped]
    projection = [layer for layer in d_layers if isinstance(layer, ProjectionOutput)]
    assert len(projection) == 1 and projection[0].spectral_norm
    assert isinstance(projection[0].embedding, keras.layers.SpectralNormalization)
    assert not any(isinstance(layer, (keras.layers.BatchNormalization,
                                      keras.layers.LayerNormalization)) for layer in d_layers)
    # Every BN of G is the (affine-free) normalization inside a conditional BN.
    g_layers = gan.generator.layers
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in g_layers)
    cbns = [layer for layer in g_layers if isinstance(layer, ConditionalBatchNormalization)]
    inner = [layer for layer in all_layers(gan.generator)
             if isinstance(layer, keras.layers.BatchNormalization)]
    assert cbns and {id(layer) for layer in inner} == {id(c.batch_norm) for c in cbns}


def test_label_validation_and_export(tmp_path):
    gan = tiny()
    gan.compile()
    check_label_validation(gan)
    check_export_rejects_out_of_range_labels(gan, tmp_path)


def test_generator_label_enters_through_conditional_bn():
    gan = tiny()
    cbns = [layer for layer in gan.generator.layers
            if isinstance(layer, ConditionalBatchNormalization)]
    z = np.repeat(gan.latents(1, seed=2), 2, axis=0)
    # Untrained: gamma = 1, beta = 0 for every class, so the label has no effect ...
    same = gan.generate(z, [0, 2])
    np.testing.assert_allclose(same[0], same[1], atol=1e-6)
    # ... until the class tables differ.
    beta = cbns[0].beta.numpy()
    beta[2] += 1.0
    cbns[0].beta.assign(beta)
    images = gan.generate(z, [0, 2])
    assert np.abs(images[0] - images[1]).max() > 1e-2 * np.abs(images).max()
