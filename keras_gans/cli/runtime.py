"""What the commands that need TensorFlow share: quiet import, model loading, progress.

Nothing here imports TensorFlow at module level; `import_tensorflow` does,
quietly: TensorFlow 2.21's start-up lines (oneDNN, CUDA drivers, CPU features)
are written by absl before its logging is initialized and ignore
`TF_CPP_MIN_LOG_LEVEL` (measured: 6 lines with the level at 3), so the import
runs with file descriptor 2 pointed at /dev/null; the level (3) then keeps
later C++ lines such as `failed call to cuInit` and `remapper failed` away.
`--verbose` shows everything.
"""

import contextlib

import logging
import os
import sys
import time
import warnings


def import_tensorflow(verbose=False):
    """Imports TensorFlow and `keras_gans` quietly (or with every log line when `verbose`).

    Returns the `keras_gans` package with its families and layers registered.
    """
    if "tensorflow" not in sys.modules:
        if verbose:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
            import tensorflow  # noqa: F401
        else:
            # 3 also hides the error-level `cuInit` and `remapper failed` lines of
            # a CPU-only machine; real errors still reach the user as exceptions.
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
            with _native_stderr_silenced():
                import tensorflow  # noqa: F401
    level = logging.INFO if verbose else logging.ERROR
    logging.getLogger("tensorflow").setLevel(level)
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.INFO if verbose else absl_logging.ERROR)
    except ImportError:  # absl comes with TensorFlow; without it there is nothing to quiet
        pass
    if not verbose:
        warnings.filterwarnings("ignore", category=DeprecationWarning)
    import keras_gans
    import keras_gans.data  # noqa: F401 - registers the dataset sources
    import keras_gans.layers  # noqa: F401 - registers the layers for .keras loading
    import keras_gans.models  # noqa: F401 - registers the families

    return keras_gans


@contextlib.contextmanager
def _native_stderr_silenced():
    """Points file descriptor 2 at /dev/null (C++ writes there directly) for the block.

    A Python exception raised inside still propagates and is printed after
    the descriptor is restored.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_model(name_or_path):
    """A model from a run folder (final model or latest checkpoint), a `.keras` file or a preset.

    Raises:
        ValueError: a folder that is no run folder, an unreadable `.keras` file,
            an unknown or unavailable preset (with close matches).
        FileNotFoundError: a path ending in `.keras` that does not exist.
    """
    import keras

    from keras_gans import zoo
    from keras_gans.callbacks import resume

    path = os.fspath(name_or_path)
    if os.path.isdir(path):
        final = os.path.join(path, "model.keras")
        if os.path.exists(final):
            return _load_keras_file(final)
        model, _ = resume(os.path.join(path, "ckpt"))
        if model is None:
            raise ValueError(
                f"{path} holds no model.keras and no checkpoint in ckpt/; pass a run folder "
                "of `keras-gans train --out`, a .keras file or a preset name "
                "(`keras-gans zoo list`).")
        return model
    if path.endswith(".keras"):
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such .keras file: {path}; check the path.")
        return _load_keras_file(path)
    if os.path.exists(path):
        raise ValueError(f"{path} is neither a run folder nor a .keras file; pass one of "
                         "those or a preset name (`keras-gans zoo list`).")
    del keras
    return zoo.load(path)


def _load_keras_file(path):
    import keras

    try:
        return keras.saving.load_model(path)
    except Exception as e:  # noqa: BLE001 - zip, h5 and config errors all mean "unreadable"
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ValueError(f"{path} is not a readable .keras file ({type(e).__name__}: "
                         f"{first[:200]}); write it again with model.save().") from e


class Progress:
    """A TensorFlow-free progress bar on stderr, drawn only on a terminal.

    Example:

    >>> bar = Progress(10, "sampling", stream=None)
    >>> bar.update(4); bar.update(6); bar.close()
    >>> bar.done
    10
    """

    def __init__(self, total, label, stream=sys.stderr, width=30):
        self.total = max(1, int(total))
        self.label = label
        self.done = 0
        self.width = width
        self.stream = stream if stream is not None and _is_tty(stream) else None
        self.start = time.monotonic()

    def update(self, count):
        self.done = min(self.total, self.done + int(count))
        if self.stream is None:
            return
        filled = int(self.width * self.done / self.total)
        elapsed = time.monotonic() - self.start
        self.stream.write(f"\r{self.label} [{'=' * filled}{'.' * (self.width - filled)}] "
                          f"{self.done}/{self.total} {elapsed:.0f}s")
        self.stream.flush()

    def close(self):
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()


def _is_tty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
