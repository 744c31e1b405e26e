"""Stops training when any loss goes non-finite.

Keras's `TerminateOnNaN` reads only `logs["loss"]`, which a GAN does not
have: with `d_loss`/`g_loss` it never fires (three NaN epochs ran on in a
measurement here). This guard watches every key containing "loss".
"""

import math

import keras


def nonfinite_keys(logs, pattern="loss"):
    """Keys of `logs` containing `pattern` whose value is NaN or infinite."""
    bad = []
    for key, value in (logs or {}).items():
        if pattern not in key:
            continue
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(value):
            bad.append(key)
    return bad


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops `fit` after `patience` consecutive bad batches.

    A batch is bad when a logged loss is non-finite or when the model skipped
    an update because its gradients were not finite (`skipped_steps` grew).

    Sets `model.stop_training` and `model.nonfinite_stop`; `GANCheckpoint`
    then keeps the last good checkpoint instead of writing a broken one.

    Example:

    >>> gan.fit(ds, callbacks=[NonFiniteGuard()])  # doctest: +SKIP
    """

    def __init__(self, patience=1, pattern="loss", verbose=1):
        super().__init__()
        self.patience = max(1, int(patience))
        self.pattern = pattern
        self.verbose = verbose
        self.bad_batches = 0
        self.stopped_at = None

    def on_train_begin(self, logs=None):
        counter = getattr(self.model, "skipped_steps", None)
        self._skipped = None if counter is None else int(counter.numpy())
        self.bad_batches = 0
        self.stopped_at = None
        self.model.nonfinite_stop = False

    def on_train_batch_end(self, batch, logs=None):
        bad = nonfinite_keys(logs, self.pattern)
        skipped = (logs or {}).get("skipped_steps")
        if skipped is not None:
            skipped = int(skipped)
            if self._skipped is not None and skipped > self._skipped:
                bad.append("gradients (update skipped)")
            self._skipped = skipped
        if not bad:
            self.bad_batches = 0
            return
        self.bad_batches += 1
        if self.bad_batches >= self.patience:
            self.stopped_at = batch
            self.model.stop_training = True
            self.model.nonfinite_stop = True
            if self.verbose:
                print(f"\nNonFiniteGuard: {', '.join(bad)} became non-finite at batch "
                      f"{batch}; training stopped, the last good checkpoint is kept.")
