"""DiffAugment ops against numpy references and exact properties."""

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.augment.diffaugment import DiffAugment, cutout, translate


def np_color(x, u):
    x = x + (u[:, 0] - 0.5)[:, None, None, None]
    m = x.mean(axis=3, keepdims=True)
    x = (x - m) * (2 * u[:, 1])[:, None, None, None] + m
    m = x.mean(axis=(1, 2, 3), keepdims=True)
    return (x - m) * (u[:, 2] + 0.5)[:, None, None, None] + m


def np_translate(x, sy, sx):
    out = np.zeros_like(x)
    h, w = x.shape[1:3]
    for b in range(len(x)):
        for i in range(h):
            for j in range(w):
                si, sj = i - sy[b], j - sx[b]
                if 0 <= si < h and 0 <= sj < w:
                    out[b, i, j] = x[b, si, sj]
    return out


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(-1, 1, (3, 8, 8, 3))


def test_color_matches_numpy(images):
    u = np.random.default_rng(1).uniform(size=(3, 3))
    out = DiffAugment("color").apply(tf.constant(images), tf.constant(u))
    np.testing.assert_allclose(out, np_color(images, u), atol=1e-12)


def test_translation_matches_numpy_with_zero_fill(images):
    sy, sx = np.array([1, -1, 0]), np.array([0, 1, -1])
    out = translate(tf.constant(images), tf.constant(sy, tf.int32), tf.constant(sx, tf.int32))
    np.testing.assert_array_equal(out, np_translate(images, sy, sx))
    # The policy maps u to shifts in [-1, 1] for 8 pixels (ratio 1/8): u = 0.5 is 0.
    same = DiffAugment("translation").apply(tf.constant(images), tf.fill([3, 2], 0.5))
    np.testing.assert_array_equal(same, images)
    shifted = DiffAugment("translation").apply(tf.constant(images), tf.fill([3, 2], 0.99))
    np.testing.assert_array_equal(shifted, np_translate(images, [1] * 3, [1] * 3))


def test_cutout_zeroes_a_half_size_square(images):
    # centre 4 (u = 4.5 / 9 of H + 1 = 9 positions), size 4: rows and cols 2..5.
    u = tf.fill([3], 4.5 / 9)
    out = cutout(tf.constant(images), u, u).numpy()
    ref = images.copy()
    ref[:, 2:6, 2:6] = 0
    np.testing.assert_array_equal(out, ref)
    # At the corner the box is clipped: centre 0 -> rows 0..1.
    corner = cutout(tf.constant(images), tf.zeros([3]), tf.zeros([3])).numpy()
    ref = images.copy()
    ref[:, 0:2, 0:2] = 0
    np.testing.assert_array_equal(corner, ref)


def test_gradients_reach_the_images(images):
    aug = DiffAugment()
    x = tf.constant(images, tf.float32)
    u = tf.random.stateless_uniform([3, aug.num_draws], seed=[0, 3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(aug.apply(x, u) ** 2)
    grad = tape.gradient(y, x)
    assert grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0


def test_bad_policy_and_config_roundtrip():
    with pytest.raises(ValueError, match="color,translation,cutout"):
        DiffAugment("colour")
    aug = DiffAugment("cutout,color", cutout_ratio=0.25)
    clone = DiffAugment.from_config(aug.get_config())
    assert clone.policy == ["color", "cutout"] and clone.cutout_ratio == 0.25
