"""Density and coverage against a brute-force reference."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from keras_gans.metrics import density_coverage as dc_lib


def brute_force(real, fake, k):
    radii = np.sort(cdist(real, real), axis=1)[:, k]
    inside = cdist(real, fake) < radii[:, None]  # [i, j]: fake j in real ball i
    return inside.sum() / (k * len(fake)), inside.any(axis=1).mean()


def test_identical_sets_have_coverage_one(rng):
    x = rng.normal(size=(300, 8))
    density, coverage = dc_lib.density_coverage_from_features(x, x)
    assert coverage == 1.0
    assert density == pytest.approx(brute_force(x, x, 5)[0])


def test_two_samples_of_one_distribution_have_density_near_one():
    rng = np.random.default_rng(0)
    density, coverage = dc_lib.density_coverage_from_features(rng.normal(size=(2000, 4)),
                                                              rng.normal(size=(2000, 4)))
    # Naeem et al.: E[density] ~ 1 for identical distributions; coverage is
    # about 1 - (1/2)^k for k = 5.
    assert 0.85 < density < 1.15 and coverage > 0.9


def test_far_generated_points_give_zero(rng):
    density, coverage = dc_lib.density_coverage_from_features(rng.normal(size=(100, 4)),
                                                              rng.normal(size=(80, 4)) + 50)
    assert density == 0.0 and coverage == 0.0


@pytest.mark.parametrize("k, row_batch", [(5, 1000), (5, 9), (2, 17)])
def test_matches_brute_force(rng, k, row_batch):
    real, fake = rng.normal(size=(110, 5)), rng.normal(size=(70, 5)) + 0.4
    got = dc_lib.density_coverage_from_features(real, fake, k=k, row_batch=row_batch)
    assert got == pytest.approx(brute_force(real, fake, k))


def test_invalid_k_raises(rng):
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        dc_lib.density_coverage_from_features(rng.normal(size=(10, 2)),
                                              rng.normal(size=(10, 2)), k=0)
