"""Feature networks for the metrics, each carrying its identity.

Three kinds, each a `FeatureExtractor` (a callable batch -> features that
also knows its name, its weights' identity and whether its numbers can be
compared with published ones):

- `fashion_mnist_classifier_extractor()`: the project's offline default, the
  Fashion-MNIST classifier (`classifier.py`); 128-d features and 10 logits.
- `inception_graph_extractor(path)`: the Inception network the literature's
  FID and IS use: TTUR's `classify_image_graph_def.pb` from
  `inception-2015-12-05.tgz`, 2048-d `pool_3:0` features. The file is not
  shipped and never downloaded; pass your own copy.
- `keras_inception_extractor(weights)`: `keras.applications.InceptionV3`
  (pool 2048-d). Different weights from the 2015 graph: its numbers are
  labelled NOT comparable with the literature.

Nothing here downloads anything, at import time or later.
"""

import hashlib
import os

import numpy as np
import tensorflow as tf

#: sha256 of `classify_image_graph_def.pb` (95.7 MB) as extracted from
#: `inception-2015-12-05.tgz`. No checksum is published with the official
#: archive; this value is the one recorded for the file by two independent
#: public copies (the Git LFS pointers of the Hugging Face repositories
#: `Martinser/eval_model` and `molinamarc/syntheva`), which agree. A file with
#: another hash is refused unless `expected_sha256=None` is passed.
INCEPTION_2015_GRAPH_SHA256 = "009d6814d1bc560d4e7b236e170e9b2d5ca6f4b57bd8037f6db05776204415c6"
#: Where the 2015 graph's own preprocessing ends: `Mul:0` is the resized
#: (1, 299, 299, 3) image after (x - 128) / 128. Feeding our batch here skips
#: the JPEG decoding at the top of the graph.
INCEPTION_GRAPH_INPUT = "Mul:0"
#: The 2048-d average pool (shape (N, 1, 1, 2048)); `pool_3/_reshape` is
#: hard-wired to batch 1, so the reshape is done here.
INCEPTION_GRAPH_OUTPUT = "pool_3:0"
INCEPTION_SIZE = 299
#: Environment variable naming a local copy of the 2015 graph.
INCEPTION_GRAPH_ENV = "KERAS_GANS_INCEPTION_GRAPH"
#: What `keras.applications.InceptionV3(weights="imagenet", include_top=False)`
#: caches; it is used only if already present.
KERAS_INCEPTION_NOTOP = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"

NOT_COMPARABLE = "NOT comparable to the literature"


class FeatureExtractor:
    """A feature network plus the facts a result must carry about it.

    Args:
        fn: callable mapping a float32 (B, H, W, C) batch in [-1, 1] to a
            dict with "features" (B, D) and optionally "logits" (B, K).
        name: the feature network's name, e.g. "fashion_mnist_classifier".
        weights_id: what identifies the weights (a sha256 and where it comes
            from).
        comparable_with_literature: True only for the 2015 Inception graph
            with a verified hash.
        note: one line shown next to every result.
        has_logits: `fn` also returns class "logits" (used for IS and mode
            coverage).

    Calling the extractor returns the features only, so it can be passed as
    `feature_fn` to any `*_from_images` function.

    Example:

    >>> import numpy as np
    >>> flat = FeatureExtractor(lambda x: {"features": x.reshape(len(x), -1)}, "pixels",
    ...                         "none (identity)")
    >>> flat(np.zeros((2, 4, 4, 1))).shape
    (2, 16)
    """

    def __init__(self, fn, name, weights_id, comparable_with_literature=False, note="",
                 has_logits=False):
        self.fn = fn
        self.has_logits = bool(has_logits)
        self.name = name
        self.weights_id = weights_id
        self.comparable_with_literature = bool(comparable_with_literature)
        self.note = note or (
            "comparable with the literature" if comparable_with_literature
            else f"{name}: {NOT_COMPARABLE}; compare only with numbers from the same weights"
        )

    def outputs(self, images):
        """Dict of numpy outputs ("features", and "logits" when available)."""
        out = self.fn(np.asarray(images, np.float32))
        return {k: np.asarray(v.numpy() if hasattr(v, "numpy") else v) for k, v in out.items()}

    def __call__(self, images):
        return self.outputs(images)["features"]

    def record(self):
        """The identity fields copied into every metric result."""
        return {
            "feature_network": self.name,
            "feature_weights": self.weights_id,
            "comparable_with_literature": self.comparable_with_literature,
            "feature_note": self.note,
        }

    def __repr__(self):
        return f"FeatureExtractor({self.name!r}, weights={self.weights_id!r})"


