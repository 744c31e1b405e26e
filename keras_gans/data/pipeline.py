"""tf.data pipelines over the registered dataset sources."""

import numpy as np
import tensorflow as tf

from keras_gans.data.datasets import get_source
from keras_gans.data.validation import validate_images

#: Batches kept ready ahead of the training step. The gather of one batch from
#: in-memory arrays takes well under a millisecond, so two (one being handed
#: over, one in the making) keep a step from ever waiting; more would only hold
#: memory (a batch of 128 RGB 256x256 images is 100 MB).
PREFETCH_BATCHES = 2
#: Batches gathered and scaled at once (in order: `deterministic=True`, so the
#: batches of an epoch stay a pure function of (seed, epoch)).
PARALLEL_BATCHES = 2


def pipeline_options():
    """The `tf.data.Options` every keras_gans pipeline carries: autotuning off.

    With autotuning on (tf.data's default), each iterator runs a tuning thread
    whose sleep doubles from 10 ms to a 60 s cap; destroying the iterator (at
    the end of every `fit`, and at every epoch boundary of a finite dataset)
    can wait for that sleep to run out. On the DCGAN benchmark (issue 16) a
    20-step `fit` of 3 s of steps returned after 5.12 s, a 100-step one after
    exactly 20.48 s (10 ms x 2^k), and a 3-epoch fit lost 63 s of 598 s.
    The pipelines here gather batches of indices from in-memory arrays and need
    no tuning: with a fixed parallelism (`PARALLEL_BATCHES`) and prefetch
    (`PREFETCH_BATCHES`) they deliver batches over 100x faster than a training
    step consumes them (`scripts/bench_train.py` prints both rates).

    Example:

    >>> ds = tf.data.Dataset.range(8).with_options(pipeline_options())
    >>> ds.options().autotune.enabled
    False
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def without_autotune(dataset):
    """`dataset` with tf.data autotuning off, unless its options already decide.

    `GAN.fit` applies this to any `tf.data.Dataset` it is given, so datasets
    built outside keras_gans do not stall `fit` either (see
    `pipeline_options`). A dataset whose `options().autotune.enabled` was set
    explicitly (to True or False) is returned unchanged; anything that is not a
    `tf.data.Dataset` (numpy arrays, a distributed dataset) is returned as is.

    Example:

    >>> ds = without_autotune(tf.data.Dataset.range(8).prefetch(tf.data.AUTOTUNE))
    >>> ds.options().autotune.enabled
    False
    """
    if not isinstance(dataset, tf.data.Dataset):
        return dataset
    if dataset.options().autotune.enabled is not None:
        return dataset
    return dataset.with_options(pipeline_options())


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
        seed: shuffling seed. With `repeat=True` the order of epoch `e`
            depends only on (seed, e); with `repeat=False` every iteration of
            the dataset (Keras starts one per epoch) draws a new order from a
            sequence fixed by `seed`.
        epoch: with `repeat=True`, the first epoch (a resumed run passes the
            epoch it restarts at and sees the batches an uninterrupted run
            would); unused otherwise.
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
        return ds.map(gather, num_parallel_calls=PARALLEL_BATCHES, deterministic=True)

    if repeat:
        ds = tf.data.Dataset.counter(start=epoch, dtype=tf.int64).flat_map(one_epoch)
    elif shuffle:
        # Keras iterates a finite dataset anew every epoch. A seeded random op
        # inside a flat_map restarts with every iterator (each epoch replayed
        # the first epoch's order); a shuffle with reshuffle_each_iteration
        # draws a new order per iterator, and it needs no per-epoch function
        # instantiation (a flat_map cost about 0.1 s per epoch).
        ds = (tf.data.Dataset.range(n)
              .shuffle(n, seed=seed, reshuffle_each_iteration=True)
              .batch(batch_size, drop_remainder=drop_remainder)
              .map(gather, num_parallel_calls=PARALLEL_BATCHES, deterministic=True))
    else:
        ds = one_epoch(tf.constant(epoch, tf.int64))
    # A fixed prefetch: with autotuning off (pipeline_options), AUTOTUNE here
    # would fall back to a buffer that grows on its own; a known depth bounds
    # the memory held ahead of the step.
    return ds.prefetch(PREFETCH_BATCHES).with_options(pipeline_options())


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
