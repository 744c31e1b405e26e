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
