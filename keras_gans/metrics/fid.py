"""Frechet Inception Distance (Heusel et al. 2017, "GANs Trained by a Two
Time-Scale Update Rule Converge to a Local Nash Equilibrium").

FID fits a Gaussian to each set of features and measures

    ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2)).

Following the reference implementation (TTUR): statistics in float64, the
unbiased covariance (divisor N - 1), `scipy.linalg.sqrtm` for the matrix
square root, an `eps * I` offset on both covariances when the product is
singular, and the imaginary part of the square root dropped only when it is
numerical noise.

FID is biased by the sample count (it decreases as N grows): compare numbers
only within one protocol (same N, same feature network, same reference set).
"""

import warnings

import numpy as np
import scipy.linalg

from keras_gans.metrics.checks import check_features, check_labels, check_same_dim
from keras_gans.metrics.streaming import compute_features

#: Offset added to both covariances' diagonals when their product is singular
#: (the TTUR reference uses 1e-6).
SINGULAR_EPS = 1e-6
#: Largest |imaginary part| on the diagonal of sqrtm(S_r S_g) that is treated
#: as round-off (the TTUR reference's tolerance).
IMAG_TOLERANCE = 1e-3
#: Relative residual ||X X - A||_F / ||A||_F above which sqrtm is retried
#: with the eps offset.
SQRTM_RESIDUAL_TOLERANCE = 1e-5


def feature_statistics(features, name="features"):
    """Mean and unbiased covariance of (N, D) features, in float64.

    Raises:
        ValueError: fewer than 2 samples (no covariance), NaN/inf, wrong rank.

    Example:

    >>> import numpy as np
    >>> mu, sigma = feature_statistics(np.array([[0.0, 0.0], [2.0, 2.0]]))
    >>> mu.tolist(), sigma.tolist()
    ([1.0, 1.0], [[2.0, 2.0], [2.0, 2.0]])
    """
    features = check_features(features, name=name, min_samples=2)
    mu = features.mean(axis=0)
    sigma = np.cov(features, rowvar=False)
    return mu, np.atleast_2d(sigma)


def _check_stats(mu, sigma, name):
    mu = np.atleast_1d(np.asarray(mu, np.float64))
    sigma = np.atleast_2d(np.asarray(sigma, np.float64))
    if mu.ndim != 1:
        raise ValueError(f"mu{name} must be a vector (D,); got shape {mu.shape}.")
    if sigma.shape != (len(mu), len(mu)):
        raise ValueError(
            f"sigma{name} must have shape ({len(mu)}, {len(mu)}) to match mu{name}; got "
            f"{sigma.shape}."
        )
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise ValueError(f"mu{name}/sigma{name} contain NaN or inf; check the features.")
    return mu, sigma


def _sqrtm_residual(root, a):
    norm = np.linalg.norm(a)
    if not np.isfinite(root).all():
        return np.inf
    return np.linalg.norm(root @ root - a) / (norm if norm > 0 else 1.0)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=SINGULAR_EPS, imag_tol=IMAG_TOLERANCE):
    """Frechet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    Args:
        mu1, mu2: mean vectors (D,).
        sigma1, sigma2: covariance matrices (D, D).
        eps: diagonal offset used when `sigma1 @ sigma2` is singular.
        imag_tol: largest tolerated |imaginary part| on the diagonal of the
            matrix square root.

    Returns:
        The squared Frechet (2-Wasserstein) distance as a Python float.

    Raises:
        ValueError: mismatched shapes, NaN/inf, or a matrix square root whose
            imaginary part is too large to be round-off.

    Example:

    >>> import numpy as np
    >>> frechet_distance(np.zeros(2), np.eye(2), np.ones(2), np.eye(2))
    2.0
    """
    mu1, sigma1 = _check_stats(mu1, sigma1, "1")
    mu2, sigma2 = _check_stats(mu2, sigma2, "2")
    if mu1.shape != mu2.shape:
        raise ValueError(
            f"mu1 has dimension {len(mu1)} but mu2 has {len(mu2)}; compute both statistics "
            "with the same feature network."
        )
    diff = mu1 - mu2
    product = sigma1 @ sigma2
    with warnings.catch_warnings():
        # sqrtm warns on singular input; that case is detected and handled below.
        warnings.simplefilter("ignore", RuntimeWarning)
        covmean = scipy.linalg.sqrtm(product)
    if _sqrtm_residual(covmean, product) > SQRTM_RESIDUAL_TOLERANCE:
        # Singular product (e.g. fewer samples than dimensions, or dead
        # features): as in the TTUR reference, add eps * I to both covariances
        # and take the square root of the (now non-singular) product instead.
        offset = np.eye(len(mu1)) * eps
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
        if not np.isfinite(covmean).all():
            raise ValueError(
                "The matrix square root of sigma1 @ sigma2 is not finite even with an "
                f"eps={eps:g} offset; the covariances are degenerate. Use more samples "
                "than feature dimensions, or a larger eps."
            )
    if np.iscomplexobj(covmean):
        # Only the diagonal enters the trace; the reference implementation
        # checks the same entries.
        worst = float(np.max(np.abs(np.diagonal(covmean).imag)))
        if worst > imag_tol:
            raise ValueError(
                f"sqrtm(sigma1 @ sigma2) has an imaginary component of {worst:.3g} on its "
                f"diagonal (tolerance {imag_tol:g}): the covariances are not positive "
                "semi-definite or are badly conditioned. Use more samples, float64 "
                "features, or raise imag_tol."
            )
        covmean = covmean.real
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    return float(value)


