"""Writes a PNG grid of samples from fixed latents after every epoch."""

import os

import keras

from keras_gans.utils.images import save_grid


class SampleGrid(keras.callbacks.Callback):
    """Saves `directory/epoch_XXXX.png`: the same latents every epoch.

    Samples come from `generator_ema` when the model keeps one, so the grid
    shows what `sample`/export would give.

    Args:
        directory: where the PNGs go.
        num_samples: images in the grid.
        seed: seed of the fixed latents.
        labels: for conditional models, the labels of the samples (default:
            classes in turn).
        every: write every `every` epochs.
        scale: nearest-neighbour enlargement of the PNG.

    Example:

    >>> gan.fit(ds, epochs=5, callbacks=[SampleGrid("runs/x/samples")])  # doctest: +SKIP
    """

    def __init__(self, directory, num_samples=64, seed=0, labels=None, every=1, scale=2):
        super().__init__()
        self.directory = directory
        self.num_samples = int(num_samples)
        self.seed = seed
        self.labels = labels
        self.every = max(1, int(every))
        self.scale = scale
        self.last_path = None

    def _labels(self):
        if self.labels is not None:
            return self.labels
        if getattr(self.model, "num_classes", None):
            import numpy as np

            return np.arange(self.num_samples) % self.model.num_classes
        return None

    def write(self, path):
        images = self.model.sample(self.num_samples, seed=self.seed, labels=self._labels())
        save_grid(images, path, scale=self.scale)
        self.last_path = path
        return path

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        self.write(os.path.join(self.directory, f"epoch_{epoch + 1:04d}.png"))
