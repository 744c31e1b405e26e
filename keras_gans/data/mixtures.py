"""2-D mixtures of Gaussians: the standard mode-collapse test bed.

Two mixtures with equal weights and isotropic components, registered as
dataset sources of kind "points" (`keras_gans.data.load("ring8")` yields float32
batches `[batch, 2]`, unscaled):

* `ring8`: 8 modes equally spaced on a circle of radius 2 (the first at angle
  0), std 0.02 -- the setup of Metz et al. (2016), "Unrolled Generative
  Adversarial Networks". Papers vary this one: Lin et al. (2018, PacGAN)
  release a ring of radius 1 with std 0.01.
* `grid25`: 25 modes on the grid {-4, -2, 0, 2, 4}^2, std 0.05 -- the 2-D grid
  benchmark of Srivastava et al. (2017, VEEGAN) as reproduced by Lin et al.
  (2018, PacGAN), whose released configuration uses exactly these means and
  std.

Labels are mode indices. For `ring8`, mode k sits at angle 2 pi k / 8. For
`grid25`, mode `5 * i + j` sits at `(-4 + 2 i, -4 + 2 j)`.

A pitfall in widely copied ring samplers: `np.linspace(0, 2 * pi, 8)` includes
both ends, so the first and last "modes" coincide and only 7 are distinct;
the centers here use `endpoint=False` semantics (k / 8 of a turn).

`keras_gans.metrics.mixture.mixture_metrics` measures mode coverage of
generated samples against these modes.
"""

import numpy as np

from keras_gans.data.datasets import check_split, register_source

RING8_NUM_MODES = 8
RING8_RADIUS = 2.0
RING8_STD = 0.02

GRID25_VALUES = (-4.0, -2.0, 0.0, 2.0, 4.0)
GRID25_STD = 0.05

#: Points per split when `num_samples` is not given (PacGAN trains on 100k).
DEFAULT_NUM_SAMPLES = {"train": 100_000, "test": 10_000}
_SPLIT_STREAM = {"train": 0, "test": 1}


def _ring8_centers():
    angles = 2.0 * np.pi * np.arange(RING8_NUM_MODES) / RING8_NUM_MODES
    return RING8_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _grid25_centers():
    values = np.asarray(GRID25_VALUES)
    xs, ys = np.meshgrid(values, values, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


_MIXTURES = {
    "ring8": (_ring8_centers, RING8_STD),
    "grid25": (_grid25_centers, GRID25_STD),
}


def mixture_modes(name):
    """Returns `(centers, std)` of a registered 2-D mixture.

    Args:
        name: "ring8" or "grid25".

    Returns:
        `centers`, float64 `(num_modes, 2)` in label order, and the common
        isotropic standard deviation `std` (a float).

    Example:

    >>> centers, std = mixture_modes("ring8")
    >>> centers.shape, std
    ((8, 2), 0.02)
    """
    if name not in _MIXTURES:
        raise ValueError(
            f"Unknown mixture {name!r}; available: {', '.join(sorted(_MIXTURES))}."
        )
    centers_fn, std = _MIXTURES[name]
    return centers_fn(), std


def sample_mixture(centers, std, num_samples, seed=0):
    """Draws `num_samples` points from an equal-weight isotropic mixture.

    Args:
        centers: `(num_modes, D)` mode means.
        std: the common standard deviation.
        num_samples: how many points.
        seed: an int, or a sequence of ints, for `np.random.default_rng`.

    Returns:
        `(points, labels)`: float32 `(num_samples, D)` and int64 mode indices.
    """
    centers = np.asarray(centers, np.float64)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(centers), size=num_samples).astype(np.int64)
    points = centers[labels] + std * rng.standard_normal((num_samples, centers.shape[1]))
    return points.astype(np.float32), labels


def _source(name, split, verbose, num_samples, seed):
    check_split(split)
    if num_samples is None:
        num_samples = DEFAULT_NUM_SAMPLES[split]
    if num_samples < 1:
        raise ValueError(f"num_samples must be positive; got {num_samples}.")
    centers, std = mixture_modes(name)
    # The split picks an independent stream of the same seed, so train and
    # test never share points and each is reproducible on its own.
    points, labels = sample_mixture(centers, std, num_samples, seed=[seed, _SPLIT_STREAM[split]])
    if verbose:
        print(f"keras_gans.data: {name} {split} ({num_samples} points, "
              f"{len(centers)} modes, std {std}, seed {seed})")
    return points, labels


@register_source("ring8", num_classes=RING8_NUM_MODES, kind="points")
def ring8(split="train", verbose=False, num_samples=None, seed=0):
    """8 Gaussians on a circle of radius 2, std 0.02 (Metz et al., 2016).

    Args:
        split: "train" or "test" (independent draws).
        verbose: print what was generated.
        num_samples: points to draw; default 100,000 (train) / 10,000 (test).
        seed: the sampling seed.

    Returns:
        `(points, labels)`: float32 `(N, 2)` and int64 mode indices in [0, 8).

    Example:

    >>> points, labels = ring8(num_samples=1000)
    >>> points.shape, labels.shape
    ((1000, 2), (1000,))
    """
    return _source("ring8", split, verbose, num_samples, seed)


@register_source("grid25", num_classes=len(GRID25_VALUES) ** 2, kind="points")
def grid25(split="train", verbose=False, num_samples=None, seed=0):
    """25 Gaussians on {-4, -2, 0, 2, 4}^2, std 0.05 (VEEGAN; PacGAN).

    Args:
        split: "train" or "test" (independent draws).
        verbose: print what was generated.
        num_samples: points to draw; default 100,000 (train) / 10,000 (test).
        seed: the sampling seed.

    Returns:
        `(points, labels)`: float32 `(N, 2)` and int64 mode indices in [0, 25).

    Example:

    >>> ds = keras_gans.data.load("grid25", batch_size=256)  # doctest: +SKIP
    >>> next(iter(ds)).shape  # doctest: +SKIP
    TensorShape([256, 2])
    """
    return _source("grid25", split, verbose, num_samples, seed)
