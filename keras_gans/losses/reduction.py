"""The one place where per-example losses become the scalar that is differentiated.

Under `tf.distribute`, each replica computes gradients of its own loss and the
optimizer SUMS them across replicas. A replica's loss must therefore be
sum(per-example) / GLOBAL batch size; a hand-written `reduce_mean` divides by
the per-replica batch instead and multiplies the effective learning rate by
the number of replicas (measured: 0.080 vs 0.040 on 2 replicas).

Statistics that must agree across replicas without being differentiated
(BEGAN's controller input, the tracked average w, DRAGAN's data std) are
computed over the GLOBAL batch by `global_mean` and `global_std`.
"""

import tensorflow as tf


def reduce_per_example(per_example, global_batch_size=None):
    """Sums a per-example tensor and divides by the global batch size.

    Outside a strategy (or with one replica) this is the plain mean.

    Args:
        per_example: tensor of shape [batch] (or [batch, ...], summed over all
            elements and divided by the global number of examples).
        global_batch_size: optional; by default the local batch size times the
            number of replicas in sync.
    """
    per_example = tf.convert_to_tensor(per_example)
    if per_example.shape.rank == 0:
        raise ValueError(
            "reduce_per_example needs a per-example tensor with a batch axis; got a "
            "scalar. Use reduce_batch_scalar for terms that are already per batch."
        )
    return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)


def reduce_batch_scalar(value):
    """Scales a per-replica scalar term (e.g. a weight penalty) for summation.

    A term computed once per replica (not per example) is divided by the number
    of replicas so that the summed gradient counts it once.
    """
    value = tf.convert_to_tensor(value)
    return tf.nn.scale_regularization_loss(value)


def global_sum(value):
    """`value` (a tensor or a nested structure of them) summed over the replicas.

    The identity outside a strategy or with one replica. Differentiable: the
    gradient of an all-reduce sum is the all-reduce sum of the gradients (wrap
    the argument in `tf.stop_gradient` for a statistic).

    Example:

    >>> float(global_sum(tf.constant(2.0)))
    2.0
    """
    ctx = tf.distribute.get_replica_context()
    if ctx is not None and ctx.num_replicas_in_sync > 1:
        return ctx.all_reduce(tf.distribute.ReduceOp.SUM, value)
    return value


def global_batch_mean(features):
    """Mean over the GLOBAL batch of `[batch, ...]` features, differentiable.

    Sum and count travel in one packed collective (eager replicas may order
    separate collectives differently).

    Example:

    >>> global_batch_mean(tf.constant([[1.0, 2.0], [3.0, 4.0]])).numpy().tolist()
    [2.0, 3.0]
    """
    features = tf.convert_to_tensor(features)
    total = tf.reduce_sum(features, axis=0)
    count = tf.cast(tf.shape(features)[0], features.dtype)
    ctx = tf.distribute.get_replica_context()
    if ctx is not None and ctx.num_replicas_in_sync > 1:
        flat = tf.reshape(total, [-1])
        packed = global_sum(tf.concat([flat, count[None]], axis=0))
        total, count = tf.reshape(packed[:-1], tf.shape(total)), packed[-1]
    return total / count


def global_mean(values, axis=None):
    """Mean over the GLOBAL batch (all replicas), identical on every replica.

    A statistic, not a loss (nothing is differentiated through it): values
    assigned to mirrored variables must agree across replicas, or the copies
    would diverge. With `axis=0` the mean is over examples only (e.g. of
    `[batch, w_dim]`); by default over all elements.

    Example:

    >>> float(global_mean(tf.constant([1.0, 2.0, 6.0])))
    3.0
    """
    values = tf.convert_to_tensor(values)
    if axis is None:
        total = tf.reduce_sum(values)
        count = tf.cast(tf.size(values), values.dtype)
    else:
        total = tf.reduce_sum(values, axis=axis)
        count = tf.cast(tf.shape(values)[axis], values.dtype)
    # One nested all-reduce: a single collective for both.
    total, count = global_sum([total, count])
    return total / count


def global_std(values):
    """The population std of all elements of `values` over all replicas' batches.

    Two all-reduced passes (the mean, then the mean squared deviation), so it
    equals `numpy.std` of the concatenated global batch.

    Example:

    >>> round(float(global_std(tf.constant([[1.0, 3.0], [1.0, 3.0]]))), 3)
    1.0
    """
    values = tf.convert_to_tensor(values)
    mean = global_mean(values)
    return tf.sqrt(global_mean(tf.square(values - mean)))


def gather_global_batch(values):
    """Every replica's rows of `values`, concatenated in replica order.

    For terms that couple the examples of a batch (EBGAN's pulling-away term,
    minibatch discrimination): computed over the gathered global batch, they
    are what one device computes on that batch, instead of a per-replica
    version that ignores pairs straddling replicas. Gradients flow back to
    each replica's own rows (the all-gather's gradient sums the replicas'
    upstream gradients). Off-strategy, or with one replica, `values` itself.

    Example:

    >>> int(gather_global_batch(tf.zeros((3, 2))).shape[0])
    3
    """
    ctx = tf.distribute.get_replica_context()
    if ctx is not None and ctx.num_replicas_in_sync > 1:
        return ctx.all_gather(values, axis=0)
    return values
