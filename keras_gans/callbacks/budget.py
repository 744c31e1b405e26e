"""Stops training when a CPU-time or wall-time budget is spent."""

import time

import keras


class TimeBudget(keras.callbacks.Callback):
    """Stops `fit` once this process has used `cpu_seconds` of CPU (all threads)
    or `wall_seconds` of wall time, checked after every batch.

    CPU time makes two recipes comparable on a shared, noisy machine: each
    gets the same amount of computation whatever else runs beside it.

    Args:
        cpu_seconds: CPU-time budget (`time.process_time`, summed over threads).
        wall_seconds: wall-time budget.
        spent_cpu_seconds: CPU already spent by an earlier, resumed process.

    Example:

    >>> gan.fit(ds, epochs=1000, callbacks=[TimeBudget(cpu_seconds=3600)])  # doctest: +SKIP
    """

    def __init__(self, cpu_seconds=None, wall_seconds=None, spent_cpu_seconds=0.0):
        super().__init__()
        self.cpu_seconds = cpu_seconds
        self.wall_seconds = wall_seconds
        self.spent_cpu_seconds = float(spent_cpu_seconds)
        self.exhausted = False

    def on_train_begin(self, logs=None):
        self._cpu0 = time.process_time()
        self._wall0 = time.time()

    def cpu_used(self):
        return self.spent_cpu_seconds + time.process_time() - self._cpu0

    def wall_used(self):
        return time.time() - self._wall0

    def on_train_batch_end(self, batch, logs=None):
        if self.cpu_seconds is not None and self.cpu_used() >= self.cpu_seconds:
            self.exhausted = True
        if self.wall_seconds is not None and self.wall_used() >= self.wall_seconds:
            self.exhausted = True
        if self.exhausted:
            self.model.stop_training = True
