"""Mode coverage of samples from a mixture of Gaussians (mode-collapse metric).

The protocol of Srivastava et al. (2017, VEEGAN), also used by Lin et al.
(2018, PacGAN), on mixtures such as those of `keras_gans.data.mixtures`: each
generated sample is assigned to its nearest mode; it is "high quality" when it
lies within 3 standard deviations of that mode; a mode is covered ("captured")
when it receives at least one high-quality sample. Papers report the number of covered modes and the
fraction of high-quality samples (PacGAN's code evaluates 2,500 samples).

Conventions, as in PacGAN's released evaluation code (its `MetricLogger`,
synthetic_data_experiments/PacGAN/pacgan/extensions.py in fjxmlzn/PacGAN):
the distance is divided by the mode's std (Mahalanobis distance for isotropic
modes), high quality means strictly less than 3, and a mode counts as covered
with >= 1 high-quality sample. `min_high_quality` makes that last threshold
configurable, e.g. to ignore modes hit by a few stray samples.

`kl_to_uniform` is KL(p || uniform) of the histogram p of high-quality
samples over modes: 0 when every mode gets the same share, log(K) when all
land on one mode. PacGAN logs the Jensen-Shannon divergence and entropy of the
same histogram; KL to uniform is log(K) minus its entropy.
"""

import numpy as np

from keras_gans.data.mixtures import mixture_modes

#: A sample is high quality within this many standard deviations of its mode.
HIGH_QUALITY_NUM_STD = 3.0


def _modes(name_or_centers, std):
    if isinstance(name_or_centers, str):
        centers, default_std = mixture_modes(name_or_centers)
        return centers, default_std if std is None else float(std)
    if std is None:
        raise ValueError("Pass std= (the modes' standard deviation) with explicit centers.")
    centers = np.asarray(name_or_centers, np.float64)
    if centers.ndim != 2 or len(centers) == 0:
        raise ValueError(f"centers must be a (num_modes, D) array; got shape {centers.shape}.")
    if not std > 0:
        raise ValueError(f"std must be positive; got {std}.")
    return centers, float(std)


def mode_histogram(samples, centers, std, num_std=HIGH_QUALITY_NUM_STD):
    """Assigns samples to their nearest mode and counts the high-quality ones.

    Args:
        samples: `(N, D)` array (numpy or tensor).
        centers: `(num_modes, D)` mode means.
        std: the modes' common (isotropic) standard deviation.
        num_std: the high-quality radius, in standard deviations.

    Returns:
        `(counts, high_quality)`: int64 `(num_modes,)` high-quality samples per
        mode, and a boolean `(N,)` mask of high-quality samples.
    """
    samples = np.asarray(samples, np.float64)
    centers = np.asarray(centers, np.float64)
    if samples.ndim != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"samples must be (N, {centers.shape[1]}); got shape {samples.shape}."
        )
    # Squared distances via broadcasting: N x K is small for these test beds
    # (2,500-100,000 samples, at most a few dozen modes).
    sq = np.sum((samples[:, None, :] - centers[None, :, :]) ** 2, axis=-1)
    nearest = np.argmin(sq, axis=1)
    dist = np.sqrt(sq[np.arange(len(samples)), nearest]) / std
    # Non-finite samples (a diverged generator) are never high quality.
    high_quality = np.isfinite(dist) & (dist < num_std)
    counts = np.bincount(nearest[high_quality], minlength=len(centers)).astype(np.int64)
    return counts, high_quality


def kl_to_uniform(counts):
    """KL divergence (nats) of the normalized histogram `counts` to uniform.

    `sum_k p_k log(K p_k)` over modes with `p_k > 0`. NaN when all counts are
    zero (no distribution to compare).
    """
    counts = np.asarray(counts, np.float64)
    total = counts.sum()
    if total <= 0:
        return float("nan")
    p = counts[counts > 0] / total
    return float(np.sum(p * np.log(p * len(counts))))


def mixture_metrics(samples, name_or_centers, std=None, num_std=HIGH_QUALITY_NUM_STD,
                    min_high_quality=1):
    """Mode coverage and sample quality of 2-D (or D-dim) mixture samples.

    Args:
        samples: generated points, `(N, D)`.
        name_or_centers: a registered mixture ("ring8", "grid25"), or an
            explicit `(num_modes, D)` array of centers.
        std: the modes' standard deviation; required with explicit centers,
            overrides the registered one with a name.
        num_std: high-quality radius in standard deviations (3, as in the
            papers).
        min_high_quality: high-quality samples a mode needs to count as
            covered (1, as in PacGAN's code).

    Returns:
        A dict with
        `modes_covered` (int), `num_modes` (int),
        `high_quality_fraction` (float in [0, 1]: high-quality samples / N),
        `kl_to_uniform` (float, nats: KL of the mode histogram of high-quality
        samples to uniform; NaN when there are no high-quality samples).

    Example:

    >>> from keras_gans.data.mixtures import ring8
    >>> points, _ = ring8(num_samples=2500)
    >>> m = mixture_metrics(points, "ring8")
    >>> m["modes_covered"], m["num_modes"]
    (8, 8)
    """
    centers, std = _modes(name_or_centers, std)
    samples = np.asarray(samples)
    if len(samples) == 0:
        raise ValueError("mixture_metrics needs at least one sample.")
    counts, high_quality = mode_histogram(samples, centers, std, num_std)
    return {
        "modes_covered": int(np.sum(counts >= min_high_quality)),
        "num_modes": int(len(centers)),
        "high_quality_fraction": float(np.mean(high_quality)),
        "kl_to_uniform": kl_to_uniform(counts),
    }
