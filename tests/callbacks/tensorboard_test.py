"""TensorBoardGAN: the event file read back holds the sample grid and the logs."""

import glob

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.callbacks import TensorBoardGAN
from keras_gans.models import DCGAN


class Recorder(keras.callbacks.Callback):
    """What the event file must hold, computed independently each epoch."""

    def __init__(self):
        super().__init__()
        self.samples, self.weights = [], []

    def snapshot(self):
        return {net: [np.asarray(w.numpy(), np.float64) for w in getattr(self.model, net).weights]
                for net in ("generator", "discriminator")}

    def on_train_begin(self, logs=None):
        self.weights.append(self.snapshot())

    def on_epoch_end(self, epoch, logs=None):
        self.samples.append(self.model.sample(6, seed=3))
        self.weights.append(self.snapshot())


def tile(images, cols, pad=2):
    # Rows of `cols` images with `pad` black pixels around each: an
    # independent re-implementation of the grid layout.
    n, h, w, c = images.shape
    rows = -(-n // cols)
    out = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.uint8)
    for i, im in enumerate(images):
        r, k = divmod(i, cols)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + k * (w + pad):pad + k * (w + pad) + w] = im
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("tb")
    keras.utils.set_random_seed(0)
    gan = DCGAN(width=4, latent_dim=8)
    gan.compile()
    data = tf.data.Dataset.from_tensor_slices(
        np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype(np.float32)).batch(8)
    recorder = Recorder()
    history = gan.fit(data, epochs=2, verbose=0, callbacks=[
        TensorBoardGAN(log_dir, num_samples=6, seed=3, histograms=True, update_freq=1),
        recorder])
    events = {}
    for path in glob.glob(str(log_dir / "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                events.setdefault(value.tag, []).append(
                    (event.step, value.metadata.plugin_data.plugin_name,
                     tf.make_ndarray(value.tensor)))
    return history.history, recorder, events


def test_sample_grid_image_each_epoch_equals_model_sample(run):
    _, recorder, events = run
    images = events["samples"]
    assert [step for step, _, _ in images] == [1, 2]
    assert {plugin for _, plugin, _ in images} == {"images"}
    for (_, _, tensor), samples in zip(images, recorder.samples):
        width, height, png = tensor  # the image plugin's [width, height, encoded...]
        decoded = tf.io.decode_png(png).numpy()
        assert decoded.shape == (2 * 28 + 6, 3 * 28 + 8, 1)  # 6 samples: 2 rows of 3
        assert (int(width), int(height)) == (decoded.shape[1], decoded.shape[0])
        np.testing.assert_array_equal(decoded, tile(samples, cols=3))
    assert not np.array_equal(recorder.samples[0], recorder.samples[1])  # it trained


def test_logs_are_scalars_per_epoch_and_per_batch(run):
    history, _, events = run
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        steps = [s for s, _, _ in events[key]]
        values = [float(v) for _, _, v in events[key]]
        assert steps == [1, 2], key
        np.testing.assert_allclose(values, history[key], rtol=1e-6)
        assert [s for s, _, _ in events["batch/" + key]] == [1, 2, 3, 4]


def test_weight_histograms_and_update_norms(run):
    _, recorder, events = run
    gen_hists = [t for t in events if t.startswith("generator/")]
    disc_hists = [t for t in events if t.startswith("discriminator/")]
    assert gen_hists and disc_hists
    assert all(events[t][0][1] == "histograms" for t in gen_hists)
    for net in ("generator", "discriminator"):
        expected = [np.sqrt(sum(((a - b) ** 2).sum() for a, b in
                                zip(recorder.weights[i + 1][net], recorder.weights[i][net])))
                    for i in range(2)]
        got = [float(v) for _, _, v in events[f"update_norm/{net}"]]
        np.testing.assert_allclose(got, expected, rtol=1e-5)
        assert min(got) > 0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="num_samples must be >= 1; got 0"):
        TensorBoardGAN("x", num_samples=0)
    with pytest.raises(ValueError, match="update_freq must be >= 1"):
        TensorBoardGAN("x", update_freq=0)
