"""tf.data pipelines over the registered dataset sources."""

import numpy as np
import tensorflow as tf

from keras_gans.data.datasets import get_source
from keras_gans.data.validation import validate_images


def arrays(name, split="train", image_size=None, **options):
    """Returns `(images, labels)` of a dataset as numpy arrays.

    Images are uint8 (N, H, W, C) for image datasets (resized when
    `image_size=(H, W)` is given) and float32 (N, D) for point datasets such as
    the 2-D mixtures.
    """
    source = get_source(name)
    images, labels = source(split=split, **options)
    if getattr(source, "kind", "image") == "image" and image_size is not None:
        images = resize_uint8(images, image_size)
    return images, labels


def resize_uint8(images, image_size):
    """Bilinear resize of uint8 images to `image_size=(H, W)`."""
    if tuple(images.shape[1:3]) == tuple(image_size):
        return images
    out = tf.image.resize(tf.convert_to_tensor(images, tf.float32), image_size, "bilinear")
    return np.clip(np.rint(out.numpy()), 0, 255).astype(np.uint8)


def num_batches(name, split="train", batch_size=128, **options):
    """Batches per epoch (`drop_remainder=True`) of a dataset."""
    images, _ = arrays(name, split, **options)
    return len(images) // batch_size


def epoch_permutation(num_examples, seed, epoch):
    """The order of examples in `epoch`: a pure function of (seed, epoch).

    Tying the order to the epoch number (instead of to how many times an
    iterator was re-created) is what lets a resumed run see the same batches
    as an uninterrupted one.
    """
    keys = tf.random.stateless_uniform(
        [num_examples], seed=tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)])
    )
    return tf.argsort(keys)


def from_arrays(images, labels=None, batch_size=128, shuffle=True, seed=0,
                epoch=0, repeat=False, drop_remainder=True, name="images"):
    """Builds the training pipeline from uint8 or [-1, 1] float image arrays.

    Args:
        images: (N, H, W, C) uint8 in [0, 255], or float in [-1, 1].
        labels: optional (N,) integer labels; when given, elements are
            `(images, labels)`.
        batch_size: global batch size.
        shuffle: shuffle the examples every epoch.
        seed: shuffling seed; the order of epoch `e` depends only on
            (seed, e).
        epoch: the first epoch (a resumed run passes the epoch it restarts at).
        repeat: yield epochs `epoch, epoch + 1, ...` forever (use with
            `fit(steps_per_epoch=...)`).
        drop_remainder: drop the last partial batch (GAN steps need full,
            equal batches across replicas).

    Returns:
        A `tf.data.Dataset` of float32 images in [-1, 1] (and int32 labels).
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        validate_images(images, name=name)
    else:
        validate_images(images, name=name, value_range=(-1.0, 1.0))
    n = len(images)
    if batch_size > n and drop_remainder:
        raise ValueError(
            f"batch_size={batch_size} is larger than the {n} examples of {name}; "
            "lower batch_size."
        )
    image_t = tf.constant(images)
    label_t = None if labels is None else tf.constant(np.asarray(labels, np.int32))

    def scale(x):
        if x.dtype == tf.uint8:
            return tf.cast(x, tf.float32) / 127.5 - 1.0
        return tf.cast(x, tf.float32)

    def gather(i):
        if label_t is None:
            return scale(tf.gather(image_t, i))
        return scale(tf.gather(image_t, i)), tf.gather(label_t, i)

    return _indexed_pipeline(n, gather, batch_size, shuffle, seed, epoch, repeat,
                             drop_remainder)


def _indexed_pipeline(n, gather, batch_size, shuffle, seed, epoch, repeat, drop_remainder):
    """Batches of example indices (ordered per epoch) mapped through `gather`."""

    def one_epoch(e):
        idx = epoch_permutation(n, seed, e) if shuffle else tf.range(n)
        ds = tf.data.Dataset.from_tensor_slices(idx).batch(batch_size, drop_remainder=drop_remainder)
        return ds.map(gather)

    if repeat:
        ds = tf.data.Dataset.counter(start=epoch, dtype=tf.int64).flat_map(one_epoch)
    elif shuffle:
        # A new order each time Keras re-iterates the dataset for a new epoch.
        ds = tf.data.Dataset.range(1).flat_map(lambda _: one_epoch(
            tf.random.uniform([], maxval=2**31 - 1, dtype=tf.int64, seed=seed)))
    else:
        ds = one_epoch(tf.constant(epoch, tf.int64))
    if not repeat:
        # flat_map hides the length; stating it lets Keras show a full progress
        # bar from the first epoch instead of warning that data ran out.
        steps = n // batch_size if drop_remainder else -(-n // batch_size)
        ds = ds.apply(tf.data.experimental.assert_cardinality(steps))
    return ds.prefetch(tf.data.AUTOTUNE)


def load(name, split="train", batch_size=128, with_labels=False, shuffle=True,
         seed=0, epoch=0, repeat=False, image_size=None, drop_remainder=True,
         verbose=False, **options):
    """Loads a dataset as a `tf.data` pipeline of images scaled to [-1, 1].

    Args:
        name: a registered dataset: `fashion_mnist`, `digits`, `folder`
            (`path=...`), or a 2-D mixture (`ring8`, `grid25`).
        split: "train" or "test".
        batch_size: global batch size (remainder dropped).
        with_labels: yield `(images, labels)`.
        shuffle, seed, epoch, repeat: see `from_arrays`.
        image_size: optional (H, W) to resize to (bilinear).
        **options: passed to the source (e.g. `path` for `folder`).

    Example:

    >>> ds = keras_gans.data.load("fashion_mnist", batch_size=64)  # doctest: +SKIP
    >>> next(iter(ds)).shape  # doctest: +SKIP
    TensorShape([64, 28, 28, 1])
    """
    source = get_source(name)
    images, labels = source(split=split, verbose=verbose, **options)
    if getattr(source, "kind", "image") != "image":
        return points_dataset(images, labels if with_labels else None, batch_size,
                              shuffle=shuffle, seed=seed, epoch=epoch, repeat=repeat)
    if image_size is not None:
        images = resize_uint8(images, image_size)
    return from_arrays(images, labels if with_labels else None, batch_size=batch_size,
                       shuffle=shuffle, seed=seed, epoch=epoch, repeat=repeat,
                       drop_remainder=drop_remainder, name=f"{name}/{split}")


def points_dataset(points, labels=None, batch_size=128, shuffle=True, seed=0,
                   epoch=0, repeat=False):
    """A pipeline over float vectors (e.g. 2-D mixture samples), unscaled."""
    points = np.asarray(points, np.float32)
    if points.ndim != 2 or not np.isfinite(points).all():
        raise ValueError(
            f"points must be a finite (N, D) array; got shape {points.shape}."
        )
    n = len(points)
    pts = tf.constant(points)
    lab = None if labels is None else tf.constant(np.asarray(labels, np.int32))

    def gather(i):
        if lab is None:
            return tf.gather(pts, i)
        return tf.gather(pts, i), tf.gather(lab, i)

    return _indexed_pipeline(n, gather, batch_size, shuffle, seed, epoch, repeat, True)
