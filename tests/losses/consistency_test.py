"""CR / bCR / zCR terms against numpy, and the papers' weights."""

import numpy as np
import tensorflow as tf

from keras_gans.losses import consistency


def test_terms_match_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    np.testing.assert_allclose(consistency.consistency_penalty(a, b), ((a - b) ** 2)[:, 0])
    x, y = rng.normal(size=(4, 3, 3, 1)), rng.normal(size=(4, 3, 3, 1))
    np.testing.assert_allclose(consistency.image_distance(x, y), ((x - y) ** 2).mean((1, 2, 3)))
    np.testing.assert_allclose(consistency.zcr_generator_term(x, y, 0.5),
                               -0.5 * ((x - y) ** 2).mean((1, 2, 3)))
    z, n = rng.normal(size=(4, 8)), rng.normal(size=(4, 8))
    np.testing.assert_allclose(consistency.perturb_latents(z, n), z + 0.03 * n)


def test_papers_weights():
    assert consistency.CR_WEIGHT == 10 and consistency.BCR_REAL_WEIGHT == 10
    assert consistency.BCR_FAKE_WEIGHT == 10 and consistency.ZCR_DISCRIMINATOR_WEIGHT == 5
    assert consistency.ZCR_GENERATOR_WEIGHT == 0.5 and consistency.ZCR_SIGMA == 0.03


def test_per_example_shape():
    out = consistency.consistency_penalty(tf.zeros([5, 1]), tf.ones([5, 1]))
    assert out.shape == (5,)
