"""Checks on image arrays entering the library, with errors that say what to do."""

import numpy as np


def validate_images(images, *, name="images", value_range=None, channels=None):
    """Checks an image batch and returns it as a numpy array.

    Args:
        images: array-like of shape (N, H, W, C).
        name: how the array is called in error messages.
        value_range: optional (low, high) that every value must lie in, e.g.
            (-1, 1) for model inputs or (0, 255) for uint8 images.
        channels: optional expected number of channels.

    Returns:
        The images as a numpy array.

    Raises:
        ValueError: naming what was seen and what was expected.

    Example:

    >>> import numpy as np
    >>> validate_images(np.zeros((2, 28, 28, 1)), value_range=(-1, 1)).shape
    (2, 28, 28, 1)
    """
    array = np.asarray(images)
    if array.ndim == 3 and channels in (None, 1):
        hint = " Add a channel axis with images[..., None]."
    else:
        hint = ""
    if array.ndim != 4:
        raise ValueError(
            f"{name} must have shape (N, height, width, channels); got shape "
            f"{array.shape}.{hint}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); need at least one image.")
    if channels is not None and array.shape[-1] != channels:
        raise ValueError(
            f"{name} must have {channels} channel(s); got {array.shape[-1]} "
            f"(shape {array.shape})."
        )
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{name} must hold numbers; got dtype {array.dtype}.")
    if np.issubdtype(array.dtype, np.floating):
        bad = ~np.isfinite(array)
        if bad.any():
            raise ValueError(
                f"{name} contains {int(bad.sum())} non-finite value(s) (NaN or inf) "
                f"out of {array.size}; clean the data before training."
            )
    if value_range is not None:
        low, high = value_range
        lo, hi = float(array.min()), float(array.max())
        if lo < low or hi > high:
            extra = ""
            if (low, high) == (-1, 1) and hi > 1.5:
                extra = " Scale uint8 images with x / 127.5 - 1."
            raise ValueError(
                f"{name} must lie in [{low}, {high}]; got values in [{lo:g}, {hi:g}].{extra}"
            )
    return array


def to_model_range(images):
    """Maps uint8 images in [0, 255] to float32 in [-1, 1]."""
    return np.asarray(images, np.float32) / 127.5 - 1.0


def to_uint8(images):
    """Maps float images in [-1, 1] to uint8 in [0, 255] (rounding, clipping)."""
    images = np.asarray(images, np.float32)
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)
