"""The mode-coverage metric on known configurations of samples."""

import math

import numpy as np
import pytest

from keras_gans.data.mixtures import grid25, mixture_modes, ring8
from keras_gans.metrics.mixture import kl_to_uniform, mixture_metrics, mode_histogram


@pytest.mark.parametrize("source, name, k", [(ring8, "ring8", 8), (grid25, "grid25", 25)])
def test_real_samples_cover_every_mode(source, name, k):
    points, _ = source(num_samples=2500, seed=5)
    m = mixture_metrics(points, name)
    assert m["modes_covered"] == k and m["num_modes"] == k
    # Within 3 std in 2-D holds with probability 1 - exp(-4.5) = 98.9%.
    assert m["high_quality_fraction"] >= 0.98
    assert m["kl_to_uniform"] < 0.02  # near-uniform histogram
    # 4 std: 1 - exp(-8) = 99.97% of a true 2-D Gaussian sample.
    assert mixture_metrics(points, name, num_std=4.0)["high_quality_fraction"] >= 0.99


def test_collapse_to_one_mode():
    centers, std = mixture_modes("grid25")
    rng = np.random.default_rng(0)
    points = centers[7] + 0.5 * std * rng.standard_normal((500, 2))
    m = mixture_metrics(points, "grid25")
    assert m["modes_covered"] == 1
    assert m["high_quality_fraction"] == 1.0
    assert m["kl_to_uniform"] == pytest.approx(math.log(25))


def test_far_away_samples_are_not_high_quality():
    centers, std = mixture_modes("ring8")
    # Between two modes on the ring (~0.77 away from both) and far outside.
    between = 2.0 * np.array([[np.cos(np.pi / 8), np.sin(np.pi / 8)]])
    points = np.concatenate([np.repeat(between, 10, 0), np.full((10, 2), 50.0)])
    m = mixture_metrics(points, "ring8")
    assert m["high_quality_fraction"] == 0.0 and m["modes_covered"] == 0
    assert math.isnan(m["kl_to_uniform"])
    # Just inside / just outside the 3-std radius.
    inside = centers[2] + [0, 2.9 * std]
    outside = centers[2] + [0, 3.1 * std]
    assert mixture_metrics([inside], "ring8")["high_quality_fraction"] == 1.0
    assert mixture_metrics([outside], "ring8")["high_quality_fraction"] == 0.0
    # A diverged generator's NaNs are just low quality.
    assert mixture_metrics([[np.nan, 0.0], inside], "ring8")["high_quality_fraction"] == 0.5


def test_kl_to_uniform():
    assert kl_to_uniform(np.full(8, 10)) == pytest.approx(0.0, abs=1e-12)
    assert kl_to_uniform([0, 0, 5, 0]) == pytest.approx(math.log(4))
    assert kl_to_uniform([1, 1, 0, 0]) == pytest.approx(math.log(2))
    p = np.array([0.5, 0.25, 0.25])
    assert kl_to_uniform([2, 1, 1]) == pytest.approx(np.sum(p * np.log(p * 3)))


def test_min_high_quality_threshold_and_explicit_centers():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = np.array([[0.0, 0.0]] * 5 + [[10.0, 0.0]] * 2 + [[0.0, 10.0]])
    m = mixture_metrics(points, centers, std=1.0)
    assert m["modes_covered"] == 3 and m["num_modes"] == 3
    assert mixture_metrics(points, centers, std=1.0, min_high_quality=2)["modes_covered"] == 2
    assert mixture_metrics(points, centers, std=1.0, min_high_quality=5)["modes_covered"] == 1
    counts, hq = mode_histogram(points, centers, 1.0)
    np.testing.assert_array_equal(counts, [5, 2, 1])
    assert hq.all()
    with pytest.raises(ValueError, match="std"):
        mixture_metrics(points, centers)
    with pytest.raises(ValueError):
        mixture_metrics(np.zeros((4, 3)), "ring8")


def test_nearest_mode_assignment():
    centers, std = mixture_modes("ring8")
    # Samples at modes 0, 0, 3 -> histogram [2, 0, 0, 1, 0, ...].
    points = centers[[0, 0, 3]] + 0.1 * std
    counts, _ = mode_histogram(points, centers, std)
    np.testing.assert_array_equal(counts, [2, 0, 0, 1, 0, 0, 0, 0])
    assert mixture_metrics(points, "ring8")["modes_covered"] == 2
