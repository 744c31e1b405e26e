import json
import os

import numpy as np
import keras
import pytest
import tensorflow as tf
from PIL import Image

from keras_gans.callbacks import (GANCheckpoint, NonFiniteGuard, SampleGrid, TimeBudget,
                                  nonfinite_keys, resume)
from keras_gans.models import DCGAN


def tiny_gan():
    keras.utils.set_random_seed(0)
    gan = DCGAN(width=4, latent_dim=8, ema_decay=0.5)
    gan.compile()
    return gan


def dataset(n=8, value=None):
    x = np.tanh(np.random.default_rng(0).standard_normal((n, 28, 28, 1))).astype("float32")
    if value is not None:
        x[:] = value
    return tf.data.Dataset.from_tensor_slices(x).batch(4)


def test_sample_grid_writes_the_same_latents_each_epoch(tmp_path):
    gan = tiny_gan()
    grid = SampleGrid(str(tmp_path), num_samples=4, seed=1, scale=1)
    gan.fit(dataset(), epochs=2, verbose=0, callbacks=[grid])
    files = sorted(os.listdir(tmp_path))
    assert files == ["epoch_0001.png", "epoch_0002.png"]
    image = np.asarray(Image.open(os.path.join(tmp_path, files[-1])))
    # 2x2 grid of 28x28 with 2-pixel padding.
    assert image.shape == (2 * 28 + 3 * 2, 2 * 28 + 3 * 2)
    again = os.path.join(tmp_path, "again.png")
    grid.write(again)
    np.testing.assert_array_equal(np.asarray(Image.open(again)), image)


def test_nonfinite_keys_reads_every_loss():
    logs = {"d_loss": 1.0, "g_loss": float("nan"), "d_gp_loss": float("inf"), "d_real": np.nan}
    assert nonfinite_keys(logs) == ["g_loss", "d_gp_loss"]


def test_guard_stops_and_checkpoint_keeps_last_good(tmp_path):
    gan = tiny_gan()
    ckpt = str(tmp_path / "ckpt")
    gan.fit(dataset(), epochs=1, verbose=0, callbacks=[GANCheckpoint(ckpt)])
    state = json.load(open(os.path.join(ckpt, "state.json")))
    assert state["latest"] == "ckpt-0001.keras"
    guard = NonFiniteGuard()
    # NaN images make every loss NaN from the first batch on.
    history = gan.fit(dataset(value=np.nan), epochs=3, initial_epoch=1, verbose=0,
                      callbacks=[guard, GANCheckpoint(ckpt)])
    assert guard.stopped_at == 0
    assert len(history.history["d_loss"]) == 1  # stopped in the first epoch
    state = json.load(open(os.path.join(ckpt, "state.json")))
    assert state["latest"] == "ckpt-0001.keras" and state["checkpoints"] == ["ckpt-0001.keras"]
    restored, epoch = resume(ckpt)
    assert epoch == 1
    assert np.isfinite(restored.generate(restored.latents(2))).all()


def test_terminate_on_nan_would_not_have_fired():
    # Why the guard exists: Keras's TerminateOnNaN reads only logs["loss"].
    gan = tiny_gan()
    history = gan.fit(dataset(value=np.nan), epochs=2, verbose=0,
                      callbacks=[keras.callbacks.TerminateOnNaN()])
    assert len(history.history["d_loss"]) == 2


def test_checkpoint_keeps_last_two_and_resume_restores_optimizers_and_rng(tmp_path):
    gan = tiny_gan()
    ckpt = str(tmp_path)
    gan.fit(dataset(), epochs=3, verbose=0, callbacks=[GANCheckpoint(ckpt, keep=2)])
    assert sorted(f for f in os.listdir(ckpt) if f.endswith(".keras")) == [
        "ckpt-0002.keras", "ckpt-0003.keras"]
    restored, epoch = resume(ckpt)
    assert epoch == 3
    assert int(restored.g_optimizer.iterations.numpy()) == 6
    assert int(restored.d_optimizer.iterations.numpy()) == 6
    assert int(restored.rng_step.numpy()) == 6
    np.testing.assert_allclose(restored.generate(gan.latents(2)), gan.generate(gan.latents(2)),
                               atol=1e-6)


def test_corrupt_latest_checkpoint_falls_back(tmp_path):
    gan = tiny_gan()
    gan.fit(dataset(), epochs=2, verbose=0, callbacks=[GANCheckpoint(str(tmp_path))])
    with open(os.path.join(tmp_path, "ckpt-0002.keras"), "wb") as f:
        f.write(b"garbage")
    with pytest.warns(UserWarning, match="ckpt-0002"):
        restored, epoch = resume(str(tmp_path))
    assert epoch == 1 and int(restored.g_optimizer.iterations.numpy()) == 2


def test_no_checkpoint_means_fresh_start(tmp_path):
    assert resume(str(tmp_path)) == (None, 0)


def test_time_budget_stops_training():
    gan = tiny_gan()
    budget = TimeBudget(wall_seconds=0.0)
    history = gan.fit(dataset(), epochs=5, verbose=0, callbacks=[budget])
    assert budget.exhausted and len(history.history["d_loss"]) == 1
    assert int(gan.g_optimizer.iterations.numpy()) == 1


def test_step_budget_stops_at_the_total_step_count_across_resumes():
    gan = tiny_gan()
    gan.fit(dataset(n=12), epochs=5, verbose=0, callbacks=[TimeBudget(max_steps=2)])
    assert int(gan.g_optimizer.iterations.numpy()) == 2
    # A resumed run counts the steps already made: one more, not three.
    gan.fit(dataset(n=12), epochs=5, verbose=0, callbacks=[TimeBudget(max_steps=3)])
    assert int(gan.g_optimizer.iterations.numpy()) == 3
    with pytest.raises(ValueError, match="max_steps must be a positive integer"):
        TimeBudget(max_steps=0)


def test_nonfinite_gradients_are_skipped_and_counted():
    gan = tiny_gan()
    x = np.tanh(np.random.default_rng(0).standard_normal((8, 28, 28, 1))).astype("float32")
    x[1] = np.nan  # poisons the first batch's D gradients
    d0 = [v.numpy() for v in gan.discriminator.trainable_variables]
    history = gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(4), epochs=1, verbose=0)
    assert history.history["skipped_steps"] == [1]
    assert int(gan.d_optimizer.iterations.numpy()) == 1  # the second batch's update only
    assert all(np.isfinite(v.numpy()).all() for v in gan.generator.weights)
    assert all(np.isfinite(v.numpy()).all() for v in gan.discriminator.trainable_variables)
    assert any(not np.array_equal(a, b.numpy())
               for a, b in zip(d0, gan.discriminator.trainable_variables))
    assert np.isfinite(history.history["d_loss"][0])


def test_guard_stops_after_consecutive_skips():
    gan = tiny_gan()
    guard = NonFiniteGuard(patience=2, verbose=0)
    gan.fit(dataset(n=16, value=np.nan), epochs=1, verbose=0, callbacks=[guard])
    assert guard.stopped_at == 1 and gan.nonfinite_stop
