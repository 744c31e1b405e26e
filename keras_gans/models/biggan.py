"""BigGAN (Brock, Donahue & Simonyan 2019, "Large Scale GAN Training for High
Fidelity Natural Image Synthesis", ICLR 2019, arXiv:1809.11096).

On top of SAGAN (`keras_gans.models.sagan`: ResNet G and D, self-attention,
spectral norm in G and D, projection D with sum pooling, hinge loss):

* a shared class embedding e(y) (one table, `shared_dim` wide) feeds every
  conditional BN of G; each BN's gain is 1 + linear(c) and its bias
  linear(c) (`SharedEmbeddingBatchNorm`), with c = [e(y), z_i];
* a hierarchical latent: z is split into equal chunks, the first feeds the
  4x4 projection, chunk i + 1 is concatenated with e(y) for block i (both of
  its BNs);
* orthogonal regularization of G (Section 3.1, Eq. 3: beta ||W^T W * (1 - I)||^2,
  off-diagonal only, `ortho_beta` = 1e-4, the shared embedding excluded, as
  BigGAN-PyTorch), logged as `g_ortho`;
* EMA of G's weights (`ema_decay`), used for sampling and export;
* the truncation trick as the paper defines it (Section 3.1): latents drawn
  from N(0, I) with every value of magnitude above the threshold resampled,
  `truncated_latents(n, seed, threshold)` and the exported `truncated`
  endpoint, whose threshold is an input (one per row). threshold = inf is
  plain N(0, I).

Defaults: hinge loss, Adam(2e-4) for D and Adam(5e-5) for G, beta_1 = 0,
beta_2 = 0.999, two D steps per G step (the paper's 128x128 settings).
"""

import numpy as np
import keras
import tensorflow as tf
from keras import ops

from keras_gans.losses.penalties import orthogonal_penalty
from keras_gans.models.conditioning import check_num_classes
from keras_gans.models.conditioning import label_embedding, label_input
from keras_gans.losses import adversarial
from keras_gans.models.options import Option, positive_int
from keras_gans.models.registry import register_family
from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.sagan import (build_resnet_discriminator, channels_at,
                                     check_attention_resolution, generator_block,
                                     generator_output, resnet_stages, spectral)


@keras.saving.register_keras_serializable(package="keras_gans")
class SharedEmbeddingBatchNorm(keras.layers.Layer):
    """BigGAN's conditional BN: BN(x) * (1 + W_g c) + W_b c for a conditioning vector c.

    c is the shared class embedding concatenated with this block's latent
    chunk. The normalization is a synchronized, affine-free
    `keras.layers.BatchNormalization`; the gain and bias maps are bias-free
    dense layers (spectrally normalized, as BigGAN-PyTorch's `SNLinear`),
    initialized to zero so that an untrained layer is plain BN.
    (`keras_gans.layers.ConditionalBatchNormalization` selects per-class
    table rows instead: it cannot take a continuous c.)

    Example:

    >>> bn = SharedEmbeddingBatchNorm()
    >>> x, c = np.random.rand(4, 2, 2, 8).astype("float32"), np.ones((4, 5), "float32")
    >>> bn([x, c], training=True).shape
    TensorShape([4, 2, 2, 8])
    """

    def __init__(self, momentum=0.9, epsilon=1e-5, spectral_norm=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.spectral_norm = bool(spectral_norm)
        self.batch_norm = keras.layers.BatchNormalization(
            momentum=self.momentum, epsilon=self.epsilon, center=False, scale=False,
            synchronized=True, dtype=self.dtype_policy, name="batch_norm")

    def build(self, input_shape):
        x_shape, c_shape = tuple(input_shape[0]), tuple(input_shape[1])
        channels = int(x_shape[-1])
        self.batch_norm.build(x_shape)
        self.gain = spectral(keras.layers.Dense(channels, use_bias=False,
                                                kernel_initializer="zeros",
                                                dtype=self.dtype_policy, name="gain"),
                             self.spectral_norm)
        self.bias = spectral(keras.layers.Dense(channels, use_bias=False,
                                                kernel_initializer="zeros",
                                                dtype=self.dtype_policy, name="bias"),
                             self.spectral_norm)
        self.gain.build(c_shape)
        self.bias.build(c_shape)

    def _dense(self, layer, c, training):
        return layer(c, training=training) if self.spectral_norm else layer(c)

    def call(self, inputs, training=None):
        x, c = inputs
        h = self.batch_norm(x, training=training)
        gain = 1.0 + self._dense(self.gain, c, training)
        bias = self._dense(self.bias, c, training)
        return h * gain[:, None, None, :] + bias[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon,
                "spectral_norm": self.spectral_norm}


@keras.saving.register_keras_serializable(package="keras_gans")
class LatentChunks(keras.layers.Layer):
    """Splits z [B, n * k] into n chunks [B, k] (BigGAN's hierarchical latent)."""

    def __init__(self, num_chunks, **kwargs):
        super().__init__(**kwargs)
        self.num_chunks = int(num_chunks)

    def call(self, z):
        return ops.split(z, self.num_chunks, axis=-1)

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], input_shape[-1] // self.num_chunks)] * self.num_chunks

    def get_config(self):
        return {**super().get_config(), "num_chunks": self.num_chunks}


