"""The 2-D mixture sources: constants, sampling, registration, pipelines."""

import numpy as np
import pytest

import keras_gans.data as data
from keras_gans.data.datasets import get_source
from keras_gans.data.mixtures import grid25, mixture_modes, ring8, sample_mixture


def test_ring8_modes():
    centers, std = mixture_modes("ring8")
    assert centers.shape == (8, 2) and std == 0.02
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0)
    # Equally spaced: 8 distinct angles 45 degrees apart (catches the
    # linspace-with-endpoint bug that duplicates the first mode).
    angles = np.sort(np.mod(np.arctan2(centers[:, 1], centers[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), np.pi / 4)
    np.testing.assert_allclose(centers[0], [2.0, 0.0], atol=1e-12)


def test_grid25_modes():
    centers, std = mixture_modes("grid25")
    assert centers.shape == (25, 2) and std == 0.05
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(c) for c in centers.tolist()} == expected
    np.testing.assert_array_equal(centers[5 * 1 + 3], [-2.0, 2.0])  # label 5 i + j
    with pytest.raises(ValueError, match="Unknown mixture"):
        mixture_modes("ring9")


@pytest.mark.parametrize("source, name", [(ring8, "ring8"), (grid25, "grid25")])
def test_source_samples_match_their_labels(source, name):
    points, labels = source(num_samples=5000, seed=3)
    assert points.shape == (5000, 2) and points.dtype == np.float32
    assert labels.shape == (5000,) and labels.dtype == np.int64
    centers, std = mixture_modes(name)
    assert set(np.unique(labels)) == set(range(len(centers)))
    offsets = points - centers[labels]
    # Each label's points are N(center, std^2 I).
    np.testing.assert_allclose(offsets.mean(axis=0), 0.0, atol=5 * std / np.sqrt(5000))
    np.testing.assert_allclose(offsets.std(axis=0), std, rtol=0.05)
    # Roughly equal weights.
    counts = np.bincount(labels)
    assert counts.min() > 0.6 * 5000 / len(centers)


def test_sources_are_seeded_and_splits_differ():
    a, la = ring8(num_samples=100, seed=1)
    b, lb = ring8(num_samples=100, seed=1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert not np.array_equal(a, ring8(num_samples=100, seed=2)[0])
    assert not np.array_equal(a, ring8(split="test", num_samples=100, seed=1)[0])
    assert len(grid25(split="test")[0]) == 10_000
    with pytest.raises(ValueError):
        ring8(split="validation")


def test_registered_as_point_sources():
    assert {"ring8", "grid25"} <= set(data.list_datasets())
    assert get_source("ring8").kind == "points" and get_source("ring8").num_classes == 8
    assert get_source("grid25").kind == "points" and get_source("grid25").num_classes == 25


def test_load_builds_a_points_pipeline():
    ds = data.load("grid25", batch_size=16, with_labels=True, num_samples=64, seed=0)
    points, labels = next(iter(ds))
    assert points.shape == (16, 2) and points.dtype.name == "float32"
    centers, _ = mixture_modes("grid25")
    # Unscaled (not mapped to [-1, 1]) and still paired with their labels.
    assert np.abs(points.numpy()).max() > 3
    np.testing.assert_allclose(points.numpy(), centers[labels.numpy()], atol=0.5)
    assert len(list(ds)) == 4


def test_sample_mixture_explicit_centers():
    points, labels = sample_mixture(np.zeros((3, 4)), 1.0, 10, seed=0)
    assert points.shape == (10, 4) and labels.max() < 3
