"""Offline image-translation tasks built from Fashion-MNIST, with ground truth.

Every task is 32x32 (Fashion-MNIST's 28x28 items padded by 2 black pixels on
each side: U-Nets and PatchGANs want a power of two) and comes as a
`TranslationTask` of uint8 arrays. Nothing is downloaded.

| task | kind | source -> target | ground truth |
|---|---|---|---|
| `fashion_edges` | paired | Sobel edge map of an item -> the item | the item |
| `fashion_7x7` | paired | the item average-pooled to 7x7 (shown at 32x32) -> the item | the item |
| `sneaker2boot` | unpaired | Sneaker (class 7) <-> Ankle boot (class 9) | none: the classifier's class |
| `fashion_inverted` | unpaired | items <-> intensity-inverted items (different items per domain) | `255 - x` |
| `fashion_tints` | domains | one item in 4 tints (gray, red, green, blue), RGB | `tint(gray(x), d)` |
| `fashion_footwear` | domains | Sandal, Sneaker, Ankle boot as domains | none: the classifier's class |

`task.dataset(batch_size)` gives the matching pipeline of
`keras_gans.data.paired` (`(source, target)` pairs, unpaired `(a, b)`
batches, or `(images, domains)`).

Example:

>>> task = load_task("fashion_edges", split="test", limit=8)  # doctest: +SKIP
>>> task.source.shape, task.target.shape  # doctest: +SKIP
((8, 32, 32, 1), (8, 32, 32, 1))
"""

import dataclasses
import difflib

import numpy as np

from keras_gans.data import paired
from keras_gans.data.datasets import get_source

PAD = 2
SIZE = 32
#: RGB tint of each `fashion_tints` domain (gray, red, green, blue): the max
#: component is 1, so `gray(x) = max over channels` recovers the item.
TINTS = ((1.0, 1.0, 1.0), (1.0, 0.25, 0.25), (0.25, 1.0, 0.25), (0.25, 0.25, 1.0))
TINT_NAMES = ("gray", "red", "green", "blue")
SNEAKER, ANKLE_BOOT, SANDAL = 7, 9, 5
#: Sobel magnitude (on 0..255 intensities) above which a pixel is an edge.
EDGE_THRESHOLD = 96.0


@dataclasses.dataclass
class TranslationTask:
    """One task's split: uint8 arrays and what they mean.

    Attributes:
        name, split: which task and split.
        kind: "paired", "unpaired" or "domains".
        source: uint8 (N, 32, 32, C): inputs (paired), domain A (unpaired) or
            all images (domains).
        target: paired targets (row i of `source`), domain B (unpaired) or
            None (domains).
        domains: int32 domain of each `source` row ("domains" tasks).
        domain_names: the names of the domains (or of A and B).
        source_labels, target_labels: Fashion-MNIST classes of the rows.
        target_classes: for class-defined domains, the Fashion-MNIST class of
            each domain (`sneaker2boot`: (7, 9)), used to score translations
            with the shipped classifier.
    """

    name: str
    split: str
    kind: str
    source: np.ndarray
    target: np.ndarray = None
    domains: np.ndarray = None
    domain_names: tuple = ()
    source_labels: np.ndarray = None
    target_labels: np.ndarray = None
    target_classes: tuple = None

    @property
    def num_domains(self):
        return len(self.domain_names)

    def dataset(self, batch_size=16, **options):
        """The task's `tf.data` pipeline (see `keras_gans.data.paired`)."""
        if self.kind == "paired":
            return paired.paired_dataset(self.source, self.target, batch_size, **options)
        if self.kind == "unpaired":
            return paired.unpaired_dataset(self.source, self.target, batch_size, **options)
        return paired.domain_dataset(self.source, self.domains, self.num_domains, batch_size,
                                     **options)

    def ground_truth(self, images, target_domain=None):
        """The exact translation of uint8 `images` where the task defines one.

        `fashion_inverted`: A -> B is `255 - x` (and back). `fashion_tints`:
        `tint(gray(x), target_domain)`. Paired tasks: use `target`. Others
        have none (None).
        """
        images = np.asarray(images)
        if self.name == "fashion_inverted":
            return 255 - images
        if self.name == "fashion_tints":
            if target_domain is None:
                raise ValueError("fashion_tints needs target_domain (one per image).")
            return tint(gray(images), np.broadcast_to(target_domain, (len(images),)))
        return None


def pad_to_32(images):
    """(N, 28, 28, C) uint8 -> (N, 32, 32, C) with 2 black pixels on each side."""
    return np.pad(images, [(0, 0), (PAD, PAD), (PAD, PAD), (0, 0)])


def crop_to_28(images):
    """The inverse of `pad_to_32`: the central 28x28 (what the classifier reads)."""
    return np.asarray(images)[:, PAD:PAD + 28, PAD:PAD + 28]


def gray(images):
    """uint8 RGB (or gray) -> one channel: the max over channels (undoes a tint)."""
    images = np.asarray(images)
    return images.max(axis=-1, keepdims=True)


