"""Stops training when a CPU-time, wall-time or step budget is spent."""

import time

import keras


class TimeBudget(keras.callbacks.Callback):
    """Stops `fit` once this process has used `cpu_seconds` of CPU (all threads)
    or `wall_seconds` of wall time, or the model has made `max_steps` updates,
    checked after every batch.

    CPU time makes two recipes comparable on a shared, noisy machine: each
    gets the same amount of computation whatever else runs beside it.

    Args:
        cpu_seconds: CPU-time budget (`time.process_time`, summed over threads).
        wall_seconds: wall-time budget.
        spent_cpu_seconds: CPU already spent by an earlier, resumed process.
        max_steps: total training steps, counted by the generator's optimizer
            (`g_optimizer`, else `optimizer`), so a resumed run counts the
            steps its checkpoint already made: the equal-steps comparisons
            (one recipe at two precisions, say) stop at the same update.

    Example:

    >>> gan.fit(ds, epochs=1000, callbacks=[TimeBudget(cpu_seconds=3600)])  # doctest: +SKIP
    """

    def __init__(self, cpu_seconds=None, wall_seconds=None, spent_cpu_seconds=0.0,
                 max_steps=None):
        super().__init__()
        if max_steps is not None and (isinstance(max_steps, bool) or int(max_steps) != max_steps
                                      or max_steps < 1):
            raise ValueError(f"max_steps must be a positive integer or None; got {max_steps!r}.")
        self.max_steps = max_steps
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

    def steps_done(self):
        optimizer = getattr(self.model, "g_optimizer", None) or self.model.optimizer
        return int(optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        if self.max_steps is not None and self.steps_done() >= self.max_steps:
            self.exhausted = True
        if self.cpu_seconds is not None and self.cpu_used() >= self.cpu_seconds:
            self.exhausted = True
        if self.wall_seconds is not None and self.wall_used() >= self.wall_seconds:
            self.exhausted = True
        if self.exhausted:
            self.model.stop_training = True
