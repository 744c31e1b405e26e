"""Sampling from a trained GAN from Python: latents, label checks, images.

`SamplingMixin` is the numpy-facing side of `GAN`: `latents(n, seed)` draws
reproducible z on any machine, `check_labels` validates class labels with the
same message as the exported graphs, `generate` returns float32 images in
[-1, 1] and `sample` uint8 images. All run the inference generator
(`generator_ema` when kept) in inference mode.

They run it through compiled functions (`run_compiled`): one `tf.function`
per (call, non-batch input shapes and dtypes, generator precision), traced
once with a free batch dimension, so no call retraces and the Python API runs
the same graph an exported SavedModel does (an eager Keras call was 7.5-9.5x
slower at batch 1 and 1.4-1.7x at 256, issue 16; `scripts/bench_sampling.py`
measures both).
"""

import numpy as np
import tensorflow as tf

from keras_gans.data.validation import to_uint8


def _float32(images):
    # Mixed-precision generators compute in 16 bits; callers get float32.
    return tf.cast(images, tf.float32)


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

    # ---------------------------------------------------------- compiled calls
    def run_compiled(self, name, fn, *tensors):
        """`fn(*tensors)` through a `tf.function` cached on this model.

        The function is traced once per (`name`, non-batch shapes and dtypes of
        `tensors`, the inference generator and its dtype policy), with the
        batch dimension free: every batch size reuses one trace. `fn` must be
        a pure function of its tensor arguments (other values it closes over
        must be fixed per `name`); a new precision (`compile(mixed_precision=
        ...)`) or a new inference generator traces anew.

        Example:

        >>> z = tf.zeros([4, gan.latent_dim])  # doctest: +SKIP
        >>> gan.run_compiled("generate", lambda z: gan.generator(z), z).shape  # doctest: +SKIP
        TensorShape([4, 28, 28, 1])
        """
        tensors = tuple(tf.convert_to_tensor(t) for t in tensors)
        gen = self.inference_generator
        key = (name, id(gen), gen.dtype_policy.name,
               tuple((tuple(t.shape[1:]), t.dtype.name) for t in tensors))
        cache = self.__dict__.get("_compiled_sampling")
        if cache is None:
            cache = {}
            # Not a tracked attribute: Keras and SavedModel export ignore it.
            object.__setattr__(self, "_compiled_sampling", cache)
        function = cache.get(key)
        if function is None:
            signature = [tf.TensorSpec([None] + list(t.shape[1:]), t.dtype) for t in tensors]
            # The concrete function: calling it skips tf.function's trace
            # lookup (most of a batch-1 call's overhead). Traced through
            # positional-only arguments: a parameter with a default in `fn`'s
            # own signature (`labels=None`) made every call bind it, 1 ms of a
            # 1.5 ms StyleGAN2 mapping call at batch 1 (0.2 ms for a toy fn).
            function = tf.function(lambda *args: fn(*args),
                                   input_signature=signature).get_concrete_function()
            cache[key] = function
        return function(*tensors)

    def sampling_trace_count(self):
        """How many times the compiled sampling functions were traced (for tests)."""
        cache = self.__dict__.get("_compiled_sampling") or {}
        return len(cache)

    def generator_inputs(self, z, labels):
        """The generator's inputs for latents and (optional) labels."""
        return z if labels is None else [z, labels]

    def check_latents(self, z, name="z"):
        """`z` as float32 numpy of shape (n, latent_dim), or a one-line error
        naming the argument (`name`)."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{name} must have shape (n, {self.latent_dim}); got {z.shape}.")
        return z

    def generate(self, z, labels=None, batch_size=256):
        """Float32 images in [-1, 1] for latents `z` (numpy or tensor), in inference mode.

        Runs compiled (`run_compiled`) in chunks of `batch_size`.
        """
        return self._generate_compiled(z, labels, batch_size, uint8=False)

    def sample(self, n, seed=0, labels=None, batch_size=256):
        """`n` uint8 images (n, H, W, C); the same seed gives the same images.

        The uint8 conversion runs inside the compiled function (as in the
        SavedModel's `serving_default`), rounding like `to_uint8`.
        """
        z = self.latents(n, seed)
        if type(self).generate is not SamplingMixin.generate:
            # A family with its own `generate` (ProGAN's level and alpha): its images.
            return to_uint8(self.generate(z, labels=labels, batch_size=batch_size))
        return self._generate_compiled(z, labels, batch_size, uint8=True)

    def _generate_compiled(self, z, labels, batch_size, uint8):
        z = self.check_latents(z)
        labels = self.check_labels(labels, len(z))
        gen = self.inference_generator

        from keras_gans.export.savedmodel import images_to_uint8

        def finish(images):
            images = _float32(images)
            # images_to_uint8 rounds half to even (tf.round), like np.rint in to_uint8.
            return images_to_uint8(images) if uint8 else images

        if labels is None:
            def run(z):
                return finish(gen(z, training=False))
        else:
            def run(z, labels):
                return finish(gen([z, labels], training=False))
        name = "sample" if uint8 else "generate"
        out = []
        for i in range(0, len(z), int(batch_size)):
            args = (z[i:i + batch_size],) if labels is None else (
                z[i:i + batch_size], labels[i:i + batch_size])
            out.append(self.run_compiled(name, run, *args).numpy())
        return out[0] if len(out) == 1 else np.concatenate(out, axis=0)
