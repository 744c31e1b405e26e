"""Improved precision and recall (Kynkaanniemi et al. 2019, "Improved Precision
and Recall Metric for Assessing Generative Models").

Each set's manifold is approximated by the union of hyperspheres centred on
its samples, each with the radius to that sample's k-th nearest neighbour in
the same set (k = 3 in the paper). Then

    precision = share of generated samples inside the real manifold,
    recall    = share of real samples inside the generated manifold,

where "inside" means within (<=) at least one sphere. Both lie in [0, 1];
precision measures fidelity, recall coverage of the real distribution. The
paper uses VGG-16 features and 50k samples per side; numbers in another
feature space or at another N are not comparable with it.
"""

import numpy as np

from keras_gans.metrics.checks import check_features, check_same_dim
from keras_gans.metrics.neighbors import (
    DEFAULT_ROW_BATCH,
    kth_neighbor_squared_radii,
    squared_distance_blocks,
)
from keras_gans.metrics.streaming import compute_features


def manifold_coverage(points, centers, sq_radii, row_batch=DEFAULT_ROW_BATCH):
    """Share of `points` within (<=) the sphere of at least one of `centers`
    (`sq_radii`: the spheres' squared radii)."""
    inside = np.zeros(len(points), bool)
    for start, block in squared_distance_blocks(points, centers, row_batch):
        inside[start:start + len(block)] = (block <= sq_radii[None, :]).any(axis=1)
    return float(inside.mean())


def precision_recall_from_features(real_features, fake_features, k=3, row_batch=DEFAULT_ROW_BATCH):
    """Improved precision and recall of two (N, D) feature arrays.

    Args:
        real_features: (N_r, D) features of real images, N_r > k.
        fake_features: (N_g, D) features of generated images, N_g > k.
        k: neighbourhood size for the radii (3 in the paper).
        row_batch: rows per distance block (memory bound).

    Returns:
        `(precision, recall)` as Python floats.

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(100, 4))
    >>> precision_recall_from_features(x, x)
    (1.0, 1.0)
    """
    real = check_features(real_features, "real_features", min_samples=k + 1)
    fake = check_features(fake_features, "fake_features", min_samples=k + 1)
    check_same_dim(real, fake)
    real_radii = kth_neighbor_squared_radii(real, k, row_batch)
    fake_radii = kth_neighbor_squared_radii(fake, k, row_batch)
    precision = manifold_coverage(fake, real, real_radii, row_batch)
    recall = manifold_coverage(real, fake, fake_radii, row_batch)
    return precision, recall


def precision_recall_from_images(feature_fn, real_images, fake_images, batch_size=250,
                                 num_samples=None, **kwargs):
    """Precision/recall of two image sources under `feature_fn`."""
    real = compute_features(feature_fn, real_images, batch_size, num_samples, "real_images")
    fake = compute_features(feature_fn, fake_images, batch_size, num_samples, "fake_images")
    return precision_recall_from_features(real, fake, **kwargs)
