"""Every feature metric rejects bad input with a ValueError naming it and the fix."""

import numpy as np
import pytest

from keras_gans import metrics

FEATURE_METRICS = [
    metrics.fid_from_features,
    metrics.kid_from_features,
    metrics.precision_recall_from_features,
    metrics.density_coverage_from_features,
]


@pytest.mark.parametrize("metric", FEATURE_METRICS, ids=lambda f: f.__name__)
def test_nan_rows_are_reported_with_their_position(metric, rng):
    real, fake = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    fake[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"fake_features contains 1 non-finite .* row 7; drop"):
        metric(real, fake)


@pytest.mark.parametrize("metric", FEATURE_METRICS, ids=lambda f: f.__name__)
def test_mismatched_feature_dims_are_reported(metric, rng):
    with pytest.raises(ValueError, match="feature_dim 3 but fake_features has 4; compute both"):
        metric(rng.normal(size=(20, 3)), rng.normal(size=(20, 4)))


@pytest.mark.parametrize("metric", FEATURE_METRICS, ids=lambda f: f.__name__)
def test_images_instead_of_features_are_reported(metric, rng):
    with pytest.raises(ValueError, match="run the images through a feature network"):
        metric(rng.normal(size=(20, 4, 4, 1)), rng.normal(size=(20, 16)))


def test_too_few_samples_for_a_covariance():
    with pytest.raises(ValueError, match="1 sample.* needs at least 2; pass more samples"):
        metrics.feature_statistics(np.zeros((1, 3)))


def test_non_numeric_features_are_reported():
    with pytest.raises(ValueError, match="must hold numbers"):
        metrics.fid_from_features(np.array([["a", "b"]] * 3), np.zeros((3, 2)))
