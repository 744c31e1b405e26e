"""Per-example loss terms of the image-to-image translation families.

Every function returns a tensor of shape `[batch]` (one value per example);
the model reduces it by the global batch size in one place, so a step on N
replicas applies the same update as one device on the same global batch.

* `l1_distance`: pix2pix's `lambda * ||y - G(x)||_1` term, CycleGAN's cycle
  and identity terms, StarGAN's reconstruction term (all mean absolute error
  over the pixels of each example, as the reference implementations use
  `nn.L1Loss` = the mean over all elements).
* `style_reconstruction`: StarGAN v2's `E_s ||s - E_y(G(x, s))||_1`.
* `diversity`: StarGAN v2's diversity-sensitive term
  `||G(x, s1) - G(x, s2)||_1` (maximized: the generator SUBTRACTS it).
* `domain_classification`: StarGAN's softmax cross-entropy of the domain head.

Example:

>>> a = tf.zeros((2, 4, 4, 1)); b = tf.ones((2, 4, 4, 1))
>>> l1_distance(a, b).numpy()
array([1., 1.], dtype=float32)
"""

import tensorflow as tf


def _flat_mean(x):
    x = tf.convert_to_tensor(x)
    if x.shape.rank is not None and x.shape.rank < 1:
        raise ValueError(f"Loss terms need a batch axis; got a tensor of shape {x.shape}.")
    if x.shape.rank == 1:
        return x
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def l1_distance(x, y):
    """Mean absolute difference per example: `[batch]`.

    Example:

    >>> l1_distance(tf.constant([[1.0, 3.0]]), tf.constant([[0.0, 0.0]])).numpy()
    array([2.], dtype=float32)
    """
    x = tf.convert_to_tensor(x)
    y = tf.cast(y, x.dtype)
    if x.shape.rank is not None and y.shape.rank is not None and x.shape[1:] != y.shape[1:]:
        raise ValueError(f"l1_distance needs two tensors of one shape; got {x.shape} and "
                         f"{y.shape}.")
    return _flat_mean(tf.abs(x - y))


def cycle_loss(original, reconstructed):
    """CycleGAN's cycle-consistency term `||F(G(x)) - x||_1`, per example."""
    return l1_distance(original, reconstructed)


def identity_loss(target_domain_image, mapped):
    """CycleGAN's identity term `||G(y) - y||_1` (Taigman et al. 2017), per example."""
    return l1_distance(target_domain_image, mapped)


def style_reconstruction(style, style_of_output):
    """StarGAN v2's style reconstruction `||s - E_y(G(x, s))||_1`, per example."""
    return l1_distance(style, style_of_output)


def diversity(output_1, output_2):
    """StarGAN v2's diversity-sensitive term `||G(x, s1) - G(x, s2)||_1`, per example.

    The generator MAXIMIZES it: add `-weight * diversity(...)` to its loss.
    """
    return l1_distance(output_1, output_2)


def domain_classification(logits, domains):
    """Softmax cross-entropy of a domain classifier head, per example.

    Args:
        logits: `[batch, num_domains]` (or `[batch, 1, 1, num_domains]`).
        domains: int `[batch]` target domain indices.
    """
    logits = tf.convert_to_tensor(logits)
    logits = tf.reshape(logits, [tf.shape(logits)[0], -1])
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(domains, tf.int32), logits=logits)


def least_squares_discriminator(real_logits, fake_logits):
    """LSGAN D loss as CycleGAN uses it: `(D(y) - 1)^2 + D(G(x))^2`, per example.

    CycleGAN's PyTorch code weights the D objective by 0.5 ("we divide the
    objective by 2 while optimizing D"); the family applies that factor.
    """
    return _flat_mean(tf.square(real_logits - 1.0)) + _flat_mean(tf.square(fake_logits))


def least_squares_generator(fake_logits):
    """LSGAN G loss `(D(G(x)) - 1)^2`, per example."""
    return _flat_mean(tf.square(fake_logits - 1.0))


def non_saturating_discriminator(real_logits, fake_logits):
    """`-log D(y) - log(1 - D(G(x)))` on logits, per example (patch mean)."""
    real = tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(real_logits), real_logits)
    fake = tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros_like(fake_logits), fake_logits)
    return _flat_mean(real) + _flat_mean(fake)


def non_saturating_generator(fake_logits):
    """`-log D(G(x))` on logits, per example (patch mean)."""
    return _flat_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(fake_logits),
                                                              fake_logits))


def wasserstein_discriminator(real_logits, fake_logits):
    """WGAN critic loss `D(G(x)) - D(y)`, per example (patch mean)."""
    return _flat_mean(fake_logits) - _flat_mean(real_logits)


def wasserstein_generator(fake_logits):
    """WGAN generator loss `-D(G(x))`, per example (patch mean)."""
    return -_flat_mean(fake_logits)


ADVERSARIAL = {
    "non_saturating": (non_saturating_discriminator, non_saturating_generator),
    "least_squares": (least_squares_discriminator, least_squares_generator),
    "wasserstein": (wasserstein_discriminator, wasserstein_generator),
}


def adversarial_pair(name):
    """(discriminator_loss, generator_loss) functions of a loss name."""
    if name not in ADVERSARIAL:
        raise ValueError(f"Unknown translation loss {name!r}; choose one of "
                         f"{sorted(ADVERSARIAL)}.")
    return ADVERSARIAL[name]
