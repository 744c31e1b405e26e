"""The offline feature network: a small Fashion-MNIST classifier.

The literature measures FID with an ImageNet Inception network whose weights
cannot be fetched here. A classifier trained on the data itself is the
feature space every `keras_gans` protocol uses by default: its penultimate
layer gives the features (FID, KID, precision/recall, density/coverage) and
its softmax the class probabilities (Inception Score, mode coverage). Numbers
in this space are comparable with each other for the same weights, never with
published Inception numbers; `protocols.evaluate` records the weights' hash
with every result.

`scripts/train_fashion_mnist_classifier.py` trains it (>= 92% test accuracy).
"""

import hashlib
import os

import keras
import numpy as np

#: Name of the penultimate layer whose output is the feature vector.
FEATURE_LAYER = "features"
#: Name of the final layer (10 class logits).
LOGITS_LAYER = "logits"
#: Environment variable naming a saved classifier (`.keras` file).
CLASSIFIER_ENV = "KERAS_GANS_CLASSIFIER"
#: Where `scripts/train_fashion_mnist_classifier.py --out` writes by default.
DEFAULT_CLASSIFIER_PATH = os.path.join("runs", "fashion_mnist_classifier", "model.keras")


def _conv_block(x, filters, name):
    # Conv without bias: the BatchNormalization that follows has its own shift.
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def build_fashion_mnist_classifier(num_classes=10, feature_dim=128, dropout=0.4):
    """Builds the Fashion-MNIST classifier (untrained).

    Two conv/BN/ReLU/max-pool stages (32 and 64 channels at 28 and 14
    pixels), then a `feature_dim` dense layer (BN, ReLU) named `"features"`,
    dropout and a `num_classes` logits layer named `"logits"`. About 0.42M
    weights and 4.2M multiply-adds per image: small enough to train to >= 92%
    test accuracy on two (shared) CPU cores.

    Args:
        num_classes: number of output logits.
        feature_dim: width of the feature (penultimate) layer.
        dropout: dropout rate before the logits (and half of it after the conv
            stages).

    Returns:
        A functional `keras.Model` mapping float images (N, 28, 28, 1) in
        [-1, 1] to `num_classes` logits.

    Example:

    >>> model = build_fashion_mnist_classifier()
    >>> model.output_shape
    (None, 10)
    >>> classifier_features(model).output_shape
    (None, 128)
    """
    inputs = keras.Input((28, 28, 1), name="images")
    x = _conv_block(inputs, 32, "block1")
    x = keras.layers.MaxPooling2D(name="block1_pool")(x)
    x = _conv_block(x, 64, "block2")
    x = keras.layers.MaxPooling2D(name="block2_pool")(x)
    x = keras.layers.Dropout(dropout / 2, name="block2_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(feature_dim, use_bias=False, name="features_dense")(x)
    x = keras.layers.BatchNormalization(name="features_bn")(x)
    x = keras.layers.Activation("relu", name=FEATURE_LAYER)(x)
    x = keras.layers.Dropout(dropout, name="features_dropout")(x)
    outputs = keras.layers.Dense(num_classes, name=LOGITS_LAYER)(x)
    return keras.Model(inputs, outputs, name="fashion_mnist_classifier")


def classifier_features(model, layer=FEATURE_LAYER):
    """Returns a model mapping the classifier's input to its feature layer.

    Example:

    >>> features = classifier_features(build_fashion_mnist_classifier())
    >>> features.output_shape
    (None, 128)
    """
    try:
        out = model.get_layer(layer).output
    except ValueError as e:
        names = ", ".join(l.name for l in model.layers)
        raise ValueError(
            f"The classifier has no layer named {layer!r}; pass layer=<one of: {names}>."
        ) from e
    return keras.Model(model.inputs, out, name=f"{model.name}_{layer}")


def classifier_heads(model, layer=FEATURE_LAYER):
    """A model returning `(features, logits)` in one forward pass.

    Protocols need both (features for FID and friends, probabilities for IS
    and mode coverage); one pass halves the evaluation cost.
    """
    feats = classifier_features(model, layer)  # validates the layer name
    return keras.Model(model.inputs, [feats.output, model.output], name=f"{model.name}_heads")


def weights_sha256(model):
    """sha256 over the model's weight values, in layer order.

    Identifies the weights independently of the file format (a `.keras` zip
    stores timestamps, so hashing the file would change on every save).

    Example:

    >>> m = build_fashion_mnist_classifier()
    >>> len(weights_sha256(m))
    64
    """
    h = hashlib.sha256()
    for w in model.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(w), dtype=np.float32)
        h.update(w.path.encode() if hasattr(w, "path") else w.name.encode())
        h.update(str(value.shape).encode())
        h.update(value.tobytes())
    return h.hexdigest()


def load_fashion_mnist_classifier(path=None):
    """Loads the trained classifier.

    Looked up in order: `path`; `$KERAS_GANS_CLASSIFIER`; the zoo preset
    `fashion_mnist_classifier`; `runs/fashion_mnist_classifier/model.keras`
    (the training script's default output).

    Raises:
        FileNotFoundError: naming the places searched and how to train one.
        keras_gans.zoo.CorruptArtifactError: the preset's files fail their
            sha256 (never answered with another network).
    """
    tried = []
    candidates = [path, os.environ.get(CLASSIFIER_ENV)]
    for candidate in candidates:
        if candidate:
            if not os.path.exists(candidate):
                raise FileNotFoundError(f"Classifier file {candidate!r} does not exist.")
            return keras.models.load_model(candidate)
    tried.append(f"${CLASSIFIER_ENV} (unset)")
    from keras_gans import zoo

    try:
        return zoo.load("fashion_mnist_classifier", compile=False)
    except zoo.CorruptArtifactError:
        # A shipped file that fails its sha256 is never replaced by another
        # network silently: every number measured with it would change meaning.
        raise
    except (FileNotFoundError, ValueError) as e:  # no such preset here: the local copy
        tried.append(f"keras_gans.zoo.load('fashion_mnist_classifier') ({e})")
    if os.path.exists(DEFAULT_CLASSIFIER_PATH):
        return keras.models.load_model(DEFAULT_CLASSIFIER_PATH)
    tried.append(DEFAULT_CLASSIFIER_PATH)
    raise FileNotFoundError(
        "No trained Fashion-MNIST classifier found; tried " + "; ".join(tried) + ". Train one "
        "with `python scripts/train_fashion_mnist_classifier.py` or pass path=<model.keras>."
    )
