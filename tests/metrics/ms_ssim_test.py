"""MS-SSIM against tf.image.ssim_multiscale and the 28x28 adaptation."""

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.metrics import ms_ssim as ms_lib


def test_ms_ssim_of_an_image_with_itself_is_one(rng):
    x = rng.uniform(-1, 1, size=(3, 28, 28, 1))
    np.testing.assert_allclose(ms_lib.multiscale_ssim(x, x), 1.0, rtol=1e-12)


@pytest.mark.parametrize("shape", [(3, 28, 28, 1), (2, 30, 31, 3)])
def test_matches_tensorflow_reference(rng, shape):
    x = rng.uniform(-1, 1, size=shape)
    y = np.clip(x + rng.normal(scale=0.3, size=shape), -1, 1)
    weights = ms_lib.scale_weights(2)
    expected = tf.image.ssim_multiscale(tf.constant(x, tf.float32), tf.constant(y, tf.float32),
                                        max_val=2.0, power_factors=weights).numpy()
    np.testing.assert_allclose(ms_lib.multiscale_ssim(x, y), expected, rtol=1e-5)


def test_28x28_uses_two_scales_with_renormalized_standard_weights():
    assert ms_lib.num_scales_for(28, 28) == 2
    assert ms_lib.num_scales_for(176, 176) == 5
    w = ms_lib.scale_weights(2)
    assert sum(w) == pytest.approx(1.0)
    assert w[0] / w[1] == pytest.approx(0.0448 / 0.2856)


def test_too_many_scales_for_small_images_raise(rng):
    x = rng.uniform(-1, 1, size=(1, 28, 28, 1))
    with pytest.raises(ValueError, match="Use at most 2 scale"):
        ms_lib.multiscale_ssim(x, x, power_factors=ms_lib.scale_weights(3))


def test_diversity_is_one_for_copies_and_low_for_noise(rng):
    same = np.repeat(rng.uniform(-1, 1, size=(1, 28, 28, 1)), 20, axis=0)
    assert ms_lib.ms_ssim_diversity(same) == pytest.approx(1.0)
    noise = rng.uniform(-1, 1, size=(20, 28, 28, 1))
    assert ms_lib.ms_ssim_diversity(noise) < 0.1


def test_diversity_pairs_are_seeded_and_disjoint(rng):
    x = rng.uniform(-1, 1, size=(10, 28, 28, 1))
    order = np.random.default_rng(5).permutation(10)
    expected = ms_lib.multiscale_ssim(x[order[0:6:2]], x[order[1:6:2]]).mean()
    assert ms_lib.ms_ssim_diversity(x, num_pairs=3, seed=5) == pytest.approx(expected)
    with pytest.raises(ValueError, match="at most 5 disjoint pairs"):
        ms_lib.ms_ssim_diversity(x, num_pairs=6)


def test_mismatched_shapes_raise(rng):
    with pytest.raises(ValueError, match="same shape"):
        ms_lib.multiscale_ssim(np.zeros((1, 28, 28, 1)), np.zeros((1, 28, 28, 3)))
