"""Mode coverage on real labels and collapsed sets."""

import os

import numpy as np
import pytest

from keras_gans.data import fashion_mnist_available
from keras_gans.metrics import mode_coverage as modes_lib

# Skipped on a machine without the data; under CI (which installs it) a missing
# copy fails the tests instead of hiding them.
needs_data = pytest.mark.skipif(not fashion_mnist_available() and not os.environ.get("CI"),
                                reason="no Fashion-MNIST (apt-get install dataset-fashion-mnist)")


@needs_data
def test_real_test_labels_cover_all_ten_classes():
    from keras_gans.data import arrays

    _, labels = arrays("fashion_mnist", split="test")
    result = modes_lib.mode_coverage_from_probs(np.eye(10)[labels])
    assert result["classes_covered"] == 10 and result["num_classes"] == 10
    # The test split is balanced (1000 per class): no divergence from uniform.
    assert result["kl"] == pytest.approx(0.0, abs=1e-12)


def test_single_class_covers_one_of_ten_with_kl_log_ten():
    result = modes_lib.mode_coverage_from_probs(np.eye(10)[np.full(500, 3)])
    assert result["classes_covered"] == 1 and result["covered"] == [3]
    assert result["kl"] == pytest.approx(np.log(10))


def test_reference_histogram_from_real_predictions(rng):
    real = np.eye(4)[rng.choice(4, 1000, p=[0.4, 0.3, 0.2, 0.1])]
    fake = np.eye(4)[rng.choice(4, 1000, p=[0.25] * 4)]
    result = modes_lib.mode_coverage_from_probs(fake, real)
    p, q = np.asarray(result["histogram"]), np.asarray(result["reference_histogram"])
    assert result["reference"] == "real"
    assert result["kl"] == pytest.approx(np.sum(p * np.log(p / q)))


def test_min_share_sets_what_counts_as_covered():
    labels = np.concatenate([np.zeros(95, int), np.ones(5, int)])  # class 1: 5%
    probs = np.eye(3)[labels]
    assert modes_lib.mode_coverage_from_probs(probs, min_share=0.01)["classes_covered"] == 2
    assert modes_lib.mode_coverage_from_probs(probs, min_share=0.1)["classes_covered"] == 1
    with pytest.raises(ValueError, match="min_share must be in"):
        modes_lib.mode_coverage_from_probs(probs, min_share=0)


def test_mismatched_class_counts_raise():
    with pytest.raises(ValueError, match="4 classes but real_probs has 3"):
        modes_lib.mode_coverage_from_probs(np.eye(4), np.eye(3))
