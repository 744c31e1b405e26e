"""Improved precision/recall against a brute-force reference."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from keras_gans.metrics import precision_recall as pr_lib
from keras_gans.metrics.neighbors import kth_neighbor_radii


def brute_force(real, fake, k):
    """Full distance matrices, radii from sorted rows (index 0 is the point itself)."""
    r_radii = np.sort(cdist(real, real), axis=1)[:, k]
    f_radii = np.sort(cdist(fake, fake), axis=1)[:, k]
    d = cdist(fake, real)
    precision = np.mean((d <= r_radii[None, :]).any(axis=1))
    recall = np.mean((d.T <= f_radii[None, :]).any(axis=1))
    return precision, recall


def test_identical_sets_have_precision_and_recall_one(rng):
    x = rng.normal(size=(200, 8))
    assert pr_lib.precision_recall_from_features(x, x) == (1.0, 1.0)


def test_far_generated_points_have_precision_zero(rng):
    real = rng.normal(size=(200, 8))
    fake = rng.normal(size=(150, 8)) + 100.0
    precision, recall = pr_lib.precision_recall_from_features(real, fake)
    assert precision == 0.0 and recall == 0.0


def test_half_collapsed_generator_keeps_precision_but_loses_recall(rng):
    real = np.concatenate([rng.normal(size=(200, 2)) - 5, rng.normal(size=(200, 2)) + 5])
    fake = rng.normal(size=(400, 2)) - 5  # only one of the two modes
    precision, recall = pr_lib.precision_recall_from_features(real, fake)
    assert precision > 0.9 and 0.4 < recall < 0.6


@pytest.mark.parametrize("k, row_batch", [(3, 1000), (3, 7), (1, 13), (5, 64)])
def test_matches_brute_force_for_any_batching(rng, k, row_batch):
    real = rng.normal(size=(120, 6))
    fake = rng.normal(size=(90, 6)) * 1.2 + 0.3
    got = pr_lib.precision_recall_from_features(real, fake, k=k, row_batch=row_batch)
    assert got == pytest.approx(brute_force(real, fake, k))


def test_kth_neighbor_radii_match_sorted_distances(rng):
    x = rng.normal(size=(50, 3))
    np.testing.assert_allclose(kth_neighbor_radii(x, 3, row_batch=8),
                               np.sort(cdist(x, x), axis=1)[:, 3], rtol=1e-9, atol=1e-9)


def test_too_few_samples_for_k_raises(rng):
    with pytest.raises(ValueError, match="needs at least 4"):
        pr_lib.precision_recall_from_features(rng.normal(size=(3, 2)), rng.normal(size=(10, 2)))
