"""Dropout whose masks are identical on 1 or N replicas (pix2pix's noise source)."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_gans")
class ReplicaExactDropout(keras.layers.Layer):
    """Inverted dropout drawn with stateless ops for the GLOBAL batch.

    `keras.layers.Dropout` draws from a `SeedGenerator` whose state is the same
    on every replica, so under `tf.distribute` each replica applies the masks
    of the first rows of a single-device batch to its own rows: a step on two
    replicas then differs from the same step on one device. This layer draws
    the mask of the whole global batch from (seed, call counter) and keeps
    this replica's rows, so every example gets the same mask on 1 or N
    replicas. The counter is a saved variable advanced on every training call.

    pix2pix (Isola et al. 2017, section 2.1) uses dropout as the generator's
    only noise, at training AND at test time; call the generator with
    `training=True` to sample that way.

    Args:
        rate: fraction of units dropped (0.5 in pix2pix).
        seed: seed of the masks.

    Example:

    >>> layer = ReplicaExactDropout(0.5, seed=1)
    >>> y = layer(np.ones((2, 4), "float32"), training=True)
    >>> sorted(set(np.unique(y.numpy()).tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
    """

    def __init__(self, rate, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        if not 0.0 <= self.rate < 1.0:
            raise ValueError(f"rate must be in [0, 1); got {rate}.")
        self.seed = int(seed)

    def build(self, input_shape):
        self.calls = self.add_weight(shape=(), dtype="int64", initializer="zeros",
                                     trainable=False, name="calls",
                                     aggregation="only_first_replica")

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        ctx = tf.distribute.get_replica_context()
        replicas = 1 if ctx is None else ctx.num_replicas_in_sync
        shape = tf.shape(inputs)
        seed = tf.random.experimental.stateless_fold_in(
            tf.constant([self.seed, 0xD80], tf.int64), tf.convert_to_tensor(self.calls),
            alg="philox")
        global_shape = tf.concat([[shape[0] * replicas], shape[1:]], axis=0)
        keep = tf.random.stateless_uniform(global_shape, seed, dtype=inputs.dtype) >= self.rate
        if replicas > 1:
            start = tf.cast(ctx.replica_id_in_sync_group, tf.int32) * shape[0]
            keep = keep[start:start + shape[0]]
        with tf.control_dependencies([keep]):
            self.calls.assign_add(1)
        return tf.where(keep, inputs / (1.0 - self.rate), tf.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