def build_biggan_generator(resolution, channels, latent_dim, width, num_classes, shared_dim,
                           attention_resolution, name="generator"):
    """G([z, y]) with a shared class embedding and a hierarchical z.

    Example:

    >>> g = build_biggan_generator(8, 1, 4, 8, num_classes=3, shared_dim=4,
    ...                            attention_resolution=None)
    >>> tuple(g.output.shape)
    (None, 8, 8, 1)
    """
    stages = resnet_stages(resolution)
    if latent_dim % (stages + 1):
        raise ValueError(
            f"BigGAN splits z into {stages + 1} equal chunks (one for the 4x4 projection and "
            f"one per block at resolution {resolution}): latent_dim must be a multiple of "
            f"{stages + 1}; got {latent_dim}.")
    z = keras.Input((latent_dim,), name="z")
    labels = label_input()
    chunks = LatentChunks(stages + 1, name="z_chunks")(z)
    shared = label_embedding(labels, num_classes, shared_dim, name="shared_embedding")
    top = channels_at(4, resolution, width)
    x = spectral(keras.layers.Dense(4 * 4 * top, use_bias=False,  # a BN follows
                                    kernel_initializer=keras.initializers.Orthogonal(),
                                    name="project"))(chunks[0])
    x = keras.layers.Reshape((4, 4, top), name="reshape")(x)

    def norm(layer_name):
        return SharedEmbeddingBatchNorm(name=layer_name)

    size = 4
    for i in range(stages):
        size *= 2
        condition = keras.layers.Concatenate(name=f"up{i}_condition")([shared, chunks[i + 1]])
        x = generator_block(x, condition, channels_at(size, resolution, width), norm, f"up{i}")
        if attention_resolution == size:
            from keras_gans.layers.attention import SelfAttention2D

            x = SelfAttention2D(name=f"attention{size}")(x)
    return keras.Model([z, labels], generator_output(x, channels), name=name)


def resample_beyond(z, threshold, seed, max_rounds=1000):
    """The truncation trick (Brock et al. 2019): values with |z| > threshold redrawn from N(0, 1).

    Pure: the redraws come from `tf.random.stateless_normal` seeded by
    (`seed`, round). `threshold` broadcasts against z (a scalar or [n, 1]);
    threshold = inf returns z unchanged.

    Example:

    >>> z = tf.constant([[0.1, 3.0, -2.5]])
    >>> out = resample_beyond(z, 1.0, seed=[0, 1])
    >>> bool(tf.reduce_all(tf.abs(out) <= 1.0)) and float(out[0, 0]) == np.float32(0.1)
    True
    """
    z = tf.convert_to_tensor(z, tf.float32)
    threshold = tf.cast(threshold, tf.float32)
    seed = tf.cast(seed, tf.int64)

    def cond(i, z):
        return tf.logical_and(i < max_rounds, tf.reduce_any(tf.abs(z) > threshold))

    def body(i, z):
        fresh = tf.random.stateless_normal(tf.shape(z), tf.random.experimental.stateless_fold_in(
            seed, tf.cast(i, tf.int64)))
        return i + 1, tf.where(tf.abs(z) > threshold, fresh, z)

    _, z = tf.while_loop(cond, body, (tf.constant(0), z))
    return z