def file_sha256(path, chunk=1 << 20):
    """sha256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _keras_fn(model, with_logits, traced=True):
    """An inference function of a Keras model returning a dict.

    `traced=False` runs eagerly: slower per batch, but it skips tracing,
    which dominates for a single batch through a large network.
    """

    def run(x):
        out = model(x, training=False)
        if with_logits:
            return {"features": out[0], "logits": out[1]}
        return {"features": out}

    return tf.function(run, reduce_retracing=True) if traced else run


# ---------------------------------------------------------------------------
# The Fashion-MNIST classifier (offline default).


def fashion_mnist_classifier_extractor(model=None, path=None):
    """The project's offline feature network: the Fashion-MNIST classifier.

    Args:
        model: a trained classifier (`classifier.build_fashion_mnist_classifier`
            layout); default: `classifier.load_fashion_mnist_classifier(path)`.
        path: a saved classifier (`.keras`), used when `model` is None.

    Returns:
        A `FeatureExtractor` with "features" (128-d) and "logits" (10).
    """
    from keras_gans.metrics import classifier as clf

    if model is None:
        model = clf.load_fashion_mnist_classifier(path)
    heads = clf.classifier_heads(model)
    weights_id = f"sha256:{clf.weights_sha256(model)} (weight values)"
    return FeatureExtractor(
        _keras_fn(heads, with_logits=True), "fashion_mnist_classifier", weights_id,
        note=("Fashion-MNIST classifier features (keras_gans.metrics.classifier): "
              f"{NOT_COMPARABLE}; comparable only with numbers from the same weights"),
        has_logits=True,
    )


# ---------------------------------------------------------------------------
# Inception: preprocessing shared by both Inception variants.


def inception_preprocess(images, size=INCEPTION_SIZE):
    """The standard FID preprocessing of [-1, 1] images for Inception.

    As in the TTUR reference pipeline (generated images are written as 8-bit
    images and read back): quantize to uint8 values, resize to 299 x 299 with
    TF1's bilinear resize (`align_corners=False`, no half-pixel centres: the
    op inside the 2015 graph), tile grayscale to 3 channels, and map to
    [-1, 1) with (x - 128) / 128 exactly as the graph's Sub/Mul nodes do.

    Args:
        images: float (N, H, W, 1 or 3) in [-1, 1].

    Returns:
        float32 tensor (N, 299, 299, 3).

    Example:

    >>> import numpy as np
    >>> inception_preprocess(np.zeros((1, 28, 28, 1), np.float32)).shape
    TensorShape([1, 299, 299, 3])
    """
    x = tf.convert_to_tensor(images, tf.float32)
    if x.shape.rank != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(
            f"Inception needs (N, H, W, 1 or 3) images; got shape {tuple(x.shape)}."
        )
    x = tf.clip_by_value(tf.round((x + 1.0) * 127.5), 0.0, 255.0)
    x = tf.raw_ops.ResizeBilinear(images=x, size=[size, size], align_corners=False,
                                  half_pixel_centers=False)
    if x.shape[-1] == 1:
        x = tf.tile(x, [1, 1, 1, 3])
    return (x - 128.0) * (1.0 / 128.0)


# ---------------------------------------------------------------------------
# The 2015 Inception graph (TTUR's classify_image_graph_def.pb).


def load_inception_graph(path, input_name=INCEPTION_GRAPH_INPUT,
                         output_name=INCEPTION_GRAPH_OUTPUT,
                         expected_sha256=INCEPTION_2015_GRAPH_SHA256, verbose=True):
    """Imports a frozen GraphDef as a TF2 function `images -> pool features`.

    Args:
        path: the `.pb` file (e.g. `classify_image_graph_def.pb`).
        input_name: the tensor the preprocessed (N, 299, 299, 3) batch replaces.
        output_name: the feature tensor (reshaped to (N, D)).
        expected_sha256: the file's required sha256; None accepts any file
            (its results are then marked unverified).
        verbose: print the file's sha256 so it can be compared by hand.

    Returns:
        `(fn, sha256)`: a concrete function mapping a float32
        (N, 299, 299, 3) tensor to (N, D) features, and the file's hash.

    Raises:
        FileNotFoundError: no file at `path`.
        ValueError: hash mismatch, unparsable file, or missing tensors.
    """
    if not path or not os.path.exists(path):
        raise FileNotFoundError(
            f"Inception graph {path!r} not found. Extract classify_image_graph_def.pb from "
            "inception-2015-12-05.tgz (the file TTUR's FID uses) and pass its path or set "
            f"${INCEPTION_GRAPH_ENV}."
        )
    digest = file_sha256(path)
    if verbose:
        print(f"keras_gans.metrics: Inception graph {path} sha256={digest}")
    if expected_sha256 is not None and digest != expected_sha256:
        raise ValueError(
            f"{path} has sha256 {digest}, but the 2015-12-05 Inception graph has "
            f"{expected_sha256}. This file would give FIDs that are not comparable with "
            "the literature. Use the classify_image_graph_def.pb from "
            "inception-2015-12-05.tgz, or pass expected_sha256=None to use this file anyway "
            "(results are then labelled unverified)."
        )
    graph_def = tf.compat.v1.GraphDef()
    try:
        with open(path, "rb") as f:
            graph_def.ParseFromString(f.read())
    except Exception as e:  # noqa: BLE001 - protobuf raises DecodeError and others
        raise ValueError(f"{path} is not a binary GraphDef (.pb): {e}") from e
    names = {node.name for node in graph_def.node}
    for tensor in (input_name, output_name):
        if tensor.split(":")[0] not in names:
            raise ValueError(
                f"{path} has no tensor {tensor!r}; pass input_name=/output_name= naming "
                "tensors of this graph."
            )

    def run(images):
        # input_map swaps the graph's own preprocessed image for our batch, so
        # the batch dimension is free (the graph was frozen with batch 1).
        (features,) = tf.compat.v1.import_graph_def(
            graph_def, input_map={input_name: images}, return_elements=[output_name],
            name="inception")
        return tf.reshape(features, [tf.shape(images)[0], -1])

    fn = tf.compat.v1.wrap_function(
        run, [tf.TensorSpec([None, INCEPTION_SIZE, INCEPTION_SIZE, 3], tf.float32)])
    return fn, digest


def inception_graph_extractor(path=None, expected_sha256=INCEPTION_2015_GRAPH_SHA256,
                              batch_size=None, **kwargs):
    """Feature extractor from the 2015 Inception graph (the literature's FID).

    Args:
        path: `classify_image_graph_def.pb`; default `$KERAS_GANS_INCEPTION_GRAPH`.
        expected_sha256: see `load_inception_graph`.
        batch_size: unused (kept for a uniform signature).
        **kwargs: passed to `load_inception_graph` (input_name, output_name).
    """
    del batch_size
    path = path or os.environ.get(INCEPTION_GRAPH_ENV)
    fn, digest = load_inception_graph(path, expected_sha256=expected_sha256, **kwargs)
    verified = expected_sha256 is not None and digest == INCEPTION_2015_GRAPH_SHA256

    def run(images):
        return {"features": fn(inception_preprocess(images))}

    if verified:
        weights_id = f"sha256:{digest} (classify_image_graph_def.pb, inception-2015-12-05)"
        note = "2015-12-05 Inception graph (TTUR): comparable with the literature's protocol"
    else:
        weights_id = f"sha256:{digest} ({os.path.basename(path)}, unverified)"
        note = (f"Inception GraphDef with an unverified hash: {NOT_COMPARABLE} unless it is "
                "the 2015-12-05 graph")
    return FeatureExtractor(run, "inception_2015_graph", weights_id,
                            comparable_with_literature=verified, note=note)


# ---------------------------------------------------------------------------
# keras.applications.InceptionV3.


def keras_inception_extractor(weights="imagenet", traced=True):
    """Feature extractor from `keras.applications.InceptionV3` (2048-d pool).

    Args:
        weights: a path to notop `.h5` weights, "imagenet" (only if Keras
            has already cached the file: nothing is downloaded), or None
            (random weights: for tests only).
        traced: run the network as a `tf.function` (faster for many
            batches; tracing InceptionV3 takes a while, so a one-batch use
            can pass False).

    Returns:
        A `FeatureExtractor` labelled NOT comparable with the literature: the
        keras.applications weights are not the 2015 graph's.
    """
    import keras

    if weights == "imagenet":
        cached = os.path.join(os.path.expanduser(os.environ.get("KERAS_HOME", "~/.keras")),
                              "models", KERAS_INCEPTION_NOTOP)
        if not os.path.exists(cached):
            raise FileNotFoundError(
                f"keras.applications InceptionV3 ImageNet weights are not cached at {cached} "
                "and keras_gans never downloads them. Put the notop .h5 file there, pass "
                "weights=<path to .h5>, or use the 2015 Inception graph "
                "(inception_graph_extractor) or the offline fashion_mnist_classifier."
            )
        weights_path = cached
    elif weights is None:
        weights_path = None
    else:
        if not os.path.exists(weights):
            raise FileNotFoundError(f"InceptionV3 weights file {weights!r} does not exist.")
        weights_path = weights
    model = keras.applications.InceptionV3(
        include_top=False, pooling="avg", weights=weights_path,
        input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3))
    if weights_path is None:
        weights_id = "random initialization (weights=None): for tests only"
    else:
        weights_id = f"sha256:{file_sha256(weights_path)} ({os.path.basename(weights_path)})"
    weights_id = f"keras.applications InceptionV3 ImageNet, {weights_id} — {NOT_COMPARABLE}"
    network = _keras_fn(model, with_logits=False, traced=traced)

    def run(images):
        return network(inception_preprocess(images))

    return FeatureExtractor(
        run, "keras_inception_v3", weights_id,
        note=("keras.applications InceptionV3 (not the 2015-12-05 graph): "
              f"{NOT_COMPARABLE}"))


# ---------------------------------------------------------------------------


def get_feature_extractor(feature_network="fashion_mnist_classifier", **kwargs):
    """Resolves a feature network name (or passes a `FeatureExtractor` through).

    Names:
        "fashion_mnist_classifier": `fashion_mnist_classifier_extractor(**kwargs)`.
        "inception": the 2015 graph when `path=` or `$KERAS_GANS_INCEPTION_GRAPH`
            is given, else keras.applications InceptionV3 (`weights=`,
            default the cached ImageNet file), labelled non-comparable.
        "inception_graph", "keras_inception": one of the two explicitly.
    A `keras.Model` is wrapped as a features-only extractor named after it.
    """
    if isinstance(feature_network, FeatureExtractor):
        return feature_network
    if hasattr(feature_network, "weights") and callable(feature_network):
        from keras_gans.metrics.classifier import weights_sha256

        return FeatureExtractor(_keras_fn(feature_network, with_logits=False),
                                feature_network.name,
                                f"sha256:{weights_sha256(feature_network)} (weight values)")
    if feature_network == "fashion_mnist_classifier":
        return fashion_mnist_classifier_extractor(**kwargs)
    if feature_network == "inception_graph":
        return inception_graph_extractor(**kwargs)
    if feature_network == "keras_inception":
        return keras_inception_extractor(**kwargs)
    if feature_network == "inception":
        if kwargs.get("path") or os.environ.get(INCEPTION_GRAPH_ENV):
            return inception_graph_extractor(**kwargs)
        return keras_inception_extractor(**kwargs)
    raise ValueError(
        f"Unknown feature_network {feature_network!r}; use 'fashion_mnist_classifier', "
        "'inception', 'inception_graph', 'keras_inception', a FeatureExtractor or a "
        "keras.Model."
    )
