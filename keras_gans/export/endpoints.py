"""The default export endpoints of a sampling GAN.

Endpoints run the inference generator in inference mode (BN moving statistics)
and are pure functions of their inputs: random ops inside an exported graph
would replay the same sequence after every reload.
"""

import tensorflow as tf

from keras_gans.export.savedmodel import images_to_uint8


def checked_labels(labels, num_classes):
    """`labels` with an in-graph range check (an out-of-range gather on a GPU
    silently returns zeros)."""
    in_range = tf.logical_and(tf.reduce_all(labels >= 0), tf.reduce_all(labels < num_classes))
    with tf.control_dependencies([tf.debugging.Assert(in_range, [
            f"labels must lie in [0, {num_classes - 1}]; got", labels])]):
        return tf.identity(labels)


def sampling_endpoints(generator, latent_dim, num_classes=None):
    """`serving_default` (uint8 images) and `generate` (floats) of a generator.

    Returns:
        A list of (name, fn, input_signature); the first is `serving_default`.

    Example:

    >>> endpoints = sampling_endpoints(gan.inference_generator, 100)  # doctest: +SKIP
    >>> [name for name, _, _ in endpoints]  # doctest: +SKIP
    ['serving_default', 'generate']
    """
    z_spec = tf.TensorSpec([None, latent_dim], tf.float32, name="z")
    if num_classes is None:
        def serve(z):
            return {"images": images_to_uint8(generator(z, training=False))}

        def generate(z):
            return {"images": generator(z, training=False)}

        signature = [z_spec]
    else:
        label_spec = tf.TensorSpec([None], tf.int32, name="labels")

        def serve(z, labels):
            images = generator([z, checked_labels(labels, num_classes)], training=False)
            return {"images": images_to_uint8(images)}

        def generate(z, labels):
            return {"images": generator([z, checked_labels(labels, num_classes)],
                                        training=False)}

        signature = [z_spec, label_spec]
    return [("serving_default", serve, signature), ("generate", generate, signature)]
