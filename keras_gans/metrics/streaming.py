"""Running images through a feature network batch by batch.

Every metric is a pure function of feature (or probability) arrays; this
module is the one place that turns images into those arrays, so that a 10k or
50k evaluation never holds more than one batch of images at a time.
"""

import numpy as np

from keras_gans.data.validation import validate_images


def _to_numpy(x):
    if hasattr(x, "numpy"):
        return x.numpy()
    return np.asarray(x)


def _scale(batch, name):
    """uint8 [0, 255] -> float32 [-1, 1]; float batches are checked to lie in [-1, 1]."""
    batch = _to_numpy(batch)
    if batch.dtype == np.uint8:
        validate_images(batch, name=name)
        return batch.astype(np.float32) / 127.5 - 1.0
    # A little slack: bilinear resampling or float error can overshoot +-1 by ulps.
    validate_images(batch, name=name, value_range=(-1.0 - 1e-3, 1.0 + 1e-3))
    return batch.astype(np.float32, copy=False)


def iterate_batches(images, batch_size=250, num_samples=None, name="images"):
    """Yields float32 image batches in [-1, 1] of at most `batch_size` images.

    Args:
        images: an (N, H, W, C) array (uint8 in [0, 255] or float in [-1, 1]),
            or any iterable of such batches: a generator, a list, a
            `tf.data.Dataset` (of images, or of `(images, labels)` pairs, whose
            images are taken).
        batch_size: the largest batch passed on; larger incoming batches are
            split.
        num_samples: stop after this many images (default: all).
        name: how the images are called in error messages.

    Raises:
        ValueError: on a batch of the wrong shape, with NaN/inf, or outside
            [-1, 1]; or when fewer than `num_samples` images arrive.
    """
    if num_samples is not None and num_samples < 1:
        raise ValueError(f"num_samples must be >= 1 or None; got {num_samples!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size!r}.")
    if isinstance(images, np.ndarray) or hasattr(images, "shape") and hasattr(images, "dtype"):
        array = _to_numpy(images)
        validate_images(array, name=name)  # shape check before slicing
        source = (array[i:i + batch_size] for i in range(0, len(array), batch_size))
    else:
        source = iter(images)
    seen = 0
    for batch in source:
        if isinstance(batch, (tuple, list)) and not hasattr(batch, "shape"):
            batch = batch[0]  # (images, labels) from a labelled pipeline
        batch = _scale(batch, f"{name} (batch starting at image {seen})")
        for i in range(0, len(batch), batch_size):
            part = batch[i:i + batch_size]
            if num_samples is not None:
                part = part[: num_samples - seen]
            if len(part):
                seen += len(part)
                yield part
            if num_samples is not None and seen >= num_samples:
                return
    if num_samples is not None and seen < num_samples:
        raise ValueError(
            f"{name} ran out after {seen} image(s) but num_samples={num_samples}; pass "
            "more images or lower num_samples."
        )


def compute_features(feature_fn, images, batch_size=250, num_samples=None, name="images"):
    """Runs `feature_fn` over images in batches and concatenates the outputs.

    The shared streaming step of every metric: `fid_from_images`,
    `kid_from_images`, `protocols.evaluate`, ... all call it.

    Args:
        feature_fn: callable mapping a float32 (B, H, W, C) batch in [-1, 1]
            to a (B, D) array or tensor, or to a tuple/list/dict of them (e.g.
            features and logits from one pass). A `FeatureExtractor`, a Keras
            model or any function.
        images: an image array, or an iterable of batches (see
            `iterate_batches`).
        batch_size: images per call of `feature_fn`.
        num_samples: use only the first `num_samples` images.

    Returns:
        A float32 (N, D) array; a tuple (or dict) of them when `feature_fn`
        returns several outputs.

    Example:

    >>> import numpy as np
    >>> mean_pixel = lambda x: x.reshape(len(x), -1).mean(axis=1, keepdims=True)
    >>> compute_features(mean_pixel, np.zeros((10, 4, 4, 1), np.uint8), batch_size=3).shape
    (10, 1)
    """
    outputs = None
    kind = None
    for batch in iterate_batches(images, batch_size, num_samples, name):
        out = feature_fn(batch)
        if isinstance(out, dict):
            kind, keys, parts = "dict", list(out), list(out.values())
        elif isinstance(out, (tuple, list)):
            kind, keys, parts = "tuple", None, list(out)
        else:
            kind, keys, parts = "single", None, [out]
        parts = [np.asarray(_to_numpy(p), np.float32).reshape(len(batch), -1) for p in parts]
        if outputs is None:
            outputs = [[] for _ in parts]
        for acc, p in zip(outputs, parts):
            acc.append(p)
    if outputs is None:
        raise ValueError(f"{name} yielded no images; pass at least one batch.")
    arrays = [np.concatenate(acc, axis=0) for acc in outputs]
    if kind == "single":
        return arrays[0]
    if kind == "dict":
        return dict(zip(keys, arrays))
    return tuple(arrays)


def _chunk_seed(seed, index):
    # Independent, reproducible seeds per chunk: (seed, index) -> 31-bit int, so
    # chunk 1 of seed 0 never equals chunk 0 of seed 1.
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0] >> 1)


def generated_batches(generate_fn, num_samples, batch_size=500, seed=0, labels=None):
    """Yields `num_samples` generated images in batches, reproducibly.

    Args:
        generate_fn: callable `(n, seed) -> images` (float (n, H, W, C) in
            [-1, 1]), e.g. `lambda n, seed: gan.sample(n, seed=seed)` or a
            wrapper around `gan.generate(z)`. With `labels`, it is called as
            `generate_fn(n, seed, labels=batch_labels)`.
        num_samples: total images.
        batch_size: images per call (bounds memory).
        seed: base seed; the seed of chunk `i` is derived from `(seed, i)`.
        labels: optional (num_samples,) class ids for a conditional generator.

    Example:

    >>> import numpy as np
    >>> gen = lambda n, seed: np.random.default_rng(seed).uniform(-1, 1, (n, 8, 8, 1))
    >>> [b.shape[0] for b in generated_batches(gen, 5, batch_size=2)]
    [2, 2, 1]
    """
    for index, start in enumerate(range(0, num_samples, batch_size)):
        n = min(batch_size, num_samples - start)
        chunk_seed = _chunk_seed(seed, index)
        if labels is None:
            batch = generate_fn(n, seed=chunk_seed)
        else:
            batch = generate_fn(n, seed=chunk_seed, labels=np.asarray(labels[start:start + n]))
        batch = _to_numpy(batch)
        if batch.shape[:1] != (n,):
            raise ValueError(
                f"generate_fn({n}, seed=...) returned shape {batch.shape}; it must return "
                f"{n} images of shape (H, W, C)."
            )
        yield batch
