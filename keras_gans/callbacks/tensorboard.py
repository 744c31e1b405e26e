"""TensorBoard for GANs: the fixed-z sample grid as an image, the logs as scalars."""

import numpy as np
import keras

from keras_gans.utils.images import make_grid


class TensorBoardGAN(keras.callbacks.Callback):
    """Writes TensorBoard summaries of GAN training to `log_dir`.

    Every `every` epochs (step = the epoch number, 1-based, as in
    `SampleGrid`'s file names):

    * `samples`: one image, the grid of `model.sample(num_samples, seed)`
      (the same latents every epoch, from `generator_ema` when there is one),
      tiled by `keras_gans.utils.images.make_grid`.
    * every numeric log as a scalar under its own name: `d_loss`, `g_loss`,
      `d_real` and `d_fake` (D(x) and D(G(z))), each family's own terms.
    * with `histograms=True`: a histogram of every weight of the generator and
      the discriminator (`generator/<weight path>`), and the scalars
      `update_norm/generator` and `update_norm/discriminator`: the L2 norm of
      how far the network's weights moved during the epoch.

    With `update_freq=N` the logs are also written every N batches (step =
    batches seen, tags `batch/<key>`).

    View with `tensorboard --logdir DIR` (`pip install tensorboard`; writing
    needs only TensorFlow).

    Args:
        log_dir: where the event files go.
        num_samples: images in the grid.
        seed: seed of the fixed latents.
        labels: labels of the samples for conditional models (default: the
            classes in turn).
        every: write every `every` epochs.
        histograms: also weight histograms and update norms.
        update_freq: also scalars every `update_freq` batches (None: off).

    Example:

    >>> gan.fit(ds, epochs=5, callbacks=[TensorBoardGAN("runs/x/tb")])  # doctest: +SKIP
    """

    def __init__(self, log_dir, num_samples=16, seed=0, labels=None, every=1,
                 histograms=False, update_freq=None):
        super().__init__()
        if int(num_samples) < 1:
            raise ValueError(f"num_samples must be >= 1; got {num_samples}.")
        if int(every) < 1:
            raise ValueError(f"every must be >= 1 (epochs); got {every}.")
        if update_freq is not None and int(update_freq) < 1:
            raise ValueError(f"update_freq must be >= 1 batches or None; got {update_freq}.")
        self.log_dir = str(log_dir)
        self.num_samples = int(num_samples)
        self.seed = seed
        self.labels = labels
        self.every = int(every)
        self.histograms = bool(histograms)
        self.update_freq = None if update_freq is None else int(update_freq)
        self._writer = None
        self._batches = 0
        self._previous = {}

    @property
    def writer(self):
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        return self._writer

    def _labels(self):
        if self.labels is not None:
            return self.labels
        num_classes = getattr(self.model, "num_classes", None)
        return None if not num_classes else np.arange(self.num_samples) % num_classes

    def sample_grid(self):
        """The uint8 grid `(H, W, C)` written as the `samples` image."""
        images = self.model.sample(self.num_samples, seed=self.seed, labels=self._labels())
        return make_grid(images)

    def _networks(self):
        nets = {}
        for name in ("generator", "discriminator"):
            net = getattr(self.model, name, None)
            if net is not None:
                nets[name] = net
        return nets

    def _weights(self):
        return {f"{net_name}/{w.path}": np.asarray(w.numpy())
                for net_name, net in self._networks().items() for w in net.weights}

    def on_train_begin(self, logs=None):
        if self.histograms:
            self._previous = self._weights()

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        if self.update_freq and self._batches % self.update_freq == 0:
            self._scalars(logs, self._batches, prefix="batch/")

    def _scalars(self, logs, step, prefix=""):
        import tensorflow as tf

        with self.writer.as_default():
            for key, value in (logs or {}).items():
                try:
                    value = float(np.asarray(value))
                except (TypeError, ValueError):
                    continue
                tf.summary.scalar(prefix + key, value, step=step)

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf

        step = epoch + 1
        if step % self.every:
            return
        self._scalars(logs, step)
        with self.writer.as_default():
            grid = self.sample_grid()
            tf.summary.image("samples", grid[None], step=step, max_outputs=1,
                             description=f"model.sample({self.num_samples}, seed={self.seed})")
            if self.histograms:
                weights = self._weights()
                moved = {}
                for tag, value in weights.items():
                    tf.summary.histogram(tag, value, step=step)
                    before = self._previous.get(tag)
                    if before is not None and before.shape == value.shape:
                        net = tag.split("/", 1)[0]
                        diff = (value.astype(np.float64) - before) ** 2
                        moved[net] = moved.get(net, 0.0) + float(diff.sum())
                for net, sq in moved.items():
                    tf.summary.scalar(f"update_norm/{net}", np.sqrt(sq), step=step)
                self._previous = weights
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
