import numpy as np
import pytest

from keras_gans import data
from keras_gans.data.semisupervised import UNLABELLED, labelled_subset, semi_supervised


def test_labelled_subset_is_class_balanced_and_seeded():
    labels = np.repeat(np.arange(4), 25)
    np.random.default_rng(0).shuffle(labels)
    index = labelled_subset(labels, 10, seed=3)
    counts = np.bincount(labels[index], minlength=4)
    assert len(index) == 10 and len(set(index)) == 10
    assert sorted(counts.tolist()) == [2, 2, 3, 3]
    np.testing.assert_array_equal(index, labelled_subset(labels, 10, seed=3))
    assert not np.array_equal(index, labelled_subset(labels, 10, seed=4))
    np.testing.assert_array_equal(np.bincount(labels[labelled_subset(labels, 8)]), [2] * 4)
    with pytest.raises(ValueError, match=r"\[4, 100\]"):
        labelled_subset(labels, 3)


def test_batches_are_labelled_then_unlabelled():
    ds = semi_supervised("digits", num_labelled=20, batch_size=8, seed=1)
    images_all, labels_all = data.arrays("digits")
    index = ds.labelled_indices
    assert np.bincount(labels_all[index], minlength=10).tolist() == [2] * 10
    subset = {images_all[i].tobytes(): labels_all[i] for i in index}
    seen = set()
    for images, labels in ds.take(6):
        images, labels = images.numpy(), labels.numpy()
        assert images.shape == (8, 8, 8, 1) and images.min() >= -1 and images.max() <= 1
        np.testing.assert_array_equal(labels[4:], UNLABELLED)
        for image, label in zip(images[:4], labels[:4]):
            key = np.rint((image + 1) * 127.5).astype(np.uint8).tobytes()
            assert subset[key] == label  # a labelled example, with its true label
            seen.add(key)
    assert len(seen) == 20  # 24 draws cycle through the whole subset


def test_options_are_checked():
    with pytest.raises(ValueError, match="exactly one"):
        semi_supervised("digits", batch_size=8)
    ds = semi_supervised("digits", labelled_fraction=0.1, batch_size=8, labelled_batch_size=2)
    assert len(ds.labelled_indices) == round(0.1 * len(data.arrays("digits")[0]))
    assert next(iter(ds))[1].numpy()[2:].tolist() == [UNLABELLED] * 6
    with pytest.raises(ValueError, match="labelled_batch_size"):
        semi_supervised("digits", num_labelled=20, batch_size=8, labelled_batch_size=8)
