"""Paired and unpaired image-translation data as `tf.data` pipelines in [-1, 1].

Layouts read from disk (the ones pix2pix's and CycleGAN's datasets ship in):

* aligned pairs, `path/<split>/*.png|jpg`, each image the source A and the
  target B side by side (`A|B`, width = 2 x height): facades, edges2shoes,
  maps, ... (`read_aligned_folder`);
* unpaired domains, `path/trainA/`, `path/trainB/`, `path/testA/`,
  `path/testB/` (`read_unpaired_folders`);
* domain-labelled folders, `path/<domain>/*.png` (`read_domain_folders`);
* tensorflow-datasets' `cycle_gan/<name>` (splits trainA, trainB, testA,
  testB), read with `download=False` only (`read_tfds_cycle_gan`).

Pipelines (`paired_dataset`, `unpaired_dataset`, `domain_dataset`) take uint8
arrays and yield float32 in [-1, 1]: `(source, target)` pairs, or
`(images, domains)`. pix2pix's jitter (resize to `load_size`, random crop to
`crop_size`, random horizontal flip) is drawn once per pair and applied to
both halves alike, so a pair stays aligned. Orders and jitter are pure
functions of (seed, epoch), like `keras_gans.data.from_arrays`.

Example:

>>> a, b = read_aligned_folder("facades", split="train")  # doctest: +SKIP
>>> ds = paired_dataset(a, b, batch_size=1, load_size=286, crop_size=256, flip=True)  # doctest: +SKIP
>>> source, target = next(iter(ds))  # doctest: +SKIP
"""

import glob
import os

import numpy as np
import tensorflow as tf

from keras_gans.data.pipeline import epoch_permutation, pipeline_options, resize_uint8
from keras_gans.data.validation import validate_images

_IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
DIRECTIONS = ("AtoB", "BtoA")


def _image_files(folder):
    if not os.path.isdir(folder):
        raise ValueError(f"Image folder {folder!r} does not exist or is not a folder.")
    files = sorted(f for f in glob.glob(os.path.join(folder, "*"))
                   if f.lower().endswith(_IMAGE_EXTS))
    if not files:
        raise ValueError(
            f"Image folder {folder!r} holds no images (looked for {', '.join(_IMAGE_EXTS)}).")
    return files


def _read(files, channels=None, image_size=None):
    """uint8 (N, H, W, C) from image files; one size, or resized to image_size."""
    from PIL import Image

    out = []
    for f in files:
        with Image.open(f) as im:
            if channels is None:
                channels = 1 if im.mode in ("L", "1", "I", "I;16") else 3
            im = im.convert("L" if channels == 1 else "RGB")
            if image_size is not None:
                im = im.resize((image_size[1], image_size[0]), Image.BILINEAR)
            arr = np.asarray(im, np.uint8)
        arr = arr[..., None] if arr.ndim == 2 else arr
        if out and arr.shape != out[0].shape:
            raise ValueError(
                f"{f!r} has shape {arr.shape} but {files[0]!r} has {out[0].shape}; pass "
                "image_size=(height, width) to resize them to one size.")
        out.append(arr)
    return np.stack(out)


def _check_direction(direction):
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}; got {direction!r}.")


