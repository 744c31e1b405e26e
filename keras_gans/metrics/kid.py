"""Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs").

KID is the squared maximum mean discrepancy between real and generated
features under the cubic polynomial kernel k(x, y) = (x . y / d + 1)^3, with
the unbiased estimator

    MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m - 1))
            + sum_{i != j} k(y_i, y_j) / (m (m - 1))
            - 2 sum_{i, j} k(x_i, y_j) / m^2,

averaged over `n_subsets` random subsets of `subset_size` samples per side
(drawn without replacement within a subset), as in the paper's code and
stylegan2-ada (100 subsets of 1000). Unlike FID it is unbiased, so it can be
slightly negative and is comparable across sample counts.
"""

import numpy as np

from keras_gans.metrics.checks import check_features, check_positive_int, check_same_dim
from keras_gans.metrics.streaming import compute_features


def polynomial_kernel(x, y, degree=3, gamma=None, coef0=1.0):
    """k(x, y) = (gamma x . y + coef0)^degree with gamma = 1 / d by default."""
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    base = gamma * (x @ y.T) + coef0
    if degree == 3:
        return base * base * base  # ~100x faster than numpy's generic power
    return base**degree


def mmd2_unbiased(x, y):
    """Unbiased MMD^2 of two equal-size float64 samples under the cubic kernel."""
    m = len(x)
    k_xx = polynomial_kernel(x, x)
    k_yy = polynomial_kernel(y, y)
    k_xy = polynomial_kernel(x, y)
    # Diagonals k(x_i, x_i) are excluded: that is what makes the estimate unbiased.
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return within - 2.0 * k_xy.sum() / (m * m)


def kid_from_features(real_features, fake_features, n_subsets=100, subset_size=1000, seed=0):
    """KID between two (N, D) feature arrays.

    Args:
        real_features: (N_r, D) features of real images.
        fake_features: (N_g, D) features of generated images.
        n_subsets: number of random subsets averaged.
        subset_size: samples per side in each subset; capped at
            min(N_r, N_g) (as stylegan2-ada does).
        seed: seed of the subset draws.

    Returns:
        `(mean, std)` of the per-subset MMD^2 estimates, as Python floats.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(200, 8)), rng.normal(size=(200, 8))
    >>> mean, std = kid_from_features(x, y, n_subsets=10)
    >>> abs(mean) < 0.05
    True
    """
    real = check_features(real_features, "real_features", min_samples=2)
    fake = check_features(fake_features, "fake_features", min_samples=2)
    check_same_dim(real, fake)
    n_subsets = check_positive_int(n_subsets, "n_subsets")
    subset_size = check_positive_int(subset_size, "subset_size", minimum=2)
    m = min(len(real), len(fake), subset_size)
    rng = np.random.default_rng(seed)
    estimates = np.empty(n_subsets)
    for i in range(n_subsets):
        x = real[rng.choice(len(real), m, replace=False)]
        y = fake[rng.choice(len(fake), m, replace=False)]
        estimates[i] = mmd2_unbiased(x, y)
    return float(estimates.mean()), float(estimates.std())


def kid_from_images(feature_fn, real_images, fake_images, batch_size=250, num_samples=None,
                    **kwargs):
    """KID of two image sources under `feature_fn` (kwargs go to `kid_from_features`)."""
    real = compute_features(feature_fn, real_images, batch_size, num_samples, "real_images")
    fake = compute_features(feature_fn, fake_images, batch_size, num_samples, "fake_images")
    return kid_from_features(real, fake, **kwargs)
