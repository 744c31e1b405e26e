"""Paired / unpaired / domain pipelines, the folder and tfds readers, the Fashion-MNIST tasks."""

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_gans.data import paired
from keras_gans.data import translation_tasks as tasks
from keras_gans.data.datasets import fashion_mnist_available


def _png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array.squeeze(-1) if array.shape[-1] == 1 else array).save(path)


def test_aligned_folder_splits_each_image_into_its_halves(tmp_path):
    for i in range(3):
        ab = np.zeros((4, 8, 3), np.uint8)
        ab[:, :4] = 10 * i          # A: left half
        ab[:, 4:] = 200 + i         # B: right half
        _png(str(tmp_path / "train" / f"{i}.png"), ab)
    a, b = paired.read_aligned_folder(str(tmp_path), "train")
    assert a.shape == b.shape == (3, 4, 4, 3)
    np.testing.assert_array_equal(a[:, 0, 0, 0], [0, 10, 20])
    np.testing.assert_array_equal(b[:, 0, 0, 0], [200, 201, 202])
    b2, a2 = paired.read_aligned_folder(str(tmp_path), "train", direction="BtoA")
    np.testing.assert_array_equal(a2, a)
    with pytest.raises(ValueError, match="direction"):
        paired.read_aligned_folder(str(tmp_path), "train", direction="AB")
    with pytest.raises(ValueError, match="does not exist"):
        paired.read_aligned_folder(str(tmp_path), "val")


def test_odd_width_is_refused():
    with pytest.raises(ValueError, match="even width"):
        paired.split_aligned(np.zeros((1, 4, 5, 1), np.uint8))


def test_unpaired_and_domain_folders(tmp_path):
    for split in ("trainA", "trainB"):
        for i in range(2 if split == "trainA" else 3):
            _png(str(tmp_path / split / f"{i}.png"), np.full((4, 4, 1), i, np.uint8))
    a, b = paired.read_unpaired_folders(str(tmp_path))
    assert a.shape == (2, 4, 4, 1) and b.shape == (3, 4, 4, 1)
    _png(str(tmp_path / "testA" / "0.png"), np.zeros((4, 4, 1), np.uint8))
    _png(str(tmp_path / "testB" / "0.png"), np.zeros((6, 6, 1), np.uint8))
    with pytest.raises(ValueError, match="image_size"):
        paired.read_unpaired_folders(str(tmp_path), "test")
    assert paired.read_unpaired_folders(str(tmp_path), "test", image_size=(4, 4))[1].shape == \
        (1, 4, 4, 1)
    images, domains, names = paired.read_domain_folders(str(tmp_path), image_size=(4, 4))
    assert names == ["testA", "testB", "trainA", "trainB"]
    np.testing.assert_array_equal(np.bincount(domains), [1, 1, 2, 3])


class _FakeTfds:
    """Stands in for tensorflow_datasets: records the calls, returns tiny arrays."""

    def __init__(self):
        self.calls = []

    def load(self, name, split, data_dir, download, batch_size):
        self.calls.append((name, split, download, batch_size))
        value = 1 if split.endswith("A") else 2
        return {"image": np.full((2, 6, 6, 3), value, np.uint8),
                "label": np.zeros(2, np.int64)}

    def as_numpy(self, ds):
        return ds


def test_tfds_cycle_gan_reads_both_domains_without_downloading():
    fake = _FakeTfds()
    a, b = paired.read_tfds_cycle_gan("horse2zebra", "test", image_size=(4, 4), tfds=fake)
    assert [c[:3] for c in fake.calls] == [("cycle_gan/horse2zebra", "testA", False),
                                           ("cycle_gan/horse2zebra", "testB", False)]
    assert a.shape == (2, 4, 4, 3) and int(a.max()) == 1 and int(b.min()) == 2
    with pytest.raises(ValueError, match="split"):
        paired.read_tfds_cycle_gan("horse2zebra", "trainA", tfds=fake)


def _ramp_pairs(n=6, size=8):
    x = np.random.default_rng(0).integers(0, 256, (n, size, size, 1), dtype=np.uint8)
    return x, 255 - x


def test_jitter_is_applied_identically_to_both_halves():
    source, target = _ramp_pairs()
    ds = paired.paired_dataset(source, target, batch_size=3, seed=1, load_size=10, crop_size=8,
                               flip=True)
    moved = 0
    for a, b in ds:
        np.testing.assert_allclose(a.numpy(), -b.numpy(), atol=1e-5)   # 255 - x <-> -x
        assert a.shape == (3, 8, 8, 1)
        moved += int(not any(np.allclose(a.numpy()[0], s / 127.5 - 1) for s in source))
    assert moved > 0, "no pair was jittered"


