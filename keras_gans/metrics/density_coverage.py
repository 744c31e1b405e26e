"""Density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity
Metrics for Generative Models").

Only the real samples get hyperspheres (radius: distance to the k-th nearest
real neighbour, k = 5 by default), which makes both metrics robust to outliers
in the generated set:

    density  = 1 / (k M) sum_j sum_i 1[Y_j in B(X_i, r_i)]   (can exceed 1)
    coverage = 1 / N     sum_i 1[exists j: Y_j in B(X_i, r_i)]

with N real samples X, M generated samples Y, and "in" the open ball (<), as
in the paper's definition. For two samples of one distribution the expected
density is about 1.
"""

import numpy as np

from keras_gans.metrics.checks import check_features, check_positive_int, check_same_dim
from keras_gans.metrics.neighbors import (
    DEFAULT_ROW_BATCH,
    kth_neighbor_squared_radii,
    squared_distance_blocks,
)
from keras_gans.metrics.streaming import compute_features


def density_coverage_from_features(real_features, fake_features, k=5, row_batch=DEFAULT_ROW_BATCH):
    """Density and coverage of two (N, D) feature arrays.

    Args:
        real_features: (N, D) features of real images, N > k.
        fake_features: (M, D) features of generated images.
        k: neighbourhood size for the real radii (5 in the paper).
        row_batch: rows per distance block (memory bound).

    Returns:
        `(density, coverage)` as Python floats.

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(100, 4))
    >>> density_coverage_from_features(x, x)[1]
    1.0
    """
    k = check_positive_int(k, "k")
    real = check_features(real_features, "real_features", min_samples=k + 1)
    fake = check_features(fake_features, "fake_features", min_samples=1)
    check_same_dim(real, fake)
    sq_radii = kth_neighbor_squared_radii(real, k, row_batch)
    # Real points as rows: per real sphere, how many generated points fall in.
    hits = np.zeros(len(real))
    for start, block in squared_distance_blocks(real, fake, row_batch):
        hits[start:start + len(block)] = (block < sq_radii[start:start + len(block), None]).sum(1)
    density = hits.sum() / (k * len(fake))
    coverage = (hits > 0).mean()
    return float(density), float(coverage)


def density_coverage_from_images(feature_fn, real_images, fake_images, batch_size=250,
                                 num_samples=None, **kwargs):
    """Density/coverage of two image sources under `feature_fn`."""
    real = compute_features(feature_fn, real_images, batch_size, num_samples, "real_images")
    fake = compute_features(feature_fn, fake_images, batch_size, num_samples, "fake_images")
    return density_coverage_from_features(real, fake, **kwargs)
