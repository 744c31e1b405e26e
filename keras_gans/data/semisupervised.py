"""Semi-supervised pipelines: a few labelled examples among unlabelled ones.

Semi-supervised GAN training (Salimans et al. 2016, "Improved Techniques for
Training GANs", section 5; Odena 2016) sees every training image as
unlabelled data and a small, class-balanced subset with its labels. With
100 labels among 60000 images, uniformly sampled batches would hold a
labelled example every few steps; like the papers' code, each batch here is
`labelled_batch_size` labelled examples (cycling over the subset, reshuffled
every pass) followed by unlabelled examples (cycling over ALL the images of
the split, labelled ones included), the unlabelled ones marked with the
label -1.

Example:

>>> ds = semi_supervised("digits", num_labelled=20, batch_size=8)
>>> images, labels = next(iter(ds))
>>> labels.numpy().tolist()  # 4 labelled, then 4 unlabelled  # doctest: +SKIP
[3, 7, 0, 5, -1, -1, -1, -1]
"""

import numpy as np
import tensorflow as tf

from keras_gans.data.datasets import get_source
from keras_gans.data.pipeline import from_arrays, resize_uint8

#: The label of unlabelled examples.
UNLABELLED = -1


def labelled_subset(labels, num_labelled, seed=0, num_classes=None):
    """Indices of a class-balanced labelled subset, a pure function of `seed`.

    Each class gets `num_labelled // K` examples; the remainder goes to
    classes chosen at random (one extra each). Indices are returned sorted.

    Args:
        labels: (N,) integer labels of the split.
        num_labelled: size of the subset, in [K, N].
        seed: selects which examples (and which classes get the remainder).
        num_classes: K; default: max(labels) + 1.

    Raises:
        ValueError: when `num_labelled` is out of range or a class has too few
            examples.

    Example:

    >>> labelled_subset(np.array([0, 1, 0, 1, 0, 1]), 4, seed=0).shape
    (4,)
    """
    labels = np.asarray(labels).astype(np.int64)
    num_classes = int(num_classes or labels.max() + 1)
    num_labelled = int(num_labelled)
    if not num_classes <= num_labelled <= len(labels):
        raise ValueError(
            f"num_labelled must lie in [{num_classes}, {len(labels)}] (at least one example "
            f"per class, at most the whole split); got {num_labelled}."
        )
    rng = np.random.default_rng(seed)
    per_class = np.full(num_classes, num_labelled // num_classes)
    per_class[rng.choice(num_classes, num_labelled % num_classes, replace=False)] += 1
    chosen = []
    for c in range(num_classes):
        members = np.flatnonzero(labels == c)
        if len(members) < per_class[c]:
            raise ValueError(
                f"Class {c} has {len(members)} examples; a balanced subset of "
                f"{num_labelled} needs {per_class[c]}."
            )
        chosen.append(rng.choice(members, per_class[c], replace=False))
    return np.sort(np.concatenate(chosen))


def semi_supervised(name, num_labelled=None, labelled_fraction=None, seed=0, batch_size=128,
                    labelled_batch_size=None, split="train", repeat=True, image_size=None,
                    verbose=False, **options):
    """A pipeline of (images, labels) batches with labels = -1 where unlabelled.

    Args:
        name: a registered image dataset (`fashion_mnist`, `digits`, ...).
        num_labelled: size of the class-balanced labelled subset; or
        labelled_fraction: that size as a fraction of the split (exactly one
            of the two).
        seed: picks the subset and orders both streams.
        batch_size: examples per batch (labelled + unlabelled).
        labelled_batch_size: labelled examples per batch (default half the
            batch, capped by the subset size).
        split: "train" or "test".
        repeat: cycle forever (use `fit(steps_per_epoch=...)`); otherwise one
            pass over the unlabelled stream (the labelled one always cycles).
        image_size: optional (H, W) to resize to.
        **options: passed to the dataset source.

    Returns:
        A `tf.data.Dataset` of `(images, labels)`: float32 images in [-1, 1]
        [batch_size, H, W, C] and int32 labels [batch_size] whose first
        `labelled_batch_size` entries are classes and the rest -1. The subset's
        indices are `dataset.labelled_indices` (a numpy attribute).
    """
    if (num_labelled is None) == (labelled_fraction is None):
        raise ValueError("Pass exactly one of num_labelled=... and labelled_fraction=....")
    source = get_source(name)
    images, labels = source(split=split, verbose=verbose, **options)
    if getattr(source, "kind", "image") != "image":
        raise ValueError(f"semi_supervised needs an image dataset; {name!r} is not one.")
    if labels is None:
        raise ValueError(f"Dataset {name!r} has no labels.")
    if image_size is not None:
        images = resize_uint8(images, image_size)
    if num_labelled is None:
        if not 0.0 < float(labelled_fraction) <= 1.0:
            raise ValueError(f"labelled_fraction must lie in (0, 1]; got {labelled_fraction}.")
        num_labelled = int(round(float(labelled_fraction) * len(labels)))
    index = labelled_subset(labels, num_labelled, seed=seed,
                            num_classes=getattr(source, "num_classes", None))
    if labelled_batch_size is None:
        labelled_batch_size = min(batch_size // 2, len(index))
    labelled_batch_size = int(labelled_batch_size)
    unlabelled_batch_size = int(batch_size) - labelled_batch_size
    if not 0 < labelled_batch_size < batch_size:
        raise ValueError(
            f"labelled_batch_size must lie in [1, {batch_size - 1}]; got {labelled_batch_size}."
        )
    labelled = from_arrays(images[index], labels[index], batch_size=labelled_batch_size,
                           seed=seed, repeat=True, name=f"{name}/{split} (labelled)")
    unlabelled = from_arrays(images, None, batch_size=unlabelled_batch_size, seed=seed + 1,
                             repeat=repeat, name=f"{name}/{split}")

    def join(lab, unl):
        lab_images, lab_labels = lab
        marks = tf.fill([tf.shape(unl)[0]], tf.constant(UNLABELLED, tf.int32))
        return (tf.concat([lab_images, unl], axis=0),
                tf.concat([tf.cast(lab_labels, tf.int32), marks], axis=0))

    ds = tf.data.Dataset.zip(labelled, unlabelled).map(join).prefetch(tf.data.AUTOTUNE)
    ds.labelled_indices = index
    return ds
