"""Minibatch standard deviation (ProGAN, StyleGAN, StyleGAN2 discriminators)."""

import tensorflow as tf

import keras


@keras.saving.register_keras_serializable(package="keras_gans")
class MinibatchStandardDeviation(keras.layers.Layer):
    """Appends the average within-group standard deviation as feature maps.

    Karras et al. 2018, "Progressive Growing of GANs", section 3: a
    simplified form of Salimans et al. 2016's minibatch discrimination that
    lets the discriminator see how varied a batch is, which discourages mode
    collapse. For a batch `(N, H, W, C)`:

    1. split the batch into `N / G` groups of `G = min(group_size, N)`
       samples; sample `n` belongs to group `n mod (N / G)` (the official
       code reshapes the batch as `[G, N / G, ...]`),
    2. split the channels into `num_features` slices of `C / num_features`,
    3. take the standard deviation of every feature over each group
       (biased variance, `sqrt(var + 1e-8)`),
    4. average it over the pixels and the channels of each slice,
    5. append the `num_features` averages as constant feature maps to every
       sample of the group.

    `num_features=1` is ProGAN and StyleGAN; StyleGAN2 keeps 1 by default.
    The statistic is computed in float32 (or wider).

    The batch size must be smaller than `group_size` or a multiple of it
    (the official code has the same requirement; it would otherwise mix
    samples from different groups). A violation raises a `ValueError` when
    the batch size is static, or an `InvalidArgumentError` naming this layer
    at run time when it is dynamic (XLA-compiled functions skip the check
    and fail later in a reshape instead).

    Args:
        group_size: samples per group, clamped to the batch size.
        num_features: number of statistics (channel slices) appended.
        epsilon: added to the variance before the square root.

    Example:

    >>> layer = MinibatchStandardDeviation(group_size=4)
    >>> layer(np.random.rand(8, 4, 4, 16).astype("float32")).shape
    TensorShape([8, 4, 4, 17])
    """

    def __init__(self, group_size=4, num_features=1, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        if int(group_size) < 1 or int(num_features) < 1:
            raise ValueError(
                "group_size and num_features must be positive; got "
                f"group_size={group_size}, num_features={num_features}."
            )
        self.group_size = int(group_size)
        self.num_features = int(num_features)
        self.epsilon = float(epsilon)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % self.num_features != 0:
            raise ValueError(
                f"The channels ({channels}) must be defined and divisible by "
                f"num_features={self.num_features}."
            )

    def _divisibility_message(self, batch):
        return (
            f"{self.name}: the batch size {batch} must be at most group_size="
            f"{self.group_size} or a multiple of it, so that it splits into "
            "equal groups."
        )

    def _group_size_and_checks(self, x):
        """The group size for `x`'s batch and the run-time divisibility checks."""
        static_batch = x.shape[0]
        if static_batch is not None:
            group = min(self.group_size, static_batch)
            if static_batch % group:
                raise ValueError(self._divisibility_message(static_batch))
            return group, []
        batch = tf.shape(x)[0]
        group = tf.minimum(self.group_size, batch)
        message = self._divisibility_message("<see below>")
        return group, [tf.debugging.Assert(tf.equal(batch % group, 0), [message, batch])]

    def call(self, inputs):
        x = inputs
        shape = tf.shape(x)
        batch, height, width = shape[0], shape[1], shape[2]
        channels = x.shape[-1]
        group, checks = self._group_size_and_checks(x)
        with tf.control_dependencies(checks):
            stat_dtype = tf.float32 if x.dtype in (tf.float16, tf.bfloat16) else x.dtype
            y = tf.cast(x, stat_dtype)
            # [G, M, H, W, F, C/F]: sample n = g * M + m, channel j = f * C/F + c.
            y = tf.reshape(
                y, [group, -1, height, width, self.num_features, channels // self.num_features]
            )
            y = y - tf.reduce_mean(y, axis=0, keepdims=True)
            y = tf.sqrt(tf.reduce_mean(tf.square(y), axis=0) + self.epsilon)  # [M,H,W,F,c]
            y = tf.reduce_mean(y, axis=[1, 2, 4])  # [M, F]
            # Row n of the tiled [G * M, F] is group n mod M, matching the split.
            y = tf.tile(tf.cast(y, x.dtype), [group, 1])
            y = tf.broadcast_to(y[:, None, None, :], [batch, height, width, self.num_features])
        return tf.concat([x, y], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + self.num_features,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "group_size": self.group_size,
                "num_features": self.num_features,
                "epsilon": self.epsilon,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_gans")
class ConsecutiveMinibatchStd(MinibatchStandardDeviation):
    """`MinibatchStandardDeviation` over groups of CONSECUTIVE samples.

    The layer (like the official code) puts sample `n` of a batch of `N` in
    group `n mod (N / G)`. Here group `k` is samples `[k G, (k + 1) G)`
    instead: the same statistic for i.i.d. batches, but the groups no longer
    depend on how a global batch is split over replicas, so one step on N
    replicas equals one step on one device with the global batch (as long as
    each replica's batch is a multiple of the group size). Implemented by
    reordering the batch around the parent layer (two gathers).
    """

    def call(self, inputs):
        x = inputs
        batch = tf.shape(x)[0]
        group, checks = self._group_size_and_checks(x)
        with tf.control_dependencies(checks):
            # Position g * M + k holds sample k * G + g: the parent's group k
            # (positions = k mod M) is then samples k G ... k G + G - 1.
            order = tf.reshape(tf.transpose(tf.reshape(tf.range(batch), [-1, group])), [-1])
        y = super().call(tf.gather(x, order))
        return tf.gather(y, tf.math.invert_permutation(order))
