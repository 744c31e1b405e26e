"""Named evaluation protocols, in the manner of stylegan2-ada's metric names.

A metric value means little without its protocol: FID moves with the sample
count, the reference split and above all the feature network. Each protocol
name fixes those, and `evaluate` returns every number together with its full
record (feature network and weights identity, sample counts, reference split)
and the real-data floor measured under the same protocol
(`scripts/measure_real_floor.py` -> `floors.json`).

| name | what |
|---|---|
| fid10k_test | FID, 10k generated vs the 10k Fashion-MNIST test images |
| kid10k_test | KID (100 subsets of 1000), 10k generated vs the 10k test images |
| is10k | Inception Score (10 splits) of 10k generated, classifier softmax |
| pr10k_test | improved precision/recall (k = 3), 10k generated vs 10k test |
| dc10k_test | density/coverage (k = 5), 10k generated vs 10k test |
| modes10k | classes covered and KL(generated || test) of predicted classes |
| msssim10k | mean MS-SSIM of 5k disjoint pairs of 10k generated (2 scales) |
| ifid10k_test | intra-class FID, 1k generated per class vs the test images of that class |

Generated images are rounded to 8 bits before feature extraction, as saved
images would be (TTUR and stylegan2-ada do the same).
"""

import dataclasses
import difflib
import json
import os

import numpy as np

from keras_gans.data.validation import to_uint8, validate_images
from keras_gans.metrics import density_coverage as dc_module
from keras_gans.metrics import fid as fid_module
from keras_gans.metrics import inception_score as is_module
from keras_gans.metrics import kid as kid_module
from keras_gans.metrics import mode_coverage as modes_module
from keras_gans.metrics import ms_ssim as ms_ssim_module
from keras_gans.metrics import precision_recall as pr_module
from keras_gans.metrics.feature_extractors import (
    fashion_mnist_classifier_extractor,
    get_feature_extractor,
)
from keras_gans.metrics.streaming import compute_features, generated_batches

FLOORS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "floors.json")
DATASET = "fashion_mnist"


@dataclasses.dataclass(frozen=True)
class Protocol:
    """What a metric name means.

    Attributes:
        name: the protocol name, e.g. "fid10k_test".
        metric: "fid", "kid", "is", "pr", "dc", "modes", "msssim" or "ifid".
        num_generated: generated images.
        reference: real split compared against ("fashion_mnist/test"), or
            None for metrics of generated images alone.
        num_real: real images (None when no reference).
        options: the metric's parameters (k, subsets, splits, ...).
        description: one line saying what the number is.
    """

    name: str
    metric: str
    num_generated: int
    reference: str = None
    num_real: int = None
    options: dict = dataclasses.field(default_factory=dict)
    description: str = ""

    @property
    def needs_probabilities(self):
        return self.metric in ("is", "modes")

    @property
    def conditional(self):
        return self.metric == "ifid"


_TEST = f"{DATASET}/test"
PROTOCOLS = {p.name: p for p in [
    Protocol("fid10k_test", "fid", 10_000, _TEST, 10_000,
             description="FID (Heusel et al. 2017): 10k generated vs the 10k Fashion-MNIST "
                         "test images"),
    Protocol("kid10k_test", "kid", 10_000, _TEST, 10_000,
             {"n_subsets": 100, "subset_size": 1000},
             description="KID (Binkowski et al. 2018), cubic kernel, mean/std over 100 "
                         "subsets of 1000: 10k generated vs the 10k test images"),
    Protocol("is10k", "is", 10_000, None, None, {"splits": 10},
             description="Inception Score (Salimans et al. 2016) of 10k generated images, "
                         "10 splits, from the Fashion-MNIST classifier's softmax (max 10)"),
    Protocol("pr10k_test", "pr", 10_000, _TEST, 10_000, {"k": 3},
             description="Improved precision/recall (Kynkaanniemi et al. 2019), k=3: 10k "
                         "generated vs the 10k test images"),
    Protocol("dc10k_test", "dc", 10_000, _TEST, 10_000, {"k": 5},
             description="Density/coverage (Naeem et al. 2020), k=5: 10k generated vs the "
                         "10k test images"),
    Protocol("modes10k", "modes", 10_000, _TEST, 10_000, {"min_share": 0.01},
             description="Classes covered (>= 1% of samples) and KL(generated || test) of the "
                         "classifier's predicted-class histograms, 10k generated"),
    Protocol("msssim10k", "msssim", 10_000, None, None, {"num_pairs": 5000},
             description="MS-SSIM diversity: mean MS-SSIM of 5k disjoint random pairs of 10k "
                         "generated images (2 scales for 28x28; lower = more diverse)"),
    Protocol("ifid10k_test", "ifid", 10_000, _TEST, 10_000,
             description="Intra-class FID (Miyato & Koyama 2018): generated images "
                         "conditioned on the test labels (1k per class) vs the test images "
                         "of each class, mean over the 10 classes"),
]}