def split_aligned(images, direction="AtoB"):
    """Splits side-by-side `A|B` images (N, H, 2W, C) into (source, target).

    Example:

    >>> ab = np.zeros((1, 2, 4, 1), np.uint8); ab[..., 2:, :] = 255
    >>> a, b = split_aligned(ab)
    >>> int(a.max()), int(b.min())
    (0, 255)
    """
    _check_direction(direction)
    images = validate_images(images, name="aligned images")
    width = images.shape[2]
    if width % 2:
        raise ValueError(f"Aligned A|B images need an even width (A left, B right); got "
                         f"width {width} (shape {images.shape}).")
    a, b = images[:, :, : width // 2], images[:, :, width // 2:]
    return (a, b) if direction == "AtoB" else (b, a)


def read_aligned_folder(path, split="train", direction="AtoB", image_size=None, channels=None):
    """(source, target) uint8 arrays from pix2pix's aligned layout `path/<split>/`.

    Args:
        path: the dataset folder (holding `train/`, `val/`, `test/`).
        split: the sub-folder to read.
        direction: "AtoB" (left half -> right half) or "BtoA".
        image_size: (height, width) of each HALF to resize to; required when
            the files differ in size.
        channels: 1 or 3; default: that of the first image.
    """
    _check_direction(direction)
    files = _image_files(os.path.join(path, split))
    size = None if image_size is None else (image_size[0], 2 * image_size[1])
    return split_aligned(_read(files, channels, size), direction)


def read_unpaired_folders(path, split="train", image_size=None, channels=None):
    """(domain A, domain B) uint8 arrays from CycleGAN's `path/<split>A`, `path/<split>B`."""
    a = _read(_image_files(os.path.join(path, f"{split}A")), channels, image_size)
    b = _read(_image_files(os.path.join(path, f"{split}B")), channels or a.shape[-1], image_size)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"{split}A images have shape {a.shape[1:]} but {split}B images "
                         f"{b.shape[1:]}; pass image_size=(height, width).")
    return a, b


def read_domain_folders(path, image_size=None, channels=None):
    """(images, domains, domain_names) from `path/<domain>/*` (sorted domain names)."""
    if not os.path.isdir(path):
        raise ValueError(f"Domain folder {path!r} does not exist or is not a folder.")
    names = sorted(d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)))
    if len(names) < 2:
        raise ValueError(f"{path!r} must hold one sub-folder per domain (at least two); "
                         f"found {names}.")
    images, domains = [], []
    for i, name in enumerate(names):
        arr = _read(_image_files(os.path.join(path, name)), channels, image_size)
        channels = arr.shape[-1]
        if images and arr.shape[1:] != images[0].shape[1:]:
            raise ValueError(f"Domain {name!r} has images of shape {arr.shape[1:]} but "
                             f"{names[0]!r} {images[0].shape[1:]}; pass image_size=(h, w).")
        images.append(arr)
        domains.append(np.full(len(arr), i, np.int32))
    return np.concatenate(images), np.concatenate(domains), names


TFDS_CYCLE_GAN_SPLITS = ("trainA", "trainB", "testA", "testB")


