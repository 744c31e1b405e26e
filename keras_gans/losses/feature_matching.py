"""Feature matching (Salimans et al. 2016, section 3.1) over the global batch.

G matches the mean of D's intermediate features on real data: the loss is
`|| E f(x) - E f(G(z)) ||^2` with the expectations over the GLOBAL batch, so a
step on N replicas equals the step on one device.
"""

import tensorflow as tf

from keras_gans.losses.reduction import global_batch_mean, global_sum


def _flat(features):
    features = tf.cast(tf.convert_to_tensor(features), tf.float32)
    return tf.reshape(features, [tf.shape(features)[0], -1])


def feature_matching_loss(real_features, fake_features):
    """||E f(x) - E f(G(z))||^2 (squared L2 of the difference of global batch means).

    A scalar per batch: reduce it with `reduce_batch_scalar` semantics (the
    models' `reduce` does).

    Example:

    >>> float(feature_matching_loss([[1.0, 0.0], [3.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]))
    5.0
    """
    diff = global_batch_mean(_flat(real_features)) - global_batch_mean(_flat(fake_features))
    return tf.reduce_sum(tf.square(diff))


def feature_matching_per_example(real_features, fake_features):
    """Per-example terms l_i whose global mean IS feature matching on the GLOBAL batch.

    Feature matching compares batch means, which do not split into
    per-example losses. With m_r, m_f the means over the global batch (summed
    across replicas), L = |m_r - m_f|^2 and dL/df_i = 2 (m_f - m_r) / B, so

        l_i = 2 stop_grad(m_f - m_r) . f_i + stop_grad(L - mean_j 2 (m_f - m_r) . f_j)

    has mean L and, reduced by the global batch size B like every loss, the
    gradient of L: one step on N replicas equals one step on one device.

    Example:

    >>> terms = feature_matching_per_example([[1.0, 0.0], [3.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]])
    >>> float(tf.reduce_mean(terms))
    5.0
    """
    real = _flat(real_features)
    fake = _flat(fake_features)

    def total(value):
        return global_sum(tf.stop_gradient(value))

    count = total(tf.cast(tf.shape(fake)[0], tf.float32))
    real_mean = total(tf.reduce_sum(real, axis=0)) / count
    fake_mean = total(tf.reduce_sum(fake, axis=0)) / count
    direction = 2.0 * (fake_mean - real_mean)
    linear = tf.reduce_sum(fake * direction, axis=-1)
    value = tf.reduce_sum(tf.square(fake_mean - real_mean))
    offset = value - total(tf.reduce_sum(linear)) / count
    return linear + tf.stop_gradient(offset)
