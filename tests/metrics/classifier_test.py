"""The Fashion-MNIST classifier's layout, identity and extractor (untrained:
training is scripts/train_fashion_mnist_classifier.py)."""

import numpy as np
import pytest

from keras_gans.metrics import classifier as clf
from keras_gans.metrics.feature_extractors import fashion_mnist_classifier_extractor


@pytest.fixture(scope="module")
def model():
    return clf.build_fashion_mnist_classifier()


def test_layout(model):
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    assert clf.classifier_features(model).output_shape == (None, 128)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        clf.classifier_features(model, layer="nope")


def test_weights_sha256_identifies_the_weight_values(model):
    digest = clf.weights_sha256(model)
    assert digest == clf.weights_sha256(model)
    other = clf.build_fashion_mnist_classifier()
    other.set_weights(model.get_weights())
    assert clf.weights_sha256(other) == digest
    weights = other.get_weights()
    weights[0] = weights[0] + 1e-3
    other.set_weights(weights)
    assert clf.weights_sha256(other) != digest


def test_extractor_returns_features_and_logits_in_one_pass(model, rng):
    extractor = fashion_mnist_classifier_extractor(model=model)
    images = rng.uniform(-1, 1, size=(5, 28, 28, 1)).astype(np.float32)
    out = extractor.outputs(images)
    assert out["features"].shape == (5, 128) and out["logits"].shape == (5, 10)
    np.testing.assert_allclose(out["logits"], model(images, training=False).numpy(),
                               rtol=1e-5, atol=1e-5)
    assert extractor.has_logits
    assert clf.weights_sha256(model) in extractor.weights_id


def test_missing_classifier_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        clf.load_fashion_mnist_classifier(str(tmp_path / "missing.keras"))
