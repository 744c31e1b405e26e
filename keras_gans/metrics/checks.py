"""Input checks shared by every metric, with errors that name the value and the fix."""

import numpy as np


def check_features(features, name="features", min_samples=1):
    """Checks a (N, D) feature array and returns it as float64.

    Args:
        features: array-like of shape (N, D).
        name: how the array is called in error messages.
        min_samples: the least N the metric can work with.

    Raises:
        ValueError: wrong rank, too few rows, non-numeric or non-finite values.

    Example:

    >>> check_features([[0.0, 1.0], [2.0, 3.0]]).dtype
    dtype('float64')
    """
    array = np.asarray(features)
    if array.ndim != 2:
        hint = ""
        if array.ndim == 1:
            hint = " For one feature per sample use x[:, None]; for one sample use x[None]."
        elif array.ndim > 2:
            hint = (" Pass feature vectors, not images: run the images through a feature "
                    "network first (keras_gans.metrics.compute_features).")
        raise ValueError(
            f"{name} must have shape (num_samples, feature_dim); got shape {array.shape}.{hint}"
        )
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{name} must hold numbers; got dtype {array.dtype}.")
    if array.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {array.shape[0]} sample(s) but this metric needs at least "
            f"{min_samples}; pass more samples."
        )
    if array.shape[1] == 0:
        raise ValueError(f"{name} has feature_dim 0 (shape {array.shape}).")
    array = array.astype(np.float64, copy=False)
    bad = ~np.isfinite(array)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite value(s) (NaN or inf) in "
            f"{len(rows)} sample(s), first at row {int(rows[0])}; drop or fix those samples "
            "(a NaN often means the generator diverged)."
        )
    return array


def check_same_dim(a, b, names=("real_features", "fake_features")):
    """Raises unless two (N, D) arrays share D."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{names[0]} has feature_dim {a.shape[1]} but {names[1]} has {b.shape[1]}; "
            "compute both with the same feature network."
        )


def check_probabilities(probs, name="probs", atol=1e-3, from_logits=False):
    """Checks (N, K) class probabilities (or logits) and returns float64 probabilities.

    Args:
        probs: array-like (N, K); rows must be non-negative and sum to 1
            (within `atol`) unless `from_logits`.
        from_logits: `probs` are logits; a softmax is applied (in float64).

    Example:

    >>> check_probabilities([[0.25, 0.75]]).shape
    (1, 2)
    """
    array = check_features(probs, name=name)
    if array.shape[1] < 2:
        raise ValueError(
            f"{name} must have one column per class (at least 2); got shape {array.shape}."
        )
    if from_logits:
        shifted = array - array.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)
    if array.min() < 0:
        raise ValueError(
            f"{name} has negative entries (min {array.min():g}); pass probabilities, or "
            "logits with from_logits=True."
        )
    sums = array.sum(axis=1)
    worst = int(np.argmax(np.abs(sums - 1)))
    if abs(sums[worst] - 1) > atol:
        raise ValueError(
            f"{name} rows must sum to 1; row {worst} sums to {sums[worst]:g}. Apply a "
            "softmax, or pass logits with from_logits=True."
        )
    return array


def check_labels(labels, n, name="labels"):
    """Checks (N,) integer labels matching N samples."""
    array = np.asarray(labels)
    if array.ndim != 1 or len(array) != n:
        raise ValueError(f"{name} must have shape ({n},); got shape {array.shape}.")
    if not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and np.all(array == np.round(array)):
            array = array.astype(np.int64)
        else:
            raise ValueError(f"{name} must be integer class ids; got dtype {array.dtype}.")
    return array.astype(np.int64)


def check_positive_int(value, name, minimum=1):
    """Raises unless `value` is an int >= `minimum`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)