def get_protocol(name):
    """The `Protocol` named `name` (with close matches on a typo)."""
    if isinstance(name, Protocol):
        return name
    if name not in PROTOCOLS:
        close = difflib.get_close_matches(str(name), PROTOCOLS, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"Unknown protocol {name!r}.{hint} Known: {', '.join(PROTOCOLS)}.")
    return PROTOCOLS[name]


def as_generate_fn(generator):
    """A `(n, seed, labels=None) -> images` callable from a GAN or a callable.

    Objects with `generate(z, labels=)` and `latents(n, seed)` (the project's
    GANs) are sampled through them in float, so no rounding happens before
    `evaluate` rounds to 8 bits itself.
    """
    if hasattr(generator, "generate") and hasattr(generator, "latents"):
        def generate_fn(n, seed, labels=None):
            return generator.generate(generator.latents(n, seed), labels=labels)

        return generate_fn
    if not callable(generator):
        raise ValueError(
            f"generate_fn must be callable as generate_fn(n, seed) -> images in [-1, 1] "
            f"(or a keras_gans GAN); got {type(generator).__name__}."
        )
    return generator


# ---------------------------------------------------------------------------
# Image preprocessing: part of a model's protocol record.

#: The image shape every protocol here measures (Fashion-MNIST).
PROTOCOL_IMAGE_SHAPE = (28, 28, 1)
PREPROCESS_KINDS = ("center_crop", "resize")


def check_preprocess(spec):
    """Normalizes a preprocessing spec: None, `{"center_crop": 28}` or `{"resize": 28}`
    (an int or `[height, width]`). Returns `None` or `{kind: [height, width]}`.

    A model trained on padded data (zero-padded to a power of two, e.g.
    `stylegan2_fashion_mnist` at 32x32) is measured on the centre crop that
    undoes the padding; one trained on resized data on its samples resized back.

    Example:

    >>> check_preprocess({"center_crop": 28})
    {'center_crop': [28, 28]}
    >>> check_preprocess({"pad": 2})
    Traceback (most recent call last):
    ...
    ValueError: preprocess must be None, {"center_crop": SIZE} or {"resize": SIZE}; got {'pad': 2}.
    """
    if spec is None:
        return None
    if (not isinstance(spec, dict) or len(spec) != 1
            or next(iter(spec)) not in PREPROCESS_KINDS):
        raise ValueError('preprocess must be None, {"center_crop": SIZE} or {"resize": SIZE}; '
                         f"got {spec!r}.")
    kind, size = next(iter(spec.items()))
    size = [size, size] if isinstance(size, (int, np.integer)) else list(size)
    if len(size) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in size):
        raise ValueError(f"preprocess {kind} size must be a positive int or [height, width]; "
                         f"got {spec[kind]!r}.")
    return {kind: [int(size[0]), int(size[1])]}