def tint(gray_images, domains):
    """uint8 gray (N, H, W, 1) -> RGB tinted by `TINTS[domains[i]]` (rounded)."""
    colors = np.asarray(TINTS, np.float32)[np.asarray(domains)]
    out = np.asarray(gray_images, np.float32) * colors[:, None, None, :]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def sobel_edges(images, threshold=EDGE_THRESHOLD):
    """Binary edge maps (255 on edges) of uint8 (N, H, W, 1) images.

    Sobel gradient magnitude of the intensities, thresholded; the border is
    zero-padded, so the outline of an item touching the border still shows.

    Example:

    >>> x = np.zeros((1, 8, 8, 1), np.uint8); x[0, 2:6, 2:6] = 255
    >>> e = sobel_edges(x)[0, ..., 0]
    >>> bool(e[3, 2] == 255 and e[0, 0] == 0)
    True
    """
    x = np.asarray(images, np.float32)[..., 0]
    p = np.pad(x, [(0, 0), (1, 1), (1, 1)])
    gx = (p[:, :-2, 2:] + 2 * p[:, 1:-1, 2:] + p[:, 2:, 2:]
          - p[:, :-2, :-2] - 2 * p[:, 1:-1, :-2] - p[:, 2:, :-2])
    gy = (p[:, 2:, :-2] + 2 * p[:, 2:, 1:-1] + p[:, 2:, 2:]
          - p[:, :-2, :-2] - 2 * p[:, :-2, 1:-1] - p[:, :-2, 2:])
    magnitude = np.sqrt(gx ** 2 + gy ** 2)
    return np.where(magnitude > threshold, 255, 0).astype(np.uint8)[..., None]


def pooled_7x7(images):
    """uint8 (N, 28, 28, C) averaged over 4x4 blocks (7x7) and shown at 28x28 (nearest)."""
    x = np.asarray(images, np.float32)
    n, h, w, c = x.shape
    small = x.reshape(n, h // 4, 4, w // 4, 4, c).mean(axis=(2, 4))
    return np.clip(np.rint(small.repeat(4, axis=1).repeat(4, axis=2)), 0, 255).astype(np.uint8)


def _fashion(split):
    images, labels = get_source("fashion_mnist")(split=split)
    return images, labels.astype(np.int32)


def _limit(*arrays, limit):
    return tuple(None if a is None else a[:limit] for a in arrays)


def fashion_edges(split="train", limit=None):
    images, labels = _fashion(split)
    images, labels = _limit(images, labels, limit=limit)
    items = pad_to_32(images)
    return TranslationTask("fashion_edges", split, "paired", sobel_edges(items), items,
                           domain_names=("edges", "items"), source_labels=labels,
                           target_labels=labels)


def fashion_7x7(split="train", limit=None):
    images, labels = _fashion(split)
    images, labels = _limit(images, labels, limit=limit)
    return TranslationTask("fashion_7x7", split, "paired", pad_to_32(pooled_7x7(images)),
                           pad_to_32(images), domain_names=("7x7", "items"),
                           source_labels=labels, target_labels=labels)


def sneaker2boot(split="train", limit=None):
    images, labels = _fashion(split)
    a = pad_to_32(images[labels == SNEAKER][:limit])
    b = pad_to_32(images[labels == ANKLE_BOOT][:limit])
    return TranslationTask("sneaker2boot", split, "unpaired", a, b,
                           domain_names=("sneaker", "ankle_boot"),
                           source_labels=np.full(len(a), SNEAKER, np.int32),
                           target_labels=np.full(len(b), ANKLE_BOOT, np.int32),
                           target_classes=(SNEAKER, ANKLE_BOOT))


def fashion_inverted(split="train", limit=None):
    """A: items at even indices; B: inverted items at odd indices (unpaired)."""
    images, labels = _fashion(split)
    items = pad_to_32(images)
    a, la = items[0::2][:limit], labels[0::2][:limit]
    b, lb = 255 - items[1::2][:limit], labels[1::2][:limit]
    return TranslationTask("fashion_inverted", split, "unpaired", a, b,
                           domain_names=("upright", "inverted"), source_labels=la,
                           target_labels=lb)


def fashion_tints(split="train", limit=None):
    """Each item in one of 4 tints (domain = index % 4): RGB, 4 domains."""
    images, labels = _fashion(split)
    images, labels = _limit(images, labels, limit=limit)
    domains = (np.arange(len(images)) % len(TINTS)).astype(np.int32)
    return TranslationTask("fashion_tints", split, "domains", tint(pad_to_32(images), domains),
                           domains=domains, domain_names=TINT_NAMES, source_labels=labels)


def fashion_footwear(split="train", limit=None):
    """Sandal, Sneaker and Ankle boot as three domains."""
    images, labels = _fashion(split)
    keep = np.isin(labels, (SANDAL, SNEAKER, ANKLE_BOOT))
    images, labels = _limit(images[keep], labels[keep], limit=limit)
    classes = (SANDAL, SNEAKER, ANKLE_BOOT)
    domains = np.searchsorted(classes, labels).astype(np.int32)
    return TranslationTask("fashion_footwear", split, "domains", pad_to_32(images),
                           domains=domains, domain_names=("sandal", "sneaker", "ankle_boot"),
                           source_labels=labels, target_classes=classes)


TASKS = {fn.__name__: fn for fn in (fashion_edges, fashion_7x7, sneaker2boot, fashion_inverted,
                                    fashion_tints, fashion_footwear)}


def list_tasks():
    """Names of the translation tasks."""
    return sorted(TASKS)


def load_task(name, split="train", limit=None):
    """A `TranslationTask` by name (see the module table); `limit` keeps the first rows."""
    if name not in TASKS:
        close = difflib.get_close_matches(str(name), TASKS, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"Unknown translation task {name!r}.{hint} Available: "
                         f"{', '.join(list_tasks())}.")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")
    if limit is not None and int(limit) < 1:
        raise ValueError(f"limit must be a positive number of rows; got {limit}.")
    return TASKS[name](split=split, limit=limit)
