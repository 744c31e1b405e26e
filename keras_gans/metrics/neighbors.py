"""Batched Euclidean distances and k-nearest-neighbour radii.

Shared by improved precision/recall and density/coverage, which both build
hyperspheres around samples with the radius to their k-th nearest neighbour.
Distances are computed in row blocks so a 10k x 10k (or 50k x 50k) comparison
never materialises the full matrix.
"""

import numpy as np

from keras_gans.metrics.checks import check_positive_int

#: Rows per block: a 1000 x 10000 float64 block is 80 MB.
DEFAULT_ROW_BATCH = 1000


def squared_distance_blocks(a, b, row_batch=DEFAULT_ROW_BATCH):
    """Yields `(start, block)` with block[i, j] = ||a[start + i] - b[j]||^2 (float64).

    Uses ||a||^2 - 2 a.b + ||b||^2, clipped at 0 against round-off.
    """
    row_batch = check_positive_int(row_batch, "row_batch")
    b_sq = np.einsum("ij,ij->i", b, b)
    for start in range(0, len(a), row_batch):
        rows = a[start:start + row_batch]
        block = np.einsum("ij,ij->i", rows, rows)[:, None] - 2.0 * (rows @ b.T) + b_sq[None, :]
        np.maximum(block, 0.0, out=block)
        yield start, block


def kth_neighbor_squared_radii(features, k, row_batch=DEFAULT_ROW_BATCH):
    """Squared distance from every sample to its k-th nearest *other* sample.

    The metrics compare squared distances with these directly: a sqrt and
    square round trip could move a tie (a neighbour exactly on the sphere)
    by one ulp to either side.
    """
    k = check_positive_int(k, "k")
    if len(features) <= k:
        raise ValueError(
            f"k={k} nearest neighbours need more than {k} samples; got {len(features)}. "
            "Pass more samples or lower k."
        )
    radii = np.empty(len(features))
    for start, block in squared_distance_blocks(features, features, row_batch):
        # Column k of the partially sorted row: index 0 is the sample itself
        # (distance 0), so index k is its k-th nearest other sample.
        radii[start:start + len(block)] = np.partition(block, k, axis=1)[:, k]
    return radii


def kth_neighbor_radii(features, k, row_batch=DEFAULT_ROW_BATCH):
    """Distance from every sample to its k-th nearest *other* sample.

    Args:
        features: (N, D) float64 array with N > k.
        k: neighbourhood size (k = 1 is the nearest neighbour).

    Returns:
        (N,) float64 radii.

    Example:

    >>> import numpy as np
    >>> kth_neighbor_radii(np.array([[0.0], [1.0], [3.0]]), k=1).tolist()
    [1.0, 1.0, 2.0]
    """
    return np.sqrt(kth_neighbor_squared_radii(features, k, row_batch))
