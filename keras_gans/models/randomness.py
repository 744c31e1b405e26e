"""Replica-exact randomness and replica-safe state for adversarial models.

Under `MirroredStrategy` every replica runs `train_step` in its own thread,
interleaved at synchronization points. Three things follow, each handled here
once for every model:

* Noise must differ between replicas yet be the same for every example on 1 or
  N replicas, and it must resume with a checkpoint. `RandomStreams` draws it
  with stateless ops seeded by (seed, step counter, draw index) for the GLOBAL
  batch and keeps this replica's rows (a Keras `SeedGenerator` gives every
  replica the same z).
* Python state handed from one hook of a step to a later one must be kept per
  replica thread (`PerReplica`), and so is the draw counter.
* Variables that are assigned rather than optimized (EMA generator, WGAN
  clipping, controllers) are written through `assign_variables`, which works in
  a replica context (a plain `assign` on a mirrored variable raises there).
"""

import contextlib
import threading

import tensorflow as tf


def assign_variables(variables, values):
    """Assigns `values` to `variables`, also inside a replica context.

    Under a `tf.distribute` strategy a mirrored variable cannot be assigned in
    the replica context `train_step` runs in; the assignment is moved to the
    cross-replica context with `merge_call`, where each device's copy gets its
    own replica's value (identical across replicas when computed from
    synchronized weights).

    Example:

    >>> v = keras.Variable(0.0)
    >>> assign_variables([v], [3.0])
    >>> float(v.numpy())
    3.0
    """
    variables = list(variables)
    values = list(values)
    if not variables:
        return
    if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
        for var, value in zip(variables, values):
            var.assign(value)
        return
    ctx = tf.distribute.get_replica_context()

    def merge_fn(strategy, *vals):
        for var, val in zip(variables, vals):
            tf_var = getattr(var, "value", var)
            strategy.extended.update(tf_var, lambda v, x: v.assign(x), args=(val,))

    ctx.merge_call(merge_fn, args=tuple(values))


class PerReplica:
    """Python-side state handed from one hook of a train step to a later one.

    A plain attribute set in one hook (say `compute_discriminator_loss`) could
    be read, and consumed, by another replica's later hook, which then uses
    the wrong replica's tensors and skips its own cross-replica call, pairing
    the remaining collectives of the step wrongly. Values are kept per thread.

    Example:

    >>> box = PerReplica()
    >>> box.put(3)
    >>> box.pop(), box.pop()
    (3, None)
    """

    def __init__(self):
        self._values = {}

    def put(self, value):
        self._values[threading.get_ident()] = value

    def pop(self):
        """The value this thread put (and forgets it), or None."""
        return self._values.pop(threading.get_ident(), None)


def replica_count():
    """Replicas in sync in the current replica context (1 outside a strategy)."""
    ctx = tf.distribute.get_replica_context()
    return 1 if ctx is None else ctx.num_replicas_in_sync


# Named sub-streams start far apart so that no ordinary draw sequence of a step
# reaches them: a regularizer that runs only on some steps (lazy R1, path
# length) then draws the same noise whether or not other draws came first.
_SUBSTREAM_STRIDE = 1 << 20


def _substream_offset(name):
    # A stable (not per-process salted) hash of the name: crc32.
    import zlib

    return (1 + zlib.crc32(name.encode("utf-8")) % 1024) * _SUBSTREAM_STRIDE


