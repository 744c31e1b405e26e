"""Multi-worker training: the one Keras workaround and where workers write.

`model.fit` under `tf.distribute.MultiWorkerMirroredStrategy` fails in Keras
3.15 (keras-team/keras#20585). Measured here with two workers on 127.0.0.1
(TF 2.21, one CPU replica per worker): after `strategy.run(train_step)`, Keras
reduces every logged value with `strategy.reduce("MEAN", v, axis=0)`
(`keras.src.backend.tensorflow.trainer.reduce_per_replica`), and a scalar has
no axis 0: tracing the train function raises "Invalid reduction dimension 0
for input with 0 dimensions". Every GAN log (`d_loss`, `g_loss`, ...) is a
scalar, so no GAN can `fit`; and `strategy.reduce` refuses a Keras variable
returned as a log (`skipped_steps`: "Cannot convert `input_tensor` to a
`PerReplica` object because it doesn't have device set"). The issue also
reports a failure in `_maybe_symbolic_build`, which builds an unbuilt model
from the first batch; a `GAN` is built in its constructor and compiles with
both optimizers built, and that step passed in every run here
(`tests/distribute/multi_worker_test.py` would show it failing).

Why patch Keras's log reduction rather than drive `train_step` with
`strategy.run` in a loop of our own: `fit` is the public API every family,
callback and the CLI use (progress bar, callbacks, `steps_per_epoch`,
`initial_epoch`, history, `steps_per_execution`). A second loop would have to
re-implement all of that and stay in step with it, while the bug is confined
to how one function reduces scalar logs after the (correct, replica-safe)
step has run. The patch (`enable_multi_worker_fit`):

* wraps `reduce_per_replica` so that, only when Keras's own multi-worker
  branch would run (a `MultiWorkerMirroredStrategy` in multi-worker mode,
  reduction "auto"/"mean") and only for a rank-0 value, it reduces with
  `strategy.reduce("MEAN", v, axis=None)`: the mean over all replicas of all
  workers, which is what Keras does for scalars on one worker; a variable
  (mirrored: the same on every worker) is passed through, as Keras does on
  one worker. Every other value and every other strategy goes to the
  original function untouched;
* is idempotent, and refuses (with a message) a Keras whose trainer module no
  longer has the function it wraps.

The test asserts that the unpatched `fit` still fails with the message above,
so a Keras release that fixes #20585 makes it fail and tells the maintainer
to delete this patch (and a release that changes the function makes
`enable_multi_worker_fit` raise).

Writing files with several workers: every worker runs the same `fit`,
callbacks and `model.save` (TensorFlow's multi-worker guide has every worker
save, because saving may aggregate variables with a collective that needs all
workers; a worker that skipped it could leave the others waiting), but only
the chief (`strategy.extended.should_checkpoint`: task 0 of `worker` when the
cluster has no `chief` job) writes to the run directory; the others write to
a private temporary directory (`write_dir`) that they delete at the end. All
workers read checkpoints from the chief's directory when they resume, which
assumes a shared filesystem (true on one machine).
"""

import os
import shutil
import tempfile

import keras
import tensorflow as tf

KERAS_ISSUE = "https://github.com/keras-team/keras/issues/20585"
# The message of the unpatched failure, asserted by the tests.
UNPATCHED_ERROR = "Invalid reduction dimension 0 for input with 0 dimensions"

_PATCH_FLAG = "_keras_gans_multi_worker_patch"


def is_multi_worker(strategy=None):
    """Whether `strategy` (default: the current one) spans more than one worker."""
    strategy = strategy or tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    resolver = strategy.cluster_resolver
    spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
    return sum(len(v) for k, v in spec.items() if k in ("chief", "worker")) > 1


def is_chief(strategy=None):
    """True on the worker that writes the run's artifacts (always True off-cluster)."""
    strategy = strategy or tf.distribute.get_strategy()
    return bool(strategy.extended.should_checkpoint)


def task_id(strategy=None):
    """This worker's task index (0 off-cluster)."""
    strategy = strategy or tf.distribute.get_strategy()
    resolver = getattr(strategy, "cluster_resolver", None)
    task = getattr(resolver, "task_id", None) if resolver is not None else None
    return int(task or 0)


#: Environment variable: when set, a non-chief worker writes to
#: `$KERAS_GANS_WORKER_DIR/worker<task id>` and keeps it (to inspect or compare
#: a worker's files); by default it writes to a fresh temporary directory that
#: is deleted at the end.
WORKER_DIR_ENV = "KERAS_GANS_WORKER_DIR"

_TEMPORARY = set()


