"""Computes evaluation metrics during `fit` and logs them."""

import keras



class MetricMonitor(keras.callbacks.Callback):
    """Evaluates chosen protocols every `every` epochs; logs them into the history.

    Samples come from `generator_ema` when the model keeps one (it is what
    `sample` uses). Values go into the epoch logs under the protocol's main
    metric name (e.g. `fid10k_test`), so `History`, `CSVLogger` and
    `EarlyStopping(monitor="fid10k_test")` see them, and to TensorBoard when
    `log_dir` is given.

    Args:
        protocols: protocol names (see `keras_gans.metrics.PROTOCOLS`).
        every: evaluate every `every` epochs (and never on others).
        num_samples: override the protocols' sample counts (faster, but not
            comparable with the full protocol or its floor; the record says so).
        feature_network: see `keras_gans.metrics.evaluate`.
        log_dir: TensorBoard log directory (optional).

    Example:

    >>> gan.fit(ds, epochs=20, callbacks=[MetricMonitor(["fid10k_test"], every=5,
    ...                                                 num_samples=2000)])  # doctest: +SKIP
    """

    def __init__(self, protocols=("fid10k_test",), every=1, num_samples=None,
                 feature_network="fashion_mnist_classifier", log_dir=None, seed=0):
        super().__init__()
        self.protocols = tuple(protocols)
        self.every = max(1, int(every))
        self.num_samples = num_samples
        self.feature_network = feature_network
        self.log_dir = log_dir
        self.seed = seed
        self.results = {}
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        from keras_gans.metrics import evaluate

        results = evaluate(self.model, protocols=self.protocols, num_samples=self.num_samples,
                           feature_network=self.feature_network, seed=self.seed)
        self.results[epoch + 1] = results
        if logs is not None:
            for name, result in results.items():
                logs[name] = float(result["value"])
        if self.log_dir:
            import tensorflow as tf

            if self._writer is None:
                self._writer = tf.summary.create_file_writer(self.log_dir)
            with self._writer.as_default():
                for name, result in results.items():
                    for key, value in result["values"].items():
                        tf.summary.scalar(f"{name}/{key}", float(value), step=epoch + 1)
            self._writer.flush()
