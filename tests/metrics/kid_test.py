"""KID against a direct O(n^2) computation and its unbiasedness."""

import numpy as np
import pytest

from keras_gans.metrics import kid as kid_lib


def direct_mmd2(x, y):
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, element by element."""
    m, d = len(x), x.shape[1]

    def k(a, b):
        return (float(np.dot(a, b)) / d + 1.0) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2.0 * xy / (m * m)


def test_kid_matches_direct_computation_on_small_inputs(rng):
    x = rng.normal(size=(20, 5))
    y = rng.normal(size=(20, 5)) * 1.3 + 0.4
    # One subset of all samples is a permutation of each set, and MMD^2 does
    # not depend on the order: the estimate must equal the full computation.
    mean, std = kid_lib.kid_from_features(x, y, n_subsets=1, subset_size=20)
    assert mean == pytest.approx(direct_mmd2(x, y), rel=1e-10)
    assert std == 0.0


def test_kid_averages_subsets_drawn_with_the_seed(rng):
    x, y = rng.normal(size=(30, 4)), rng.normal(size=(25, 4)) + 0.5
    draw = np.random.default_rng(7)
    expected = []
    for _ in range(3):
        xi = x[draw.choice(30, 10, replace=False)]
        yi = y[draw.choice(25, 10, replace=False)]
        expected.append(direct_mmd2(xi, yi))
    mean, std = kid_lib.kid_from_features(x, y, n_subsets=3, subset_size=10, seed=7)
    assert mean == pytest.approx(np.mean(expected), rel=1e-10)
    assert std == pytest.approx(np.std(expected), rel=1e-8)


def test_kid_is_near_zero_for_one_distribution_and_large_for_two():
    rng = np.random.default_rng(1)
    same = kid_lib.kid_from_features(rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16)),
                                     n_subsets=20, subset_size=200)
    shifted = kid_lib.kid_from_features(rng.normal(size=(1000, 16)),
                                        rng.normal(size=(1000, 16)) + 0.5,
                                        n_subsets=20, subset_size=200)
    # Unbiased: the same-distribution mean is zero up to noise (within a few
    # standard errors of the subset mean), far below the shifted case.
    assert abs(same[0]) < 3 * same[1]
    assert shifted[0] > 20 * abs(same[0]) and shifted[0] > 5 * shifted[1]


def test_kid_is_seeded(rng):
    x, y = rng.normal(size=(100, 3)), rng.normal(size=(100, 3))
    a = kid_lib.kid_from_features(x, y, n_subsets=5, subset_size=20, seed=3)
    assert a == kid_lib.kid_from_features(x, y, n_subsets=5, subset_size=20, seed=3)
    assert a != kid_lib.kid_from_features(x, y, n_subsets=5, subset_size=20, seed=4)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_subsets": 0}, "n_subsets must be an integer >= 1"),
    ({"subset_size": 1}, "subset_size must be an integer >= 2"),
])
def test_kid_rejects_bad_options(rng, kwargs, match):
    with pytest.raises(ValueError, match=match):
        kid_lib.kid_from_features(rng.normal(size=(10, 2)), rng.normal(size=(10, 2)), **kwargs)


def test_kid_rejects_mismatched_dims(rng):
    with pytest.raises(ValueError, match="same feature network"):
        kid_lib.kid_from_features(rng.normal(size=(10, 2)), rng.normal(size=(10, 3)))
