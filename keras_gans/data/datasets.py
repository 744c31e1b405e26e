"""Dataset sources: each returns uint8 images (N, H, W, C) and int labels.

A source is a function `(split, **options) -> (images, labels)`, registered in
`SOURCES` by name. `keras_gans.data.load` turns any of them into a tf.data
pipeline; new datasets only add a source here.
"""

import difflib
import glob
import os

import numpy as np

from keras_gans.data.idx import read_idx

#: Where `dataset-fashion-mnist` (Debian) puts its files; `KERAS_GANS_DATA_DIR`
#: (a folder with the four IDX files, `.gz` or not) is searched first.
FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
_IDX_PREFIX = {"train": "train", "test": "t10k"}

SOURCES = {}


def register_source(name, num_classes=None, kind="image"):
    """Decorator registering a dataset source under `name`."""

    def wrap(fn):
        fn.num_classes = num_classes
        fn.kind = kind
        SOURCES[name] = fn
        return fn

    return wrap


def get_source(name):
    """Returns the source registered as `name`, with close matches on a typo."""
    if name not in SOURCES:
        close = difflib.get_close_matches(str(name), SOURCES, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            f"Unknown dataset {name!r}.{hint} Available: {', '.join(sorted(SOURCES))}."
        )
    return SOURCES[name]


def check_split(split, allowed=("train", "test")):
    if split not in allowed:
        raise ValueError(f"split must be one of {allowed}; got {split!r}.")


def _find_idx_dir(split):
    dirs = []
    if os.environ.get("KERAS_GANS_DATA_DIR"):
        dirs.append(os.environ["KERAS_GANS_DATA_DIR"])
    dirs.extend(FASHION_MNIST_DIRS)
    prefix = _IDX_PREFIX[split]
    for d in dirs:
        for ext in ("", ".gz"):
            images = os.path.join(d, f"{prefix}-images-idx3-ubyte{ext}")
            labels = os.path.join(d, f"{prefix}-labels-idx1-ubyte{ext}")
            if os.path.exists(images) and os.path.exists(labels):
                return images, labels
    return None


def fashion_mnist_available():
    """Whether Fashion-MNIST's IDX files are found without any download."""
    return _find_idx_dir("train") is not None and _find_idx_dir("test") is not None


def _fashion_mnist_from_tfds(split):
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        return None
    try:
        # download=False: never reach the network from a library call; tfds
        # retries for minutes before failing when it is offline.
        ds = tfds.load("fashion_mnist", split=split, download=False, batch_size=-1)
    except Exception:  # noqa: BLE001 - any failure means "not prepared here"
        return None
    ds = tfds.as_numpy(ds)
    return ds["image"].astype(np.uint8), ds["label"].astype(np.int64)


def _fashion_mnist_from_keras_cache(split):
    cache = os.path.join(os.path.expanduser("~"), ".keras", "datasets", "fashion-mnist")
    if not os.path.isdir(cache):
        return None
    prefix = _IDX_PREFIX[split]
    images = os.path.join(cache, f"{prefix}-images-idx3-ubyte.gz")
    labels = os.path.join(cache, f"{prefix}-labels-idx1-ubyte.gz")
    if not (os.path.exists(images) and os.path.exists(labels)):
        return None
    return read_idx(images)[..., None], read_idx(labels).astype(np.int64)


@register_source("fashion_mnist", num_classes=10)
def fashion_mnist(split="train", verbose=False):
    """Fashion-MNIST (Xiao et al. 2017): 28x28x1, 10 classes, 60k train / 10k test.

    Looked up in order: `$KERAS_GANS_DATA_DIR`, Debian's `dataset-fashion-mnist`
    IDX files, a prepared tensorflow-datasets copy, the keras.datasets cache.
    """
    check_split(split)
    found = _find_idx_dir(split)
    if found is not None:
        images, labels = read_idx(found[0])[..., None], read_idx(found[1]).astype(np.int64)
        where = os.path.dirname(found[0])
    else:
        result = _fashion_mnist_from_tfds(split)
        where = "tensorflow-datasets"
        if result is None:
            result = _fashion_mnist_from_keras_cache(split)
            where = "the keras.datasets cache"
        if result is None:
            raise FileNotFoundError(
                "Fashion-MNIST was not found. Get it in one of these ways: "
                "`apt-get install dataset-fashion-mnist` (Debian/Ubuntu); set "
                "KERAS_GANS_DATA_DIR to a folder holding train-images-idx3-ubyte(.gz), "
                "train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz) and "
                "t10k-labels-idx1-ubyte(.gz); or prepare it with tensorflow-datasets "
                "(`python -m tensorflow_datasets.scripts.download_and_prepare "
                "--datasets=fashion_mnist`)."
            )
        images, labels = result
    if images.shape[1:] != (28, 28, 1) or len(images) != len(labels):
        raise ValueError(
            f"Fashion-MNIST from {where} has images {images.shape} and labels "
            f"{labels.shape}; expected (N, 28, 28, 1) and (N,)."
        )
    if verbose:
        print(f"keras_gans.data: Fashion-MNIST {split} ({len(images)} images) from {where}")
    return images, labels


@register_source("digits", num_classes=10)
def digits(split="train", verbose=False):
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes).

    There is no official split: the first 80% (by a fixed seeded permutation)
    is `train`, the rest `test`.
    """
    check_split(split)
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(
            "The digits dataset comes with scikit-learn: pip install scikit-learn"
        ) from e
    bunch = load_digits()
    # Values are 0..16; spread them over 0..255.
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    labels = bunch.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(images))
    cut = int(0.8 * len(images))
    idx = order[:cut] if split == "train" else order[cut:]
    return images[idx], labels[idx]


_IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


@register_source("folder", num_classes=None)
def image_folder(split="train", path=None, image_size=None, channels=None, verbose=False):
    """Images from a folder (recursively); sub-folder names become labels.

    Args:
        path: the folder.
        image_size: (height, width) to resize to; required when the images
            differ in size.
        channels: 1 or 3; default: that of the first image.
    """
    from PIL import Image

    if path is None:
        raise ValueError("The folder dataset needs path=<folder of images>.")
    if not os.path.isdir(path):
        raise ValueError(f"Image folder {path!r} does not exist or is not a folder.")
    files = sorted(
        f for f in glob.glob(os.path.join(path, "**", "*"), recursive=True)
        if f.lower().endswith(_IMAGE_EXTS)
    )
    if not files:
        raise ValueError(
            f"Image folder {path!r} holds no images (looked for {', '.join(_IMAGE_EXTS)})."
        )
    classes = sorted({os.path.relpath(os.path.dirname(f), path) for f in files})
    images, labels = [], []
    for f in files:
        with Image.open(f) as im:
            if channels is None:
                channels = 1 if im.mode in ("L", "1", "I", "I;16") else 3
            im = im.convert("L" if channels == 1 else "RGB")
            if image_size is not None:
                im = im.resize((image_size[1], image_size[0]), Image.BILINEAR)
            arr = np.asarray(im, np.uint8)
        if arr.ndim == 2:
            arr = arr[..., None]
        if images and arr.shape != images[0].shape:
            raise ValueError(
                f"{f!r} has shape {arr.shape} but {files[0]!r} has {images[0].shape}; "
                "pass image_size=(height, width) to resize them to one size."
            )
        images.append(arr)
        labels.append(classes.index(os.path.relpath(os.path.dirname(f), path)))
    return np.stack(images), np.asarray(labels, np.int64)
