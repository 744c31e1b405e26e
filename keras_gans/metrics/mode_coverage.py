"""Mode coverage for labelled data: how many classes a generator produces, and
how far its class histogram is from the real one.

A classifier labels every generated image with its most probable class. From
that predicted-class histogram:

- classes covered: the classes receiving at least `min_share` of the
  samples (default: a tenth of a uniform share, 1 / (10 K));
- KL(generated || reference): the KL divergence of the predicted-class
  histogram to the reference histogram, which is the predicted-class
  histogram of real images when given (so classifier bias cancels) and the
  uniform distribution otherwise. 0 is a perfect match; mode collapse onto one
  of K classes gives about log K.

This is the protocol of the stacked-MNIST mode-collapse literature (Metz et
al. 2017, Srivastava et al. 2017) applied to Fashion-MNIST's 10 classes.
"""

import numpy as np
import scipy.special

from keras_gans.metrics.checks import check_probabilities
from keras_gans.metrics.streaming import compute_features


def class_histogram(probs, num_classes=None):
    """Share of samples whose most probable class is each class (sums to 1)."""
    probs = np.asarray(probs)
    k = probs.shape[1] if num_classes is None else num_classes
    counts = np.bincount(np.argmax(probs, axis=1), minlength=k)
    return counts / counts.sum()


def mode_coverage_from_probs(fake_probs, real_probs=None, min_share=None, from_logits=False):
    """Classes covered and KL divergence of the predicted-class histogram.

    Args:
        fake_probs: (N, K) predicted class probabilities (or one-hot labels)
            of generated images; logits with `from_logits=True`.
        real_probs: optional (M, K) predictions for real images; their
            predicted-class histogram is the reference (default: uniform).
        min_share: share of the samples a class needs to count as covered;
            default 1 / (10 K).
        from_logits: both inputs are logits.

    Returns:
        A dict with `classes_covered` (int), `num_classes`, `covered` (sorted
        class ids), `kl` (KL(generated || reference), nats; inf when the
        reference gives a generated class zero mass), `histogram` and
        `reference_histogram` (lists of shares), `reference`
        ("real" or "uniform") and `min_share`.

    Example:

    >>> import numpy as np
    >>> result = mode_coverage_from_probs(np.eye(10)[np.arange(1000) % 10])
    >>> result["classes_covered"], round(result["kl"], 6)
    (10, 0.0)
    """
    fake = check_probabilities(fake_probs, "fake_probs", from_logits=from_logits)
    k = fake.shape[1]
    if min_share is None:
        min_share = 0.1 / k
    if not 0.0 < float(min_share) <= 1.0:
        raise ValueError(f"min_share must be in (0, 1]; got {min_share!r}.")
    histogram = class_histogram(fake)
    if real_probs is None:
        reference, reference_name = np.full(k, 1.0 / k), "uniform"
    else:
        real = check_probabilities(real_probs, "real_probs", from_logits=from_logits)
        if real.shape[1] != k:
            raise ValueError(
                f"fake_probs has {k} classes but real_probs has {real.shape[1]}; use one "
                "classifier for both."
            )
        reference, reference_name = class_histogram(real), "real"
    covered = np.nonzero(histogram >= min_share)[0]
    # rel_entr: p log(p / q), 0 where p = 0, inf where p > 0 = q.
    kl = float(scipy.special.rel_entr(histogram, reference).sum())
    return {
        "classes_covered": int(len(covered)),
        "num_classes": int(k),
        "covered": covered.tolist(),
        "kl": kl,
        "histogram": histogram.tolist(),
        "reference_histogram": reference.tolist(),
        "reference": reference_name,
        "min_share": float(min_share),
    }


def mode_coverage_from_images(probs_fn, fake_images, real_images=None, batch_size=250,
                              num_samples=None, **kwargs):
    """Mode coverage of image sources; `probs_fn` maps images to probabilities."""
    fake = compute_features(probs_fn, fake_images, batch_size, num_samples, "fake_images")
    real = None
    if real_images is not None:
        real = compute_features(probs_fn, real_images, batch_size, num_samples, "real_images")
    return mode_coverage_from_probs(fake, real, **kwargs)
