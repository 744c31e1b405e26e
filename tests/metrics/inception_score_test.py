"""Inception Score: its bounds and an independent computation."""

import numpy as np
import pytest

from keras_gans.metrics import inception_score as is_lib


def test_uniform_predictions_score_one():
    mean, std = is_lib.inception_score_from_probs(np.full((100, 10), 0.1))
    assert mean == pytest.approx(1.0) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [2, 7, 10])
def test_confident_predictions_spread_over_k_classes_score_k(k):
    probs = np.eye(k)[np.arange(10 * k * 3) % k]  # every split holds each class 3 times
    mean, std = is_lib.inception_score_from_probs(probs, splits=10)
    assert mean == pytest.approx(k) and std == pytest.approx(0.0, abs=1e-9)


def test_matches_an_independent_computation(rng):
    probs = rng.dirichlet(np.full(5, 0.3), size=120)
    scores = []
    for part in np.array_split(probs, 4):
        py = part.mean(axis=0)
        kls = [sum(p[c] * np.log(p[c] / py[c]) for c in range(5) if p[c] > 0) for p in part]
        scores.append(np.exp(np.mean(kls)))
    mean, std = is_lib.inception_score_from_probs(probs, splits=4)
    assert mean == pytest.approx(np.mean(scores), rel=1e-10)
    assert std == pytest.approx(np.std(scores), rel=1e-8)


def test_from_logits_applies_a_softmax(rng):
    logits = rng.normal(size=(50, 4)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert is_lib.inception_score_from_probs(logits, splits=5, from_logits=True) == pytest.approx(
        is_lib.inception_score_from_probs(probs, splits=5))


@pytest.mark.parametrize("probs, kwargs, match", [
    (np.full((5, 10), 0.1), {"splits": 10}, "at least 10 samples"),
    (np.full((20, 10), 0.2), {}, "rows must sum to 1"),
    (-np.full((20, 2), 0.5), {}, "negative entries"),
    (np.full((20,), 0.5), {}, "must have shape"),
    (np.full((20, 1), 1.0), {}, "one column per class"),
])
def test_invalid_inputs_raise(probs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        is_lib.inception_score_from_probs(probs, **kwargs)
