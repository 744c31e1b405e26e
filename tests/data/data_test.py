import gzip
import os
import struct

import numpy as np
import pytest
from PIL import Image

from keras_gans import data
from keras_gans.data.idx import read_idx



def write_idx(path, array, compress=False):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        ">" + "I" * array.ndim, *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_roundtrip(tmp_path, compress):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = os.path.join(tmp_path, "a.idx" + (".gz" if compress else ""))
    write_idx(path, array, compress)
    np.testing.assert_array_equal(read_idx(path), array)


def test_read_idx_rejects_truncated_and_foreign_files(tmp_path):
    path = os.path.join(tmp_path, "t.idx")
    write_idx(path, np.zeros((4, 4), np.uint8))
    with open(path, "r+b") as f:
        f.truncate(20)
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)
    with open(path, "wb") as f:
        f.write(b"PNG not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(path)


def test_fashion_mnist_from_a_data_dir(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("t10k", 3)):
        write_idx(os.path.join(tmp_path, f"{split}-images-idx3-ubyte.gz"),
                  rng.integers(0, 256, (n, 28, 28)), compress=True)
        write_idx(os.path.join(tmp_path, f"{split}-labels-idx1-ubyte.gz"),
                  rng.integers(0, 10, (n,)), compress=True)
    monkeypatch.setenv("KERAS_GANS_DATA_DIR", str(tmp_path))
    images, labels = data.arrays("fashion_mnist", "test")
    assert images.shape == (3, 28, 28, 1) and labels.shape == (3,)
    batch = next(iter(data.load("fashion_mnist", batch_size=2)))
    assert batch.shape == (2, 28, 28, 1)
    assert -1.0 <= float(np.min(batch)) and float(np.max(batch)) <= 1.0


@pytest.mark.integration
def test_real_fashion_mnist_pipeline():
    if not data.fashion_mnist_available():
        pytest.fail("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist")
    images, labels = data.arrays("fashion_mnist", "test")
    assert images.shape == (10000, 28, 28, 1) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [1000] * 10
    x, y = next(iter(data.load("fashion_mnist", "test", batch_size=32, with_labels=True)))
    assert x.shape == (32, 28, 28, 1) and y.shape == (32,)
    np.testing.assert_allclose(float(np.min(x)), -1.0)
    ds = data.load("fashion_mnist", "test", batch_size=1000, shuffle=False)
    assert ds.cardinality().numpy() == 10


def test_digits_scaled_to_model_range():
    x, y = next(iter(data.load("digits", batch_size=16, with_labels=True)))
    assert x.shape == (16, 8, 8, 1)
    assert float(np.min(x)) >= -1.0 and float(np.max(x)) <= 1.0
    train, _ = data.arrays("digits", "train")
    test, _ = data.arrays("digits", "test")
    assert len(train) + len(test) == 1797


def test_epoch_order_depends_only_on_seed_and_epoch():
    a = data.epoch_permutation(50, seed=3, epoch=7).numpy()
    b = data.epoch_permutation(50, seed=3, epoch=7).numpy()
    c = data.epoch_permutation(50, seed=3, epoch=8).numpy()
    np.testing.assert_array_equal(a, b)
    assert sorted(a.tolist()) == list(range(50)) and not np.array_equal(a, c)
    images = np.arange(20, dtype=np.uint8).reshape(20, 1, 1, 1)
    resumed = data.from_arrays(images, batch_size=5, seed=1, epoch=2, repeat=True)
    fresh = data.from_arrays(images, batch_size=5, seed=1, epoch=0, repeat=True)
    fresh_batches = [b.numpy() for b in fresh.take(12)]
    resumed_batches = [b.numpy() for b in resumed.take(4)]
    for x, y in zip(fresh_batches[8:], resumed_batches):
        np.testing.assert_array_equal(x, y)


def test_validation_errors_say_what_and_how():
    with pytest.raises(ValueError, match=r"\[-1, 1\].*x / 127.5 - 1"):
        data.validate_images(np.full((2, 4, 4, 1), 255.0), value_range=(-1, 1))
    with pytest.raises(ValueError, match="non-finite"):
        data.validate_images(np.full((2, 4, 4, 1), np.nan))
    with pytest.raises(ValueError, match=r"channel axis"):
        data.validate_images(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="3 channel"):
        data.validate_images(np.zeros((2, 4, 4, 1)), channels=3)
    with pytest.raises(ValueError, match="batch_size=64"):
        data.from_arrays(np.zeros((10, 4, 4, 1), np.uint8), batch_size=64)


def test_unknown_dataset_names_close_match():
    with pytest.raises(ValueError, match="fashion_mnist"):
        data.load("fashion_mnst")


def test_image_folder(tmp_path):
    for cls in ("cats", "dogs"):
        os.makedirs(os.path.join(tmp_path, cls))
        for i in range(2):
            Image.fromarray(np.full((6, 6), 40 * i, np.uint8)).save(
                os.path.join(tmp_path, cls, f"{i}.png"))
    images, labels = data.arrays("folder", path=str(tmp_path))
    assert images.shape == (4, 6, 6, 1) and sorted(labels.tolist()) == [0, 0, 1, 1]
    resized, _ = data.arrays("folder", path=str(tmp_path), image_size=(4, 4))
    assert resized.shape == (4, 4, 4, 1)
    empty = os.path.join(tmp_path, "empty")
    os.makedirs(empty)
    with pytest.raises(ValueError, match="holds no images"):
        data.arrays("folder", path=empty)
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(os.path.join(tmp_path, "cats", "odd.png"))
    with pytest.raises(ValueError, match="image_size"):
        data.arrays("folder", path=str(tmp_path))


def test_uint8_conversion_roundtrip():
    u8 = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    np.testing.assert_array_equal(data.to_uint8(data.to_model_range(u8)), u8)
