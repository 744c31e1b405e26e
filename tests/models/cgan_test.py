import numpy as np
import pytest

from keras_gans.models import registry
from keras_gans.models.cgan import CGAN
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.conditional import (
    check_export_rejects_out_of_range_labels,
    check_label_validation,
)


def tiny(**kwargs):
    return CGAN(data_shape=(8, 8, 1), latent_dim=4, width=4, num_classes=3, **kwargs)


class TestCGAN(GANFamilyTests):
    export_in_fresh_process = True  # one conditional family (labels input)
    def make_model(self):
        return tiny(ema_decay=0.9)


def test_registered():
    assert registry.get("cgan") is CGAN


def test_label_validation_and_export(tmp_path):
    gan = tiny()
    gan.compile()
    check_label_validation(gan)
    check_export_rejects_out_of_range_labels(gan, tmp_path)


@pytest.mark.parametrize("conditioning", ["input", "features"])
def test_both_players_see_the_label(conditioning):
    gan = tiny(discriminator_conditioning=conditioning)
    z = np.repeat(gan.latents(1, seed=0), 3, axis=0)
    images = gan.generate(z, [0, 1, 2])
    # Same z, different labels: different images (an untrained G's images are
    # small, so relative to their scale).
    scale = np.abs(images).max()
    assert np.abs(images[0] - images[1]).max() > 1e-2 * scale
    assert np.abs(images[1] - images[2]).max() > 1e-2 * scale
    # Same image, different labels: different D outputs.
    x = np.repeat(images[:1], 3, axis=0)
    logits = np.asarray(gan.discriminator([x, np.array([0, 1, 2], np.int32)], training=False))
    assert np.ptp(logits) > 1e-6


def test_label_maps_are_the_one_hot_label():
    gan = tiny()
    maps_layer = gan.discriminator.get_layer("label_maps")
    x = np.zeros((2, 8, 8, 1), np.float32)
    maps = np.asarray(maps_layer([np.array([2, 0], np.int32), x]))
    assert maps.shape == (2, 8, 8, 3)
    np.testing.assert_array_equal(maps[0], np.broadcast_to([0, 0, 1], (8, 8, 3)))
    np.testing.assert_array_equal(maps[1], np.broadcast_to([1, 0, 0], (8, 8, 3)))


def test_training_needs_labels():
    gan = tiny()
    gan.compile()
    with pytest.raises(ValueError, match="with_labels=True"):
        gan.fit(np.zeros((4, 8, 8, 1), np.float32), batch_size=4, epochs=1, verbose=0)


def test_rejects_bad_options():
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        CGAN(data_shape=(8, 8, 1), num_classes=1)
    with pytest.raises(ValueError, match="'input' or 'features'"):
        tiny(discriminator_conditioning="projection")