def write_dir(directory, strategy=None):
    """The directory this worker writes to: `directory` on the chief, else its own.

    A non-chief worker gets a directory of its own (`tempfile.mkdtemp`, or
    `$KERAS_GANS_WORKER_DIR/worker<task id>`), so two workers never write
    the same file. Release it with `cleanup_write_dir`.
    """
    strategy = strategy or tf.distribute.get_strategy()
    if is_chief(strategy):
        os.makedirs(directory, exist_ok=True)
        return directory
    keep = os.environ.get(WORKER_DIR_ENV)
    if keep:
        path = os.path.join(keep, f"worker{task_id(strategy)}")
        os.makedirs(path, exist_ok=True)
        return path
    path = tempfile.mkdtemp(prefix=f"keras-gans-worker{task_id(strategy)}-")
    _TEMPORARY.add(os.path.abspath(path))
    return path


def cleanup_write_dir(path):
    """Deletes `path` if `write_dir` made it temporary (never the chief's directory)."""
    path = os.path.abspath(path)
    if path in _TEMPORARY:
        shutil.rmtree(path, ignore_errors=True)
        _TEMPORARY.discard(path)


def agree_across_workers(strategy, value, what):
    """Checks that an integer is the same on every worker; returns it.

    Workers that disagree on, e.g., the epoch they resume at would create
    different variables and wait for each other forever; this fails fast
    instead. Every worker must call it at the same point (it is a collective).
    """
    if not is_multi_worker(strategy):
        return value
    local = tf.constant([int(value)], tf.int64)
    values = strategy.gather(strategy.run(lambda: tf.identity(local)), axis=0).numpy()
    if len(set(values.tolist())) != 1:
        raise RuntimeError(
            f"Workers disagree on {what}: {values.tolist()} (by replica). Do all workers "
            "see the same run directory (a shared filesystem) and the same arguments?")
    return value


def enable_multi_worker_fit():
    """Makes Keras `fit` work under a multi-worker `MultiWorkerMirroredStrategy`.

    Idempotent; call it before `fit` (the `keras-gans train --strategy
    multi_worker` command does). Outside a multi-worker strategy the patched
    function behaves exactly as the original.
    """
    try:
        from keras.src.backend.tensorflow import trainer as tf_trainer
        from keras.src import tree
    except ImportError as e:  # pragma: no cover - depends on the Keras release
        raise RuntimeError(
            f"keras_gans.distribute: this Keras no longer has the module the {KERAS_ISSUE} "
            f"workaround patches ({e}). Check whether the issue is fixed and update "
            "keras_gans/distribute.py.") from e
    original = getattr(tf_trainer, "reduce_per_replica", None)
    multi_worker = getattr(tf_trainer, "_collective_all_reduce_multi_worker", None)
    if original is None or multi_worker is None:
        raise RuntimeError(
            "keras_gans.distribute: keras.src.backend.tensorflow.trainer has no "
            "reduce_per_replica/_collective_all_reduce_multi_worker any more; check "
            f"whether {KERAS_ISSUE} is fixed and update keras_gans/distribute.py.")
    if getattr(original, _PATCH_FLAG, False):
        return

    def _rank(value, strategy):
        if isinstance(value, tf.distribute.DistributedValues):
            value = strategy.experimental_local_results(value)[0]
        shape = getattr(value, "shape", None)
        return None if shape is None else shape.rank

    def reduce_per_replica(values, strategy, reduction):
        if reduction not in ("auto", "mean") or not multi_worker(strategy):
            return original(values, strategy, reduction)

        def reduce_one(value):
            if isinstance(value, (tf.Variable, keras.Variable)):
                # A (mirrored) variable holds the same value on every worker;
                # Keras returns it as is on one worker (and fails on several).
                return value
            if _rank(value, strategy) == 0:
                return strategy.reduce("MEAN", value, axis=None)
            return original(value, strategy, reduction)

        return tree.map_structure(reduce_one, values)

    setattr(reduce_per_replica, _PATCH_FLAG, True)
    reduce_per_replica.__wrapped__ = original
    reduce_per_replica.__doc__ = original.__doc__
    tf_trainer.reduce_per_replica = reduce_per_replica


def disable_multi_worker_fit():
    """Restores Keras's original `reduce_per_replica` (undoes `enable_multi_worker_fit`)."""
    from keras.src.backend.tensorflow import trainer as tf_trainer

    current = tf_trainer.reduce_per_replica
    if getattr(current, _PATCH_FLAG, False):
        tf_trainer.reduce_per_replica = current.__wrapped__


def free_local_ports(n):
    """`n` distinct free TCP ports on 127.0.0.1, for a local test cluster's TF_CONFIG.

    The sockets are bound together (so the ports differ) and closed just
    before the workers bind them.
    """
    import socket

    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