def describe_preprocess(spec, image_shape=None):
    """`"center crop 32x32 -> 28x28"` (or `"none"`), for the records."""
    spec = check_preprocess(spec)
    if spec is None:
        return "none"
    kind, (h, w) = next(iter(spec.items()))
    source = f"{image_shape[0]}x{image_shape[1]} -> " if image_shape is not None else ""
    return f"{kind.replace('_', ' ')} {source}{h}x{w}"


def apply_preprocess(images, spec):
    """Applies a preprocessing spec to float images (n, H, W, C) in [-1, 1]."""
    spec = check_preprocess(spec)
    images = np.asarray(images)
    if spec is None:
        return images
    kind, (h, w) = next(iter(spec.items()))
    height, width = images.shape[1:3]
    if kind == "center_crop":
        if h > height or w > width:
            raise ValueError(f"center_crop {h}x{w} is larger than the {height}x{width} "
                             "samples; crop to at most their size.")
        top, left = (height - h) // 2, (width - w) // 2
        return images[:, top:top + h, left:left + w, :]
    import tensorflow as tf

    return tf.image.resize(tf.convert_to_tensor(images, tf.float32), (h, w),
                           "bilinear", antialias=True).numpy()


def _preprocessed(generate_fn, spec, shape_seen):
    """`generate_fn` followed by the preprocessing, checked against the protocol's shape."""

    def fn(n, seed, labels=None):
        raw = generate_fn(n, seed) if labels is None else generate_fn(n, seed, labels=labels)
        raw = np.asarray(raw)
        shape_seen.setdefault("raw", tuple(raw.shape[1:]))
        images = apply_preprocess(raw, spec)
        if tuple(images.shape[1:]) != PROTOCOL_IMAGE_SHAPE:
            got = "x".join(map(str, images.shape[1:]))
            want = "x".join(map(str, PROTOCOL_IMAGE_SHAPE))
            hint = (f'preprocess={{"center_crop": {PROTOCOL_IMAGE_SHAPE[0]}}} (`keras-gans eval '
                    f"--center-crop {PROTOCOL_IMAGE_SHAPE[0]}`) for a model trained on padded "
                    f'data or {{"resize": {PROTOCOL_IMAGE_SHAPE[0]}}} (`--resize '
                    f"{PROTOCOL_IMAGE_SHAPE[0]}`) for resized data")
            if images.shape[-1] != PROTOCOL_IMAGE_SHAPE[-1]:
                hint = "a model of the protocol's dataset (Fashion-MNIST, 1 channel)"
            raise ValueError(f"The generated images are {got} but the {DATASET} protocols "
                             f"measure {want} images; use {hint}.")
        return images

    return fn


# ---------------------------------------------------------------------------
# Floors.


