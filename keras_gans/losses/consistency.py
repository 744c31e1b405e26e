"""Consistency regularization terms for GAN discriminators and generators.

* CR (Zhang, Zhang, Odena & Lee 2020, "Consistency Regularization for
  Generative Adversarial Networks", ICLR 2020): D's output on a real image
  and on an augmented copy should agree, lambda * ||D(x) - D(T(x))||^2 added
  to D's loss (lambda = 10).
* bCR (Zhao, Zhang, Chen, Singh & Zhang 2021, "Improved Consistency
  Regularization for GANs", AAAI 2021): the same on real AND generated
  images, lambda_real = lambda_fake = 10.
* zCR (same paper): perturb z by dz ~ N(0, sigma_noise^2 I), sigma_noise =
  0.03; D's outputs on G(z) and G(z + dz) should agree (lambda_dis = 5, in D's
  loss) and G's outputs should differ (G's loss gets -lambda_gen ||G(z) -
  G(z + dz)||^2, lambda_gen = 0.5), which keeps G from collapsing the
  perturbation.

Every term is per example (shape [batch]): the GAN base class reduces them
with the global batch size. The squared distance of images is the mean over
pixels (so lambda_gen does not scale with the resolution); of logits, the sum
over D's outputs (one logit: the plain square).

Example:

>>> float(consistency_penalty(tf.constant([[1.0]]), tf.constant([[3.0]]))[0])
4.0
"""

import tensorflow as tf

#: The papers' weights.
CR_WEIGHT = 10.0
BCR_REAL_WEIGHT = 10.0
BCR_FAKE_WEIGHT = 10.0
ZCR_DISCRIMINATOR_WEIGHT = 5.0
ZCR_GENERATOR_WEIGHT = 0.5
ZCR_SIGMA = 0.03


def _flat(x):
    x = tf.convert_to_tensor(x)
    return tf.reshape(x, [tf.shape(x)[0], -1])


def consistency_penalty(logits, augmented_logits):
    """||D(x) - D(T(x))||^2 per example: the sum of squared differences of D's outputs."""
    diff = _flat(logits) - tf.cast(_flat(augmented_logits), _flat(logits).dtype)
    return tf.reduce_sum(tf.square(diff), axis=1)


def perturb_latents(z, noise, sigma=ZCR_SIGMA):
    """z + sigma * noise, noise ~ N(0, I) drawn by the caller (its replica-exact stream)."""
    z = tf.convert_to_tensor(z)
    return z + tf.cast(sigma, z.dtype) * tf.cast(noise, z.dtype)


def image_distance(images, other):
    """The mean over pixels of (images - other)^2, per example."""
    diff = _flat(images) - tf.cast(_flat(other), _flat(images).dtype)
    return tf.reduce_mean(tf.square(diff), axis=1)


def zcr_generator_term(fake, fake_perturbed, weight=ZCR_GENERATOR_WEIGHT):
    """The term zCR adds to G's loss: -weight * ||G(z) - G(z + dz)||^2 (per example)."""
    return -weight * image_distance(fake, fake_perturbed)