def seeded_truncated_latents(seeds, thresholds, latent_dim):
    """One latent per integer seed, truncated at that row's threshold (stateless).

    Row i is N(0, I) from seed (seeds[i], 0) with values beyond thresholds[i]
    redrawn from seed (seeds[i], 1): the same seed and threshold give the same
    row in any batch, and threshold = inf gives the plain draw.
    """
    seeds = tf.cast(tf.reshape(seeds, [-1]), tf.int64)
    thresholds = tf.cast(tf.reshape(thresholds, [-1]), tf.float32)

    def one(args):
        s, t = args
        z = tf.random.stateless_normal([latent_dim], tf.stack([s, tf.constant(0, tf.int64)]))
        return resample_beyond(z, t, tf.stack([s, tf.constant(1, tf.int64)]))

    return tf.map_fn(one, (seeds, thresholds), fn_output_signature=tf.float32)


@register_family("biggan")
class BigGAN(ConfigurableGAN):
    """Class-conditional BigGAN (Brock et al. 2019).

    Args:
        resolution, channels, width, num_classes, attention_resolution: see
            `keras_gans.models.SAGAN`.
        latent_dim: size of z, a multiple of (number of G blocks + 1).
        shared_dim: size of the shared class embedding (the paper: 128).
        ortho_beta: strength of the orthogonal regularization of G (1e-4;
            0 turns it off).
        ema_decay, seed: see `keras_gans.models.GAN` (the paper: 0.9999).

    `compile` defaults: `loss="hinge"`, `d_steps=2`, Adam(2e-4) for D,
    Adam(5e-5) for G, beta_1 = 0, beta_2 = 0.999.

    Example:

    >>> gan = BigGAN(resolution=8, latent_dim=4, width=8, num_classes=3, shared_dim=4)
    >>> gan.compile(d_steps=1)
    >>> gan.sample(2, labels=[0, 2], truncation=0.5).shape
    (2, 8, 8, 1)
    """

    example_config = {"resolution": 8, "channels": 1, "latent_dim": 4, "width": 8,
                      "num_classes": 3, "shared_dim": 4, "attention_resolution": 4,
                      "ema_decay": 0.5}

    def __init__(self, resolution=32, channels=1, latent_dim=120, width=64, num_classes=10,
                 shared_dim=128, attention_resolution=16, ortho_beta=1e-4, ema_decay=None,
                 seed=0, **kwargs):
        self.num_classes = check_num_classes(num_classes, type(self).__name__)
        self.resolution = int(resolution)
        self.channels = int(channels)
        resnet_stages(self.resolution)
        self.attention_resolution = check_attention_resolution(attention_resolution,
                                                               self.resolution)
        if int(width) % 8:
            raise ValueError(f"width must be a multiple of 8 (attention uses C/8); got {width}.")
        self.shared_dim = int(shared_dim)
        self.ortho_beta = float(ortho_beta)
        if self.ortho_beta < 0:
            raise ValueError(f"ortho_beta must be >= 0; got {ortho_beta}.")
        for key in ("data_shape", "architecture", "generator_options", "discriminator_options"):
            kwargs.pop(key, None)
        super().__init__(data_shape=(self.resolution, self.resolution, self.channels),
                         latent_dim=latent_dim, architecture="resnet", width=width,
                         ema_decay=ema_decay, seed=seed, num_classes=self.num_classes, **kwargs)

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        generator = build_biggan_generator(self.resolution, self.channels, latent_dim, width,
                                           self.num_classes, self.shared_dim,
                                           self.attention_resolution)
        discriminator = build_resnet_discriminator(self.resolution, self.channels, width,
                                                   self.num_classes, self.attention_resolution)
        return generator, discriminator

    def architecture_config(self):
        return {"resolution": self.resolution, "channels": self.channels,
                "latent_dim": self.latent_dim, "width": self.width,
                "num_classes": self.num_classes, "shared_dim": self.shared_dim,
                "attention_resolution": self.attention_resolution,
                "ortho_beta": self.ortho_beta}

    # ----------------------------------------------------------- training
    def extra_metric_names(self):
        return ("g_ortho",)

    def orthogonal_weights(self):
        """G's kernels (rank >= 2) under orthogonal regularization: all but the shared embedding."""
        excluded = {id(v) for v in self.generator.get_layer("shared_embedding").weights}
        return [v for v in self.generator.trainable_weights
                if len(v.shape) >= 2 and id(v) not in excluded]

    def compute_generator_loss(self, fake, labels=None, real=None):
        terms = super().compute_generator_loss(fake, labels, real=real)
        if self.ortho_beta > 0:
            ortho = tf.add_n([orthogonal_penalty(v, self.ortho_beta)
                              for v in self.orthogonal_weights()])
        else:
            ortho = tf.constant(0.0)
        # A per-batch term broadcast over the examples: the base class sums the
        # per-example loss over the global batch and divides by its size, so
        # the term counts once on any number of replicas.
        terms["g_loss"] = terms["g_loss"] + ortho
        terms["g_ortho"] = ortho
        return terms

    options = (
        Option("loss", "hinge", "adversarial loss (the paper's hinge)", check=adversarial.get,
               attr="adversarial_loss"),
        Option("d_steps", 2, "D updates per G update (the paper: 2)", check=positive_int),
    )

    def default_optimizers(self):
        return (keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.999),
                keras.optimizers.Adam(5e-5, beta_1=0.0, beta_2=0.999))

    # ----------------------------------------------------------- sampling
    def truncated_latents(self, n, seed=0, threshold=None):
        """`latents(n, seed)` with every |z| > threshold redrawn (None or inf: no truncation)."""
        z = self.latents(n, seed)
        if threshold is None or np.isinf(threshold):
            return z
        threshold = float(threshold)
        if threshold <= 0:
            raise ValueError(f"The truncation threshold must be positive; got {threshold}.")
        rng = np.random.default_rng([int(seed), 1])
        bad = np.abs(z) > threshold
        while bad.any():
            z[bad] = rng.standard_normal(int(bad.sum())).astype(np.float32)
            bad = np.abs(z) > threshold
        return z

    def sample(self, n, seed=0, labels=None, batch_size=256, truncation=None):
        """`n` uint8 images; `truncation`: the threshold of the truncation trick (None: off)."""
        from keras_gans.data.validation import to_uint8

        return to_uint8(self.generate(self.truncated_latents(n, seed, truncation), labels=labels,
                                      batch_size=batch_size))

    def export_endpoints(self):
        """The default endpoints plus `truncated(seeds, truncation, labels)`.

        `truncated` draws z from per-row integer seeds (stateless) and
        resamples every value beyond that row's threshold, so it is a pure
        function of its inputs; a threshold of inf is no truncation.
        """
        from keras_gans.export.savedmodel import images_to_uint8

        endpoints = list(super().export_endpoints())
        gen = self.inference_generator
        latent_dim, num_classes = self.latent_dim, self.num_classes

        def truncated(seeds, truncation, labels):
            in_range = tf.logical_and(tf.reduce_all(labels >= 0),
                                      tf.reduce_all(labels < num_classes))
            check = tf.debugging.Assert(in_range, [
                f"labels must lie in [0, {num_classes - 1}]; got", labels])
            positive = tf.debugging.Assert(tf.reduce_all(truncation > 0), [
                "truncation thresholds must be positive; got", truncation])
            with tf.control_dependencies([check, positive]):
                z = seeded_truncated_latents(seeds, truncation, latent_dim)
                images = gen([z, labels], training=False)
            return {"images": images_to_uint8(images), "z": z}

        signature = [tf.TensorSpec([None], tf.int32, name="seeds"),
                     tf.TensorSpec([None], tf.float32, name="truncation"),
                     tf.TensorSpec([None], tf.int32, name="labels")]
        endpoints.append(("truncated", truncated, signature))
        return endpoints