def load_floors(path=FLOORS_FILE):
    """The floors table (`{}` when none was measured yet)."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def find_floor(protocol, weights_id, num_generated, num_real, floors=None):
    """`(values, note)`: the floor of `protocol` measured with the same network
    weights (`weights_id`; None for pixel metrics such as MS-SSIM) and the
    same sample counts, or `(None, why not)`."""
    floors = load_floors() if floors is None else floors
    entries = [e for e in floors.get("entries", [])
               if weights_id is None or e.get("feature_weights") == weights_id]
    if not entries:
        return None, (f"no floor measured with these weights ({weights_id}); run "
                      "scripts/measure_real_floor.py")
    row = entries[0].get("protocols", {}).get(protocol.name)
    if row is None:
        return None, f"no floor measured for {protocol.name} with these weights"
    if row.get("num_generated") != num_generated or row.get("num_real") != num_real:
        return None, (
            f"floor measured at {row.get('num_generated')} generated / {row.get('num_real')} "
            f"real; this run used {num_generated} / {num_real}, which is not comparable "
            "(FID, KID's variance and precision/recall move with the sample count)")
    return row["values"], entries[0].get("stand_in", "")


# ---------------------------------------------------------------------------
# Feature passes.

_REAL_CACHE = {}


def _outputs_fn(extractor, prob_extractor, keep_images, shape_out=None):
    """One pass over a batch: features, logits (if needed), images (if needed)."""

    def fn(batch):
        main = extractor.outputs(batch)
        out = {"features": main["features"]}
        if prob_extractor is not None:
            out["logits"] = (main["logits"] if prob_extractor is extractor
                             else prob_extractor.outputs(batch)["logits"])
        if keep_images:
            out["images"] = batch  # flattened by compute_features; shape kept below
            if shape_out is not None:
                shape_out["image_shape"] = tuple(batch.shape[1:])
        return out

    return fn


def _real_outputs(split, num_real, extractor, prob_extractor, batch_size, subset_seed=0):
    key = (split, num_real, extractor.weights_id,
           None if prob_extractor is None else prob_extractor.weights_id, batch_size)
    if key not in _REAL_CACHE:
        from keras_gans.data import arrays

        dataset, part = split.split("/")
        images, labels = arrays(dataset, split=part)
        if num_real > len(images):
            raise ValueError(
                f"{split} has {len(images)} images; num_samples={num_real} is too many."
            )
        if num_real < len(images):
            # A fixed, seeded subset, sorted to keep the split's order.
            idx = np.sort(np.random.default_rng(subset_seed).choice(
                len(images), num_real, replace=False))
            images, labels = images[idx], labels[idx]
        out = compute_features(_outputs_fn(extractor, prob_extractor, False), images,
                               batch_size, name=split)
        out["labels"] = labels
        _REAL_CACHE.clear()  # keep one reference set: 10k x 2048 floats add up
        _REAL_CACHE[key] = out
    return _REAL_CACHE[key]


def _quantize(batch):
    """Rounds a generated float batch in [-1, 1] to 8 bits (uint8 passes through)."""
    batch = np.asarray(batch)
    if batch.dtype == np.uint8:
        return batch
    # Check first: rounding would silently clip a generator that leaves [-1, 1].
    validate_images(batch, name="generated images", value_range=(-1.0 - 1e-3, 1.0 + 1e-3))
    return to_uint8(batch)


def _generated_outputs(generate_fn, n, seed, extractor, prob_extractor, keep_images,
                       batch_size, generate_batch_size, labels=None):
    shape = {}
    quantized = (_quantize(b) for b in generated_batches(
        generate_fn, n, generate_batch_size, seed, labels=labels))
    out = compute_features(_outputs_fn(extractor, prob_extractor, keep_images, shape),
                           quantized, batch_size, name="generated images")
    if keep_images:
        out["images"] = out["images"].reshape((n,) + shape["image_shape"])
    if labels is not None:
        out["labels"] = np.asarray(labels)
    return out


def _softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------
# Metric dispatch: (values, primary key).


def compute_protocol_values(protocol, gen, real=None, seed=0):
    """The numbers of one protocol from precomputed outputs.

    Args:
        protocol: a `Protocol`.
        gen: dict with "features" and, as the protocol needs, "logits",
            "images" (N, H, W, C) and "labels" of the generated samples.
        real: the same for the real samples (None for generated-only metrics).
        seed: seed for subset draws (KID) and pairings (MS-SSIM).

    Returns:
        `(values, primary)`: a dict of named numbers and the key of the main one.
    """
    opts = protocol.options
    m = protocol.metric
    if m == "fid":
        return {"fid": fid_module.fid_from_features(real["features"], gen["features"])}, "fid"
    if m == "kid":
        mean, std = kid_module.kid_from_features(real["features"], gen["features"], seed=seed,
                                                 **opts)
        return {"kid": mean, "kid_std": std}, "kid"
    if m == "is":
        mean, std = is_module.inception_score_from_probs(_softmax(gen["logits"]), **opts)
        return {"is": mean, "is_std": std}, "is"
    if m == "pr":
        p, r = pr_module.precision_recall_from_features(real["features"], gen["features"], **opts)
        return {"precision": p, "recall": r}, "precision"
    if m == "dc":
        d, c = dc_module.density_coverage_from_features(real["features"], gen["features"], **opts)
        return {"density": d, "coverage": c}, "density"
    if m == "modes":
        result = modes_module.mode_coverage_from_probs(
            _softmax(gen["logits"]), _softmax(real["logits"]), **opts)
        return {"classes_covered": result["classes_covered"], "num_classes":
                result["num_classes"], "kl": result["kl"]}, "classes_covered"
    if m == "msssim":
        images = gen["images"]
        num_pairs = min(opts.get("num_pairs", len(images) // 2), len(images) // 2)
        value = ms_ssim_module.ms_ssim_diversity(images, num_pairs=num_pairs, seed=seed)
        return {"ms_ssim": value}, "ms_ssim"
    if m == "ifid":
        mean, per_class = fid_module.intra_class_fid(real["features"], real["labels"],
                                                     gen["features"], gen["labels"])
        values = {"intra_fid": mean}
        values.update({f"fid_class_{c}": v for c, v in per_class.items()})
        return values, "intra_fid"
    raise ValueError(f"Protocol {protocol.name} has unknown metric {m!r}.")


def evaluate(generate_fn, protocols=("fid10k_test",), feature_network="fashion_mnist_classifier",
             num_samples=None, seed=0, batch_size=250, generate_batch_size=500,
             feature_kwargs=None, probability_network=None, floors=None, verbose=False,
             preprocess=None):
    """Evaluates a generator under named protocols.

    Args:
        generate_fn: `generate_fn(n, seed) -> images`, float (n, H, W, C) in
            [-1, 1] (uint8 is accepted too), or a `keras_gans` GAN. For
            `ifid10k_test` it is called as `generate_fn(n, seed, labels=...)`.
        protocols: protocol names (see `PROTOCOLS`).
        feature_network: "fashion_mnist_classifier" (offline default),
            "inception" (the 2015 graph given `feature_kwargs={"path": ...}`
            or `$KERAS_GANS_INCEPTION_GRAPH`, else keras.applications
            InceptionV3, labelled non-comparable), or a `FeatureExtractor`.
        num_samples: override both sample counts for a quick run; the records
            say so, and floors measured at other counts are not shown.
        seed: generation seed (chunk seeds derive from it), KID subsets and
            MS-SSIM pairs.
        batch_size: images per feature-network call.
        generate_batch_size: images per `generate_fn` call.
        feature_kwargs: passed to `get_feature_extractor`.
        probability_network: `FeatureExtractor` with logits for IS and mode
            coverage when the feature network has none (default: the
            Fashion-MNIST classifier).
        floors: a floors table (default: `floors.json`).
        verbose: print each result.
        preprocess: how the model's samples become the protocol's 28x28
            images, part of the record: None, `{"center_crop": 28}` (a model
            trained on padded data) or `{"resize": 28}` (on resized data). A
            preset records its own (`eval_preprocess` in its table row).

    Returns:
        `{protocol name: result}`; each result has "value" (the main number),
        "values" (all numbers), "floor" (same keys, or None) with
        "floor_note", and the record: "protocol", "metric", "description",
        "feature_network", "feature_weights", "comparable_with_literature",
        "feature_note", "num_generated", "num_real", "reference", "options",
        "seed", "preprocess" (and "probability_network"/"probability_weights" for IS and
        modes).

    Example:

    >>> gan = keras_gans.zoo.load("dcgan_fashion_mnist")  # doctest: +SKIP
    >>> r = evaluate(gan, ["fid10k_test", "pr10k_test"], num_samples=2000)  # doctest: +SKIP
    >>> r["fid10k_test"]["value"], r["fid10k_test"]["floor"]  # doctest: +SKIP
    """
    if isinstance(protocols, (str, Protocol)):
        protocols = [protocols]
    protocols = [get_protocol(p) for p in protocols]
    if not protocols:
        raise ValueError("protocols is empty; name at least one, e.g. ['fid10k_test'].")
    if num_samples is not None and (not isinstance(num_samples, (int, np.integer))
                                    or num_samples < 10):
        raise ValueError(f"num_samples must be an integer >= 10; got {num_samples!r}.")
    preprocess = check_preprocess(preprocess)
    shape_seen = {}
    generate_fn = _preprocessed(as_generate_fn(generate_fn), preprocess, shape_seen)
    extractor = get_feature_extractor(feature_network, **(feature_kwargs or {}))
    prob_extractor = None
    if any(p.needs_probabilities for p in protocols):
        if extractor.has_logits:
            prob_extractor = extractor
        else:
            prob_extractor = probability_network or fashion_mnist_classifier_extractor()
    floors = load_floors() if floors is None else floors

    # One generation pass per sample count serves every unconditional protocol
    # (features, logits and images together); conditional ones get their own.
    unconditional = {}
    for protocol in protocols:
        if not protocol.conditional:
            n_gen = num_samples or protocol.num_generated
            needs = unconditional.setdefault(n_gen, {"logits": False, "images": False})
            needs["logits"] |= protocol.needs_probabilities
            needs["images"] |= protocol.metric == "msssim"
    generated = {}
    results = {}
    for protocol in protocols:
        n_gen = num_samples or protocol.num_generated
        n_real = None
        real = None
        if protocol.reference is not None:
            n_real = min(num_samples or protocol.num_real, protocol.num_real)
            real = _real_outputs(protocol.reference, n_real, extractor, prob_extractor,
                                 batch_size)
        if protocol.conditional:
            labels = real["labels"][:n_gen]
            if len(labels) < n_gen:
                raise ValueError(
                    f"{protocol.name} conditions on the {len(labels)} real labels; "
                    f"num_samples={n_gen} is too many."
                )
            gen = _generated_outputs(generate_fn, n_gen, seed, extractor, None, False,
                                     batch_size, generate_batch_size, labels=labels)
        else:
            if n_gen not in generated:
                needs = unconditional[n_gen]
                generated[n_gen] = _generated_outputs(
                    generate_fn, n_gen, seed, extractor,
                    prob_extractor if needs["logits"] else None, needs["images"],
                    batch_size, generate_batch_size)
            gen = generated[n_gen]
        values, primary = compute_protocol_values(protocol, gen, real, seed)
        record = {
            "protocol": protocol.name,
            "metric": protocol.metric,
            "description": protocol.description,
            **extractor.record(),
            "num_generated": int(n_gen),
            "num_real": None if n_real is None else int(n_real),
            "reference": protocol.reference,
            "options": dict(protocol.options),
            "seed": seed,
            "preprocess": describe_preprocess(preprocess, shape_seen.get("raw")),
        }
        if num_samples is not None and num_samples != protocol.num_generated:
            record["note"] = (f"quick run: {n_gen} samples instead of the protocol's "
                              f"{protocol.num_generated}; not comparable with {protocol.name} "
                              "numbers at full size")
        weights_id = extractor.weights_id
        record["uses"] = "features"
        if protocol.needs_probabilities:
            record["uses"] = "class probabilities"
            record["probability_network"] = prob_extractor.name
            record["probability_weights"] = prob_extractor.weights_id
            weights_id = prob_extractor.weights_id
        elif protocol.metric == "msssim":
            record["uses"] = "pixels (no feature network)"
            weights_id = None
        floor, floor_note = find_floor(protocol, weights_id, n_gen, n_real, floors)
        results[protocol.name] = {"value": values[primary], "values": values, "floor": floor,
                                  "floor_note": floor_note, **record}
        if verbose:
            print(format_result(results[protocol.name]))
    return results


def format_result(result):
    """One line: protocol, values, floor and what the numbers are comparable with."""
    def fmt(values):
        return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in values.items() if not k.startswith("fid_class_"))

    floor = fmt(result["floor"]) if result["floor"] else f"n/a ({result['floor_note']})"
    return (f"{result['protocol']}: {fmt(result['values'])} | real-data floor: {floor} | "
            f"{result['feature_network']} [{result['feature_weights']}], "
            f"{result['num_generated']} generated"
            + (f" vs {result['num_real']} {result['reference']}" if result["reference"] else ""))