def fid_from_features(real_features, fake_features):
    """FID between two (N, D) feature arrays.

    Args:
        real_features: (N_r, D) features of real images, N_r >= 2.
        fake_features: (N_g, D) features of generated images, N_g >= 2.

    Returns:
        The FID as a Python float (>= 0 up to round-off).

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(500, 4))
    >>> abs(fid_from_features(x, x)) < 1e-9  # a set against itself
    True
    """
    real = check_features(real_features, "real_features", min_samples=2)
    fake = check_features(fake_features, "fake_features", min_samples=2)
    check_same_dim(real, fake)
    mu_r, sigma_r = feature_statistics(real, "real_features")
    mu_g, sigma_g = feature_statistics(fake, "fake_features")
    return frechet_distance(mu_r, sigma_r, mu_g, sigma_g)


def fid_from_images(feature_fn, real_images, fake_images, batch_size=250, num_samples=None):
    """FID of two image sources (arrays or batch iterables) under `feature_fn`.

    Example:

    >>> import numpy as np
    >>> flat = lambda x: x.reshape(len(x), -1)
    >>> x = np.random.default_rng(0).uniform(-1, 1, (64, 2, 2, 1))
    >>> abs(fid_from_images(flat, x, x)) < 1e-9
    True
    """
    real = compute_features(feature_fn, real_images, batch_size, num_samples, "real_images")
    fake = compute_features(feature_fn, fake_images, batch_size, num_samples, "fake_images")
    return fid_from_features(real, fake)


def intra_class_fid(real_features, real_labels, fake_features, fake_labels, classes=None):
    """Intra-class FID (Miyato & Koyama 2018): the mean of per-class FIDs.

    For conditional models: generate images per class label and compare each
    class's features with the real images of that class.

    Args:
        real_features, fake_features: (N, D) feature arrays.
        real_labels, fake_labels: (N,) integer class ids of each row (for
            generated images: the label they were conditioned on).
        classes: the classes to average over (default: those in
            `real_labels`). Every one needs >= 2 samples on both sides.

    Returns:
        `(mean, per_class)`: the mean FID and a dict class -> FID.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(200, 3)), np.repeat([0, 1], 100)
    >>> mean, per_class = intra_class_fid(x, y, x, y)
    >>> abs(mean) < 1e-9, sorted(per_class)
    (True, [0, 1])
    """
    real = check_features(real_features, "real_features", min_samples=2)
    fake = check_features(fake_features, "fake_features", min_samples=2)
    check_same_dim(real, fake)
    real_labels = check_labels(real_labels, len(real), "real_labels")
    fake_labels = check_labels(fake_labels, len(fake), "fake_labels")
    classes = np.unique(real_labels) if classes is None else np.asarray(classes)
    per_class = {}
    for c in classes.tolist():
        n_real, n_fake = int((real_labels == c).sum()), int((fake_labels == c).sum())
        if n_real < 2 or n_fake < 2:
            raise ValueError(
                f"class {c} has {n_real} real and {n_fake} generated sample(s); intra-class "
                "FID needs at least 2 of each per class. Generate images for every class, "
                "or pass classes=[...] to restrict the average."
            )
        per_class[c] = fid_from_features(real[real_labels == c], fake[fake_labels == c])
    return float(np.mean(list(per_class.values()))), per_class
