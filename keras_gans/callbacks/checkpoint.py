"""Resumable checkpoints of a whole GAN, written atomically.

Keras's `BackupAndRestore` restores only `model.optimizer`: both GAN
optimizers restart from zero and the RNG restarts. A checkpoint here is a full
`.keras` file (networks, EMA, both optimizers with iterations and slots, the
RNG step counter, compile config) plus `state.json` naming the latest good
file and the epoch to resume at.
"""

import json
import os
import warnings

import keras

from keras_gans.callbacks.nonfinite_guard import nonfinite_keys
# The run-folder lock lives with the atomic writes (no TensorFlow needed);
# re-exported here beside the checkpoints it protects.
from keras_gans.utils.files import (  # noqa: F401
    RunFolderLockedError,
    atomic_path,
    lock_folder,
    write_text,
)

STATE_FILE = "state.json"


class UnreadableCheckpointError(RuntimeError):
    """No checkpoint of a folder could be loaded."""


class GANCheckpoint(keras.callbacks.Callback):
    """Saves `directory/ckpt-EPOCH.keras` after every epoch, keeping the last `keep`.

    A checkpoint is written to a temporary file and renamed, and `state.json`
    is updated only after that, so a crash never leaves a half-written
    checkpoint as the latest. After a non-finite loss nothing is written.

    Example:

    >>> gan.fit(ds, epochs=10, callbacks=[GANCheckpoint("runs/x/ckpt")])  # doctest: +SKIP
    >>> gan, epoch = resume("runs/x/ckpt")  # doctest: +SKIP
    """

    def __init__(self, directory, keep=2, every=1):
        super().__init__()
        self.directory = directory
        self.keep = max(1, int(keep))
        self.every = max(1, int(every))

    def on_epoch_end(self, epoch, logs=None):
        if getattr(self.model, "nonfinite_stop", False) or nonfinite_keys(logs):
            print("GANCheckpoint: non-finite loss, keeping the previous checkpoint.")
            return
        if (epoch + 1) % self.every:
            return
        save_checkpoint(self.model, self.directory, epoch + 1, logs=logs, keep=self.keep)


def _read_state(directory):
    path = os.path.join(directory, STATE_FILE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def save_checkpoint(model, directory, epoch, logs=None, keep=2):
    """Writes checkpoint `epoch` atomically and records it in `state.json`."""
    os.makedirs(directory, exist_ok=True)
    name = f"ckpt-{epoch:04d}.keras"
    with atomic_path(os.path.join(directory, name)) as tmp:
        model.save(tmp)
    state = _read_state(directory) or {"checkpoints": []}
    checkpoints = [c for c in state.get("checkpoints", []) if c != name] + [name]
    for old in checkpoints[:-keep]:
        try:
            os.remove(os.path.join(directory, old))
        except FileNotFoundError:
            pass
    checkpoints = checkpoints[-keep:]
    state = {
        "epoch": int(epoch),
        "latest": name,
        "checkpoints": checkpoints,
        "logs": {k: float(v) for k, v in (logs or {}).items()},
    }
    write_text(os.path.join(directory, STATE_FILE), json.dumps(state, indent=2))
    return os.path.join(directory, name)


def resume(directory):
    """Loads the latest good checkpoint in `directory`.

    Returns `(model, epoch)` with the epoch to resume at (`fit(initial_epoch=...)`),
    or `(None, 0)` when there is none. A latest checkpoint that cannot be read
    falls back to the previous one with a warning.
    """
    state = _read_state(directory)
    if not state:
        return None, 0
    for name in reversed(state.get("checkpoints", [])):
        path = os.path.join(directory, name)
        try:
            model = keras.saving.load_model(path)
        except Exception as e:  # noqa: BLE001 - any unreadable file falls back
            warnings.warn(f"Checkpoint {path} could not be loaded ({e}); trying the "
                          "previous one.")
            continue
        epoch = int(name.split("-")[1].split(".")[0])
        return model, epoch
    raise UnreadableCheckpointError(
        f"No checkpoint in {directory} could be loaded; delete the folder to start over."
    )