def test_pipelines_cover_every_row_and_reshuffle_per_iteration():
    source, target = _ramp_pairs(n=8, size=2)
    ds = paired.paired_dataset(source, target, batch_size=4, seed=0)
    first = np.concatenate([a.numpy() for a, _ in ds])
    second = np.concatenate([a.numpy() for a, _ in ds])
    to_u8 = lambda x: np.rint((x + 1) * 127.5).astype(np.uint8)  # noqa: E731
    assert sorted(map(bytes, to_u8(first))) == sorted(map(bytes, source))
    assert not np.array_equal(first, second), "a new iteration replayed the same order"
    a = np.zeros((3, 2, 2, 1), np.uint8)
    b = np.full((5, 2, 2, 1), 255, np.uint8)
    batches = list(paired.unpaired_dataset(a, b, batch_size=1, seed=0))
    assert len(batches) == 5          # an epoch is max(|A|, |B|) rows
    ds = paired.domain_dataset(source, np.arange(8) % 2, num_domains=2, batch_size=4)
    x, d = next(iter(ds))
    assert d.dtype == tf.int32 and x.shape == (4, 2, 2, 1)


def test_pipelines_refuse_bad_inputs():
    source, target = _ramp_pairs()
    with pytest.raises(ValueError, match="larger than"):
        paired.paired_dataset(source, target, batch_size=7)
    with pytest.raises(ValueError, match="paired row by row"):
        paired.paired_dataset(source, target[:5], batch_size=2)
    with pytest.raises(ValueError, match="uint8"):
        paired.paired_dataset(source / 255.0, target, batch_size=2)
    with pytest.raises(ValueError, match="crop_size"):
        paired.paired_dataset(source, target, batch_size=2, crop_size=9)
    with pytest.raises(ValueError, match=r"domains must lie in \[0, 1\]"):
        paired.domain_dataset(source, np.arange(6), num_domains=2)


def test_task_transforms_against_hand_computed_values():
    square = np.zeros((1, 8, 8, 1), np.uint8)
    square[0, 2:6, 2:6] = 200
    edges = tasks.sobel_edges(square)[0, ..., 0]
    assert edges[2, 2] == 255 and edges[4, 4] == 0 and edges[0, 0] == 0
    x = np.random.default_rng(0).integers(0, 256, (2, 28, 28, 1), dtype=np.uint8)
    pooled = tasks.pooled_7x7(x)
    np.testing.assert_array_equal(pooled[0, 4:8, 8:12, 0],
                                  np.rint(x[0, 4:8, 8:12, 0].astype(float).mean()))
    np.testing.assert_array_equal(tasks.crop_to_28(tasks.pad_to_32(x)), x)
    tinted = tasks.tint(x, [1, 3])
    assert tinted.shape == (2, 28, 28, 3)
    np.testing.assert_array_equal(tasks.gray(tinted), x)      # the max channel is the item
    with pytest.raises(ValueError, match="Unknown translation task 'fashion_edge'.*fashion_edges"):
        tasks.load_task("fashion_edge")


needs_fashion = pytest.mark.skipif(
    not fashion_mnist_available() and not os.environ.get("CI"),
    reason="Fashion-MNIST IDX files not installed (apt-get install dataset-fashion-mnist)")


@needs_fashion
def test_fashion_tasks_shapes_and_ground_truth():
    edges = tasks.load_task("fashion_edges", "test", limit=16)
    assert edges.source.shape == edges.target.shape == (16, 32, 32, 1)
    np.testing.assert_array_equal(edges.source, tasks.sobel_edges(edges.target))
    boots = tasks.load_task("sneaker2boot", "test", limit=16)
    assert boots.target_classes == (7, 9) and set(boots.target_labels) == {9}
    inverted = tasks.load_task("fashion_inverted", "test", limit=8)
    assert inverted.ground_truth(inverted.source).max() == 255   # black background -> white
    tints = tasks.load_task("fashion_tints", "test", limit=8)
    assert tints.source.shape[-1] == 3 and tints.num_domains == 4
    np.testing.assert_array_equal(tints.ground_truth(tints.source, tints.domains), tints.source)
