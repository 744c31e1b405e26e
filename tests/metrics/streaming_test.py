"""compute_features over arrays, generators and tf.data pipelines."""

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.metrics import streaming


def mean_and_max(batch):
    flat = batch.reshape(len(batch), -1)
    return {"mean": flat.mean(axis=1), "max": flat.max(axis=1)}


def test_arrays_generators_and_datasets_give_the_same_features(rng):
    images = rng.uniform(-1, 1, size=(23, 4, 4, 1)).astype(np.float32)
    labels = np.arange(23)
    expected = images.reshape(23, -1).mean(axis=1, keepdims=True)
    flat_mean = lambda b: b.reshape(len(b), -1).mean(axis=1)  # noqa: E731
    sources = [
        images,
        (images[i:i + 5] for i in range(0, 23, 5)),
        tf.data.Dataset.from_tensor_slices((images, labels)).batch(6),
        tf.constant(images),
    ]
    for source in sources:
        np.testing.assert_allclose(streaming.compute_features(flat_mean, source, batch_size=4),
                                   expected, rtol=1e-6)


def test_batches_are_capped_and_num_samples_truncates(rng):
    seen = []
    images = rng.uniform(-1, 1, size=(10, 2, 2, 1)).astype(np.float32)

    def fn(batch):
        seen.append(len(batch))
        return batch.reshape(len(batch), -1)

    out = streaming.compute_features(fn, [images], batch_size=4, num_samples=9)
    assert seen == [4, 4, 1] and out.shape == (9, 4)


def test_uint8_is_scaled_to_model_range():
    images = np.array([0, 255], np.uint8).reshape(2, 1, 1, 1)
    out = streaming.compute_features(lambda b: b.reshape(2, 1), images)
    np.testing.assert_allclose(out[:, 0], [-1.0, 1.0])


def test_dict_outputs_are_concatenated(rng):
    images = rng.uniform(-1, 1, size=(7, 3, 3, 1))
    out = streaming.compute_features(mean_and_max, images, batch_size=3)
    assert set(out) == {"mean", "max"} and out["mean"].shape == (7, 1)


@pytest.mark.parametrize("images, kwargs, match", [
    (np.full((3, 2, 2, 1), np.nan), {}, "non-finite"),
    (np.full((3, 2, 2, 1), 3.0), {}, r"must lie in \[-1"),
    (np.zeros((3, 2, 2)), {}, "Add a channel axis"),
    (np.zeros((3, 2, 2, 1)), {"num_samples": 5}, "ran out after 3"),
    ([], {}, "yielded no images"),
])
def test_bad_images_raise(images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        streaming.compute_features(lambda b: b.reshape(len(b), -1), images, **kwargs)


def test_generated_batches_are_reproducible_and_seeded_per_chunk():
    def gen(n, seed):
        return np.random.default_rng(seed).uniform(-1, 1, (n, 2, 2, 1))

    a = np.concatenate(list(streaming.generated_batches(gen, 7, batch_size=3, seed=1)))
    b = np.concatenate(list(streaming.generated_batches(gen, 7, batch_size=3, seed=1)))
    c = np.concatenate(list(streaming.generated_batches(gen, 7, batch_size=3, seed=2)))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (7, 2, 2, 1) and not np.allclose(a, c)
    # Chunk 0 of seed 2 is not chunk 1 of seed 1.
    assert not np.allclose(a[3:6], c[:3])


def test_generated_batches_pass_labels_and_check_counts():
    got = []

    def gen(n, seed, labels):
        got.append(labels.tolist())
        return np.zeros((n, 1, 1, 1))

    list(streaming.generated_batches(gen, 5, batch_size=2, labels=np.arange(5)))
    assert got == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="it must return 2 images"):
        list(streaming.generated_batches(lambda n, seed: np.zeros((1, 1, 1, 1)), 2))
