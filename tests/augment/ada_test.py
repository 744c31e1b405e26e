"""ADA's pipeline: exact properties of each op, p = 0, gradients, the controller."""

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.augment.ada import (GATES, NUM_NORMALS, NUM_UNIFORMS, AdaptiveAugment,
                                    StatelessDraws, ada_adjust)

ALL_OFF = {k: 0.0 for k in AdaptiveAugment().ops}


def only(**ops):
    return AdaptiveAugment(ops={**ALL_OFF, **ops})


def draws(batch, gate=0.0, u=None, n=None):
    """Scripted draws: every gate below p (gate=0), chosen parameters."""
    u = np.zeros((batch, NUM_UNIFORMS)) if u is None else u
    n = np.zeros((batch, NUM_NORMALS)) if n is None else n
    return {"gate": tf.fill([batch, len(GATES)], float(gate)),
            "u": tf.constant(u, tf.float32), "n": tf.constant(n, tf.float32)}


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)


def test_p_zero_leaves_images_untouched(images):
    aug = AdaptiveAugment(ops={k: 1.0 for k in ALL_OFF})  # every op, noise and cutout too
    d = aug.draw(StatelessDraws([0, 5]), images.shape)
    np.testing.assert_array_equal(aug.apply(images, 0.0, d), images)
    assert np.abs(aug.apply(images, 1.0, d).numpy() - images).max() > 0.1


def test_xflip_matches_numpy_and_twice_is_identity(images):
    aug = only(xflip=1.0)
    u = np.zeros((2, NUM_UNIFORMS))
    u[:, 0] = 0.75  # flip
    d = draws(2, u=u)
    once = aug.apply(images, 1.0, d)
    np.testing.assert_array_equal(once, images[:, :, ::-1])
    np.testing.assert_array_equal(aug.apply(once, 1.0, d), images)


def test_rot90_matches_numpy(images):
    aug = only(rotate90=1.0)
    u = np.zeros((2, NUM_UNIFORMS))
    u[:, 1] = 0.3  # k = 1
    out = aug.apply(images, 1.0, draws(2, u=u)).numpy()
    ref = np.rot90(images, k=1, axes=(1, 2))
    ref_other = np.rot90(images, k=-1, axes=(1, 2))
    assert np.array_equal(out, ref) or np.array_equal(out, ref_other)
    x = images
    for _ in range(4):
        x = aug.apply(x, 1.0, draws(2, u=u))
    np.testing.assert_array_equal(x, images)


def test_integer_translation_uses_reflect_padding(images):
    aug = only(xint=1.0)
    u = np.zeros((2, NUM_UNIFORMS))
    u[:, 2] = 0.8  # tx = round((2u - 1) / 8 * 8 pixels) = 1
    u[:, 3] = 0.5  # ty = 0
    out = aug.apply(images, 1.0, draws(2, u=u)).numpy()
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (0, 0)), mode="reflect")
    np.testing.assert_allclose(out, padded[:, :, 0:8], atol=1e-6)
    zero = np.zeros((2, NUM_UNIFORMS))
    zero[:, 2:4] = 0.5  # translation by 0
    np.testing.assert_array_equal(aug.apply(images, 1.0, draws(2, u=zero)), images)


def test_fractional_translation_is_bilinear(images):
    aug = only(xfrac=1.0)
    n = np.zeros((2, NUM_NORMALS))
    n[:, 2] = 0.5 / (0.125 * 8)  # half a pixel in x
    out = aug.apply(images, 1.0, draws(2, n=n)).numpy()
    ref = 0.5 * (images[:, :, 1:-1] + images[:, :, :-2])
    np.testing.assert_allclose(out[:, :, 1:-1], ref, atol=1e-6)


def test_color_ops_on_rgb_and_gray(images):
    v = np.ones(3) / np.sqrt(3)
    u = np.zeros((2, NUM_UNIFORMS))
    u[:, 6] = 0.75  # luma flip on
    out = only(lumaflip=1.0).apply(images, 1.0, draws(2, u=u)).numpy()
    ref = images - 2 * (images @ v)[..., None] * v
    np.testing.assert_allclose(out, ref, atol=1e-5)
    # Hue rotation keeps the luma (the channel mean).
    u[:, 7] = 0.9
    hue = only(hue=1.0).apply(images, 1.0, draws(2, u=u)).numpy()
    np.testing.assert_allclose(hue.mean(-1), images.mean(-1), atol=1e-5)
    assert np.abs(hue - images).max() > 0.05
    # Gray: brightness adds 0.2 n, contrast scales by 2^(0.5 n), luma flip negates.
    gray = images[..., :1]
    n = np.zeros((2, NUM_NORMALS))
    n[:, 4], n[:, 5] = 1.0, 1.0
    bc = only(brightness=1.0, contrast=1.0).apply(gray, 1.0, draws(2, n=n)).numpy()
    np.testing.assert_allclose(bc, (gray + 0.2) * 2 ** 0.5, atol=1e-5)
    flip = only(lumaflip=1.0).apply(gray, 1.0, draws(2, u=u)).numpy()
    np.testing.assert_allclose(flip, -gray, atol=1e-6)


def test_gates_follow_p(images):
    # Gate uniforms at 0.5: applied for p = 0.6, not for p = 0.4.
    aug = only(brightness=1.0)
    n = np.ones((2, NUM_NORMALS))
    d = draws(2, gate=0.5, n=n)
    np.testing.assert_array_equal(aug.apply(images, 0.4, d), images)
    np.testing.assert_allclose(aug.apply(images, 0.6, d), images + 0.2, atol=1e-6)


def test_gradients_reach_the_images(images):
    aug = AdaptiveAugment()
    x = tf.constant(images)
    d = aug.draw(StatelessDraws([1, 2]), images.shape)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(aug.apply(x, 0.8, d) ** 2)
    assert float(tf.reduce_sum(tf.abs(tape.gradient(y, x)))) > 0


def test_controller_on_a_scripted_sequence():
    # 1000 images per update, ada_kimg = 10: steps of 0.1 up when r_t > 0.6.
    signs = [1.0, 1.0, 0.7, 0.2, -1.0, 0.6, 1.0]
    p, expected = 0.0, []
    for r in signs:
        p = float(ada_adjust(p, r, 1000, target=0.6, ada_kimg=10))
        expected.append(p)
    np.testing.assert_allclose(expected, [0.1, 0.2, 0.3, 0.2, 0.1, 0.1, 0.2], atol=1e-6)
    assert float(ada_adjust(0.0, -1.0, 1000, ada_kimg=10)) == 0.0  # clipped at 0
    assert float(ada_adjust(0.95, 1.0, 1000, ada_kimg=10)) == 1.0  # and at 1


def test_bad_options_fail_at_the_door():
    with pytest.raises(ValueError, match="Unknown ADA ops"):
        AdaptiveAugment(ops={"blur": 1.0})
    with pytest.raises(ValueError, match="ada_kimg"):
        AdaptiveAugment(ada_kimg=0)
    clone = AdaptiveAugment.from_config(AdaptiveAugment(ada_kimg=20).get_config())
    assert clone.ada_kimg == 20