class RandomStreams:
    """Mixin: replica-exact stateless noise streams of a model.

    The host class must define `seed` (int) and `rng_step` (an int64 variable
    advanced once per train step, saved with the model). Call `reset_draws()`
    at the start of every step; every `random_normal`/`random_uniform` call
    then takes the next draw of the step, identically on 1 or N replicas.

    A class may pin named sub-streams to fixed draw indices with a
    `noise_substreams = {"name": index}` attribute (kept stable so that saved
    runs resume with the same noise); other names get a stable hashed index.

    Example:

    >>> class Noise(RandomStreams):
    ...     seed = 0
    ...     rng_step = tf.Variable(0, dtype=tf.int64)
    >>> n = Noise()
    >>> n.reset_draws()
    >>> a = n.random_normal([2, 3])
    >>> n.reset_draws()
    >>> bool(tf.reduce_all(a == n.random_normal([2, 3])))
    True
    """

    # The draw counter of a step is kept per thread: MirroredStrategy traces a
    # step by running `train_step` once per replica, one thread per replica,
    # switching threads at every cross-replica sync. A counter shared by the
    # replica threads is reset and advanced out of order, so with several draws
    # per step (d_steps > 1, penalties) replicas would get other noise than one
    # device (measured: G kernels off by 2x the learning rate).
    def _draw_state(self):
        state = self.__dict__.get("_draw_thread_state")
        if state is None:
            state = threading.local()
            self.__dict__["_draw_thread_state"] = state
        return state

    @property
    def draw_index(self):
        """The index of the next draw of this step (this replica's thread)."""
        return getattr(self._draw_state(), "index", 0)

    @draw_index.setter
    def draw_index(self, value):
        self._draw_state().index = int(value)

    def reset_draws(self):
        """Starts the draws of a new step (call at the top of `train_step`)."""
        self.draw_index = 0

    @contextlib.contextmanager
    def noise_substream(self, name):
        """Draws inside the block come from the fixed sub-stream `name`.

        The draws of a lazily evaluated term (one that runs only on some
        steps) then do not depend on which other draws came before it. The
        step's main draw counter resumes after the block.

        Example:

        >>> with gan.noise_substream("path_length"):  # doctest: +SKIP
        ...     ws = gan.random_normal([m, w_dim])
        """
        saved = self.draw_index
        offsets = getattr(self, "noise_substreams", None) or {}
        self.draw_index = offsets.get(name, None) or _substream_offset(str(name))
        try:
            yield
        finally:
            self.draw_index = saved

    def stream_seed(self):
        """A fresh stateless seed: (seed, step counter, draw index) folded together."""
        seed = tf.constant([self.seed, 0x5EED], tf.int64)
        seed = tf.random.experimental.stateless_fold_in(
            seed, tf.cast(self.rng_step, tf.int64), alg="philox")
        seed = tf.random.experimental.stateless_fold_in(seed, self.draw_index, alg="philox")
        self.draw_index += 1
        return seed

    def replica_rows(self, draw, shape, dtype):
        """Draws noise for the GLOBAL batch and keeps this replica's rows.

        Every replica draws the same [global batch, ...] tensor from the same
        seed and keeps its own slice, so replicas get different noise and the
        noise of every example is the same on 1 or N replicas: a distributed
        step equals the single-device step on the same global batch. Noise is
        small next to the networks' activations, so drawing N times more of it
        costs little.

        `draw(shape, seed, dtype)` is a stateless random op.
        """
        ctx = tf.distribute.get_replica_context()
        replicas = 1 if ctx is None else ctx.num_replicas_in_sync
        if replicas == 1:
            return draw(shape, self.stream_seed(), dtype)
        shape = tf.cast(tf.stack(shape) if isinstance(shape, (list, tuple)) else shape, tf.int32)
        local = shape[0]
        values = draw(tf.concat([[local * replicas], shape[1:]], axis=0), self.stream_seed(),
                      dtype)
        start = tf.cast(ctx.replica_id_in_sync_group, tf.int32) * local
        return values[start:start + local]

    def random_normal(self, shape, dtype="float32"):
        """Standard normal noise: per example, identical for 1 or N replicas."""
        return self.replica_rows(
            lambda s, seed, dt: tf.random.stateless_normal(s, seed, dtype=dt), shape, dtype)

    def random_uniform(self, shape, minval=0.0, maxval=1.0, dtype="float32"):
        """Uniform noise in [minval, maxval): per example, identical for 1 or N replicas."""
        return self.replica_rows(
            lambda s, seed, dt: tf.random.stateless_uniform(s, seed, minval, maxval, dtype=dt),
            shape, dtype)