def read_tfds_cycle_gan(name, split="train", data_dir=None, image_size=None, tfds=None):
    """(domain A, domain B) uint8 arrays of tensorflow-datasets' `cycle_gan/<name>`.

    Reads a prepared copy only (`download=False`: offline, tfds would retry
    for minutes before failing). Prepare it once with
    `tfds build cycle_gan/<name>` where the network is reachable.

    Args:
        name: e.g. "horse2zebra" or "cycle_gan/horse2zebra".
        split: "train" or "test" (tfds's `trainA`/`trainB` or `testA`/`testB`).
        data_dir: tfds's data directory.
        image_size: optional (height, width) to resize to (bilinear).
        tfds: the tensorflow_datasets module (default: imported lazily).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")
    if tfds is None:
        try:
            import tensorflow_datasets as tfds
        except ImportError as e:
            raise ImportError("cycle_gan/* is read through tensorflow-datasets: "
                              "pip install tensorflow-datasets") from e
    full = name if name.startswith("cycle_gan/") else f"cycle_gan/{name}"
    halves = []
    for suffix in ("A", "B"):
        ds = tfds.load(full, split=f"{split}{suffix}", data_dir=data_dir, download=False,
                       batch_size=-1)
        array = np.asarray(tfds.as_numpy(ds)["image"], np.uint8)
        if image_size is not None:
            array = resize_uint8(array, image_size)
        halves.append(validate_images(array, name=f"{full}/{split}{suffix}"))
    return tuple(halves)


# ----------------------------------------------------------------- pipelines
def _scale(x):
    return tf.cast(x, tf.float32) / 127.5 - 1.0


def _check_uint8(images, name):
    images = validate_images(images, name=name)
    if images.dtype != np.uint8:
        raise ValueError(f"{name} must be uint8 images in [0, 255]; got dtype {images.dtype}. "
                         "Convert floats in [-1, 1] with keras_gans.data.to_uint8.")
    return images


def jitter_pair(source, target, seed, load_size=None, crop_size=None, flip=False):
    """pix2pix's random jitter of one pair, drawn once and applied to both halves.

    Resize both to `load_size` (bilinear), crop both at the same random
    offset to `crop_size`, flip both (or neither) left-right. Pure function
    of `seed` (a stateless seed of shape [2]).

    Example:

    >>> a = tf.random.uniform((8, 8, 1)); b = 2 * a
    >>> ja, jb = jitter_pair(a, b, tf.constant([1, 2]), load_size=10, crop_size=8, flip=True)
    >>> bool(tf.reduce_all(tf.abs(2 * ja - jb) < 1e-6))
    True
    """
    ca = source.shape[-1]
    both = tf.concat([source, target], axis=-1)
    if load_size is not None:
        both = tf.image.resize(both, (load_size, load_size), "bilinear")
    if crop_size is not None:
        size = tf.shape(both)
        crop_seed = tf.random.experimental.stateless_fold_in(seed, 1)
        both = tf.image.stateless_random_crop(
            both, tf.stack([crop_size, crop_size, size[-1]]), crop_seed)
    if flip:
        flip_seed = tf.random.experimental.stateless_fold_in(seed, 2)
        both = tf.image.stateless_random_flip_left_right(both, flip_seed)
    return both[..., :ca], both[..., ca:]


def _epochs(epoch, repeat, shuffle, seed):
    """The epoch keys the orders and jitter are drawn from."""
    if repeat:
        return tf.data.Dataset.counter(start=epoch, dtype=tf.int64)
    if shuffle:
        # Keras iterates a finite dataset anew every epoch: a key drawn by a
        # seeded op inside the pipeline would restart with every iterator and
        # replay the first epoch; Dataset.random re-randomizes per iterator
        # (from a sequence fixed by `seed`).
        return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1).map(
            lambda key: key % (2**31 - 1))
    return tf.data.Dataset.from_tensors(tf.constant(epoch, tf.int64))


def _finish(ds, steps, repeat):
    if not repeat:
        # flat_map hides the length; stating it gives Keras a full progress bar.
        ds = ds.apply(tf.data.experimental.assert_cardinality(steps))
    # Autotuning off: its tuning thread can stall fit at iterator teardown
    # (keras_gans.data.pipeline.pipeline_options).
    return ds.prefetch(2).with_options(pipeline_options())


def _check_batch(batch_size, n, name):
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}.")
    if batch_size > n:
        raise ValueError(f"batch_size={batch_size} is larger than the {n} examples of "
                         f"{name}; lower batch_size.")


def paired_dataset(source, target, batch_size=1, shuffle=True, seed=0, epoch=0, repeat=False,
                   load_size=None, crop_size=None, flip=False):
    """Aligned pairs `(source, target)` as float32 in [-1, 1], batched (remainder dropped).

    Args:
        source, target: uint8 (N, H, W, C) arrays, row i of one paired with
            row i of the other (channels may differ).
        batch_size: global batch size (pix2pix: 1 or 4 on facades).
        shuffle, seed, epoch, repeat: as `keras_gans.data.from_arrays`.
        load_size, crop_size, flip: pix2pix's jitter (286, 256, True at
            256 px), the same draw for both halves of a pair.
    """
    source = _check_uint8(source, "source images")
    target = _check_uint8(target, "target images")
    if len(source) != len(target) or source.shape[1:3] != target.shape[1:3]:
        raise ValueError(f"source and target must be paired row by row with one image size; "
                         f"got shapes {source.shape} and {target.shape}.")
    n = len(source)
    _check_batch(batch_size, n, "the pairs")
    if crop_size is not None and crop_size > (load_size or source.shape[1]):
        raise ValueError(f"crop_size={crop_size} exceeds the image size "
                         f"{load_size or source.shape[1]}; lower crop_size or raise load_size.")
    a_t, b_t = tf.constant(source), tf.constant(target)
    jitter = load_size is not None or crop_size is not None or flip

    def one_epoch(e):
        idx = epoch_permutation(n, seed, e) if shuffle else tf.range(n)

        def element(i):
            a, b = _scale(tf.gather(a_t, i)), _scale(tf.gather(b_t, i))
            if jitter:
                pair_seed = tf.stack([tf.cast(seed, tf.int64) * 1000003 + e,
                                      tf.cast(i, tf.int64)])
                a, b = jitter_pair(a, b, pair_seed, load_size, crop_size, flip)
            return a, b

        return (tf.data.Dataset.from_tensor_slices(idx).map(element)
                .batch(batch_size, drop_remainder=True))

    ds = _epochs(epoch, repeat, shuffle, seed).flat_map(one_epoch)
    return _finish(ds, n // batch_size, repeat)


def unpaired_dataset(domain_a, domain_b, batch_size=1, shuffle=True, seed=0, epoch=0,
                     repeat=False, load_size=None, crop_size=None, flip=False):
    """Unpaired batches `(a, b)`: independent orders, an epoch of max(|A|, |B|) rows.

    The smaller domain wraps around within the epoch (CycleGAN's
    `UnalignedDataset` draws B at random for each A). Jitter is drawn per
    image independently (the two are not aligned).
    """
    domain_a = _check_uint8(domain_a, "domain A images")
    domain_b = _check_uint8(domain_b, "domain B images")
    if domain_a.shape[1:3] != domain_b.shape[1:3]:
        raise ValueError(f"Both domains need one image size; got {domain_a.shape[1:]} and "
                         f"{domain_b.shape[1:]}.")
    na, nb = len(domain_a), len(domain_b)
    n = max(na, nb)
    _check_batch(batch_size, n, "the larger domain")
    a_t, b_t = tf.constant(domain_a), tf.constant(domain_b)
    jitter = load_size is not None or crop_size is not None or flip

    def one_epoch(e):
        pa = epoch_permutation(na, seed, e) if shuffle else tf.range(na)
        pb = epoch_permutation(nb, seed + 7919, e) if shuffle else tf.range(nb)

        def element(i):
            a = _scale(tf.gather(a_t, pa[i % na]))
            b = _scale(tf.gather(b_t, pb[i % nb]))
            if jitter:
                s = tf.stack([tf.cast(seed, tf.int64) * 1000003 + e, tf.cast(i, tf.int64)])
                a, _ = jitter_pair(a, a[..., :0], s, load_size, crop_size, flip)
                b, _ = jitter_pair(b, b[..., :0], s + [0, 1 << 40], load_size, crop_size, flip)
            return a, b

        return (tf.data.Dataset.range(n).map(element).batch(batch_size, drop_remainder=True))

    ds = _epochs(epoch, repeat, shuffle, seed).flat_map(one_epoch)
    return _finish(ds, n // batch_size, repeat)


def domain_dataset(images, domains, num_domains=None, batch_size=16, shuffle=True, seed=0,
                   epoch=0, repeat=False, flip=False):
    """`(images, domains)` batches for the multi-domain families (StarGAN, StarGAN v2)."""
    images = _check_uint8(images, "images")
    domains = np.asarray(domains)
    if domains.shape != (len(images),) or not np.issubdtype(domains.dtype, np.integer):
        raise ValueError(f"domains must be integers of shape ({len(images)},); got "
                         f"{domains.dtype} {domains.shape}.")
    if num_domains is not None and (domains.min() < 0 or domains.max() >= num_domains):
        raise ValueError(f"domains must lie in [0, {num_domains - 1}]; got values in "
                         f"[{domains.min()}, {domains.max()}].")
    n = len(images)
    _check_batch(batch_size, n, "images")
    x_t, d_t = tf.constant(images), tf.constant(domains.astype(np.int32))

    def one_epoch(e):
        idx = epoch_permutation(n, seed, e) if shuffle else tf.range(n)

        def element(i):
            x = _scale(tf.gather(x_t, i))
            if flip:
                s = tf.stack([tf.cast(seed, tf.int64) * 1000003 + e, tf.cast(i, tf.int64)])
                x, _ = jitter_pair(x, x[..., :0], s, flip=True)
            return x, tf.gather(d_t, i)

        return (tf.data.Dataset.from_tensor_slices(idx).map(element)
                .batch(batch_size, drop_remainder=True))

    ds = _epochs(epoch, repeat, shuffle, seed).flat_map(one_epoch)
    return _finish(ds, n // batch_size, repeat)
