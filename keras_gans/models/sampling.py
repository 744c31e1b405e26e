"""Sampling from a trained GAN from Python: latents, label checks, images.

`SamplingMixin` is the numpy-facing side of `GAN`: `latents(n, seed)` draws
reproducible z on any machine, `check_labels` validates class labels with the
same message as the exported graphs, `generate` returns float images in
[-1, 1] and `sample` uint8 images. All run the inference generator
(`generator_ema` when kept) in inference mode.
"""

import numpy as np

from keras_gans.data.validation import to_uint8


class SamplingMixin:
    """Mixin of `GAN`: needs `latent_dim`, `num_classes` and `inference_generator`.

    Example:

    >>> gan = keras_gans.models.DCGAN(resolution=28, width=4, latent_dim=8)  # doctest: +SKIP
    >>> gan.sample(4, seed=0).shape  # doctest: +SKIP
    (4, 28, 28, 1)
    """

    def latents(self, n, seed=0):
        """Latents for `n` samples from `seed` (numpy float32, reproducible anywhere)."""
        return np.random.default_rng(seed).standard_normal(
            (int(n), self.latent_dim)).astype(np.float32)

    def check_labels(self, labels, n):
        """Validates labels for a conditional model; returns int32 numpy or None."""
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(
                    f"{type(self).__name__} is unconditional; do not pass labels."
                )
            return None
        if labels is None:
            raise ValueError(
                f"{type(self).__name__} is conditional: pass labels, integers in "
                f"[0, {self.num_classes - 1}] (one per sample)."
            )
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape[-1] == self.num_classes:
            labels = labels.argmax(-1)
        if labels.ndim == 0:
            labels = np.full((n,), int(labels))
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be integers; got dtype {labels.dtype}.")
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},); got {labels.shape}.")
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"labels must lie in [0, {self.num_classes - 1}]; got values in "
                f"[{labels.min()}, {labels.max()}]."
            )
        return labels.astype(np.int32)

    def check_training_labels(self, labels, images):
        """The labels of a training batch, checked as `check_labels` checks them.

        Integer dtype and shape (batch,) are checked when the step is traced;
        the range [0, num_classes) and the batch size in the graph, on every
        replica's rows, so a bad label stops `fit` with the message `generate`
        gives instead of training on a zero one-hot vector (out of range) or a
        truncated float. Returns int32 labels (None for an unconditional model).
        """
        import tensorflow as tf

        if self.num_classes is None:
            return None
        name = type(self).__name__
        if labels is None:
            raise ValueError(
                f"{name} is conditional: the dataset must yield (images, labels) with integer "
                f"labels in [0, {self.num_classes - 1}] "
                "(keras_gans.data.load(..., with_labels=True)).")
        labels = tf.convert_to_tensor(labels)
        if not labels.dtype.is_integer:
            raise ValueError(f"labels must be integers; got dtype {labels.dtype.name}. Cast "
                             "the dataset's labels to int32 (class indices, not one-hot).")
        if labels.shape.rank != 1:
            raise ValueError(f"labels must have shape (batch,); got {labels.shape}. Give class "
                             "indices, not one-hot vectors.")
        labels = tf.cast(labels, tf.int32)
        checks = [
            tf.debugging.Assert(
                tf.logical_and(tf.reduce_all(labels >= 0),
                               tf.reduce_all(labels < self.num_classes)),
                [f"labels must lie in [0, {self.num_classes - 1}]; got values in [",
                 tf.reduce_min(labels), tf.reduce_max(labels), "]"]),
            tf.debugging.Assert(
                tf.equal(tf.shape(labels)[0], tf.shape(images)[0]),
                ["labels must have one label per image; got", tf.shape(labels)[0],
                 "labels for", tf.shape(images)[0], "images"]),
        ]
        with tf.control_dependencies(checks):
            return tf.identity(labels)

    def generator_inputs(self, z, labels):
        """The generator's inputs for latents and (optional) labels."""
        return z if labels is None else [z, labels]

    def check_latents(self, z):
        """`z` as float32 numpy of shape (n, latent_dim), or a one-line error."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"z must have shape (n, {self.latent_dim}); got {z.shape}."
            )
        return z

    def generate(self, z, labels=None, batch_size=256):
        """Float images in [-1, 1] for latents `z` (numpy or tensor), in inference mode."""
        z = self.check_latents(z)
        labels = self.check_labels(labels, len(z))
        gen = self.inference_generator
        out = []
        for i in range(0, len(z), batch_size):
            lab = None if labels is None else labels[i:i + batch_size]
            out.append(np.asarray(gen(self.generator_inputs(z[i:i + batch_size], lab),
                                      training=False)))
        return np.concatenate(out, axis=0)

    def sample(self, n, seed=0, labels=None, batch_size=256):
        """`n` uint8 images (n, H, W, C); the same seed gives the same images."""
        return to_uint8(self.generate(self.latents(n, seed), labels=labels,
                                      batch_size=batch_size))
