"""keras_gans.data.pipeline: epoch orders and the tf.data options every pipeline carries."""

import numpy as np
import tensorflow as tf

from keras_gans import data

IMAGES = np.arange(64, dtype=np.uint8).reshape(64, 1, 1, 1)


def pixel_values(ds):
    """The uint8 values of one pass over `ds`, in order."""
    return np.concatenate([np.rint((b.numpy().ravel() + 1.0) * 127.5) for b in ds]).astype(int)


def test_pipelines_turn_autotune_off():
    points = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    for ds in (data.from_arrays(IMAGES, batch_size=8),
               data.from_arrays(IMAGES, batch_size=8, repeat=True),
               data.from_arrays(IMAGES, batch_size=8, shuffle=False),
               data.points_dataset(points, batch_size=16)):
        assert ds.options().autotune.enabled is False


def test_without_autotune_keeps_an_explicit_choice():
    plain = tf.data.Dataset.range(4).prefetch(tf.data.AUTOTUNE)
    assert plain.options().autotune.enabled is None
    assert data.without_autotune(plain).options().autotune.enabled is False
    chosen = tf.data.Options()
    chosen.autotune.enabled = True
    explicit = plain.with_options(chosen)
    assert data.without_autotune(explicit) is explicit
    array = np.zeros((4, 2))
    assert data.without_autotune(array) is array


def test_repeated_epochs_follow_epoch_permutation():
    # Parallel gathers stay in order: epoch e is a pure function of (seed, e).
    ds = data.from_arrays(IMAGES, batch_size=8, seed=3, epoch=2, repeat=True)
    seen = pixel_values(ds.take(16))
    np.testing.assert_array_equal(seen[:64], data.epoch_permutation(64, 3, 2).numpy())
    np.testing.assert_array_equal(seen[64:], data.epoch_permutation(64, 3, 3).numpy())


def test_finite_shuffled_dataset_draws_a_new_order_per_iteration():
    # Keras iterates a finite dataset once per epoch: each pass must be a
    # new permutation of all examples (it used to replay the first order).
    ds = data.from_arrays(IMAGES, batch_size=8, seed=0)
    assert ds.cardinality().numpy() == 8
    passes = [pixel_values(ds) for _ in range(3)]
    for p in passes:
        np.testing.assert_array_equal(np.sort(p), np.arange(64))
    assert not np.array_equal(passes[0], passes[1])
    assert not np.array_equal(passes[1], passes[2])


def test_unshuffled_dataset_keeps_the_file_order():
    ds = data.from_arrays(IMAGES, batch_size=8, shuffle=False)
    np.testing.assert_array_equal(pixel_values(ds), np.arange(64))
    np.testing.assert_array_equal(pixel_values(ds), np.arange(64))
