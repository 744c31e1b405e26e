"""StyleGAN (Karras, Laine & Aila 2019, "A Style-Based Generator Architecture
for Generative Adversarial Networks", CVPR 2019, arXiv:1812.04948).

The generator (figure 1b):

* a mapping network f: z -> w, 8 equalized fully connected layers with a
  0.01 learning-rate multiplier on pixel-normalized z
  (`karras_common.build_mapping_network`);
* a synthesis network g starting from a learned constant 4x4 input
  (initialized N(0, 1) as in StyleGAN2: StyleGAN's ones make the first AdaIN
  normalize a constant map, whose gradients are rounding noise); after
  every convolution: per-pixel noise with learned per-channel scales
  (section 3.2), bias, leaky ReLU and AdaIN with a per-layer affine style
  `A(w)` (eq. 1); two style layers per resolution, so `num_ws = 2 log2(R) - 2`;
* "bilinear" resampling (appendix C): nearest-neighbour 2x upsampling then a
  [1, 2, 1] binomial low-pass filter after each upsampling conv in G and
  before each downsampling conv in D;
* style-mixing regularization (section 3.1): with probability 0.9 a training
  sample takes its styles from two latents, switching at a random crossover
  layer (drawn per sample here; the official code draws one per minibatch,
  the expectation is the same);
* the truncation trick in W (section 3.3): `w' = w_avg + psi (w - w_avg)` on
  the first `truncation_cutoff = 8` layers, `w_avg` tracked during training as
  an exponential moving average (beta = 0.995) of the mapping's outputs.

The discriminator is ProGAN's with the same blur before downsampling.
Training follows the paper's FFHQ setup: non-saturating logistic loss with R1
regularization, gamma = 10 (applied every step here; StyleGAN2 makes it
lazy), Adam(0.001, beta_1=0, beta_2=0.99, epsilon=1e-8), EMA of G.
Deviation: no progressive growing (StyleGAN inherited it from ProGAN;
StyleGAN2 showed it is unnecessary); use `ProGAN` for growing.

The synthesis output is linear, as in the papers: training sees it
unclipped; `generate`, `synthesis`, `sample` and the endpoints clip it to
[-1, 1]. Noise never comes from graph RNG state: training draws explicit noise images
from the GAN's per-replica stream; sampling uses `noise_mode="const"` (stored
noise images, the default), `"random"` with an explicit integer seed per
sample, or `"none"`. Exported endpoints are therefore pure functions.

What users get (shared with StyleGAN2, which subclasses this family):
`sample(n, seed=..., truncation_psi=...)`, `mapping`, `synthesis`,
`style_mixing`, `mix_styles` (the papers' style-mixing figure), `interpolate`
(slerp in Z, lerp in W; PNG strip and GIF), and SavedModel endpoints
`serving_default(z, truncation_psi)`, `generate(z)`, `generate_seeded(z,
truncation_psi, noise_seed)`, `mapping(z)`, `synthesis(w)` and
`style_mixing(z1, z2, crossover)`.
"""

import numpy as np
import keras
import tensorflow as tf

from keras_gans.data.validation import to_uint8
from keras_gans.layers.equalized import BiasActivation, EqualizedConv2D, EqualizedDense
from keras_gans.layers.filters import blur_2d, upsample_2d
from keras_gans.layers.noise import NoiseInjection
from keras_gans.layers.normalization import AdaptiveInstanceNormalization
from keras_gans.losses import penalties
from keras_gans.losses.reduction import global_mean
from keras_gans.models.base import GAN, PerReplica, assign_variables
from keras_gans.models.karras_common import (
    DiscriminatorEpilogue,
    KarrasDownBlock,
    assert_truncation_psi,
    build_mapping_network,
    channels_at,
    check_noise_mode,
    check_truncation_psi,
    equalized_conv,
    inject_noise,
    lazy_regularizer,
    lerp,
    mix_by_crossover,
    mix_by_layers,
    resolution_log2,
    save_strip,
    slerp,
    truncate,
)
from keras_gans.models.registry import register_family


@keras.saving.register_keras_serializable(package="keras_gans")
class StyleGANSynthesis(keras.layers.Layer):
    """StyleGAN's synthesis network g: ws `[batch, num_ws, w_dim]` -> images.

    Style layer `i` works at resolution `4 * 2**(i // 2)`; layer 0 is the
    learned constant, odd layers a 3x3 conv, even layers (>= 2) a 2x
    upsampling conv followed by the blur. Each is followed by noise, bias,
    leaky ReLU and AdaIN with style `A_i(ws[:, i])`; a linear 1x1 toRGB ends
    the network.

    Call as `synthesis(ws, noise=None, noise_mode="const", noise_seed=None)`
    (see `karras_common.inject_noise`).
    """

    def __init__(self, resolution=32, image_channels=1, w_dim=512, channel_base=16384,
                 channel_max=512, blur_kernel=(1, 2, 1), **kwargs):
        super().__init__(**kwargs)
        self.resolution = int(resolution)
        self.image_channels = int(image_channels)
        self.w_dim = int(w_dim)
        self.channel_base = int(channel_base)
        self.channel_max = int(channel_max)
        self.blur_kernel = tuple(float(v) for v in blur_kernel)
        self.num_ws = 2 * resolution_log2(self.resolution) - 2
        self.widths = [channels_at(4 * 2 ** (i // 2), channel_base, channel_max)
                       for i in range(self.num_ws)]
        # Conv i - 1 precedes style layer i (layer 0 is the constant). The
        # bias lives in the epilogue, after the noise (StyleGAN's order).
        self.convs = [EqualizedConv2D(self.widths[i], 3, use_bias=False, name=f"conv{i}")
                      for i in range(1, self.num_ws)]
        self.noises = [NoiseInjection(mode="const", per_channel=True, seed_offset=i,
                                      name=f"noise{i}") for i in range(self.num_ws)]
        self.biases = [BiasActivation(activation="lrelu", name=f"bias{i}")
                       for i in range(self.num_ws)]
        # AdaIN's scale half starts at 1: an identity style at initialization.
        self.affines = [EqualizedDense(2 * c, gain=1.0, bias_init=[1.0] * c + [0.0] * c,
                                       name=f"style{i}") for i, c in enumerate(self.widths)]
        self.adain = AdaptiveInstanceNormalization(name="adain")
        self.to_rgb = EqualizedConv2D(self.image_channels, 1, gain=1.0, name="to_rgb")

    @property
    def noise_shapes(self):
        """(height, width) of each noise input, in layer order."""
        return [(4 * 2 ** (i // 2),) * 2 for i in range(self.num_ws)]

    def build(self, input_shape):
        c0 = self.widths[0]
        # N(0, 1), as in StyleGAN2, not StyleGAN's ones: with a spatially
        # constant input and zero-strength noise the first AdaIN normalizes a
        # constant map, where gradients are rounding noise amplified by
        # 1 / sqrt(epsilon) (Adam then moves the first bias at random).
        self.const = self.add_weight(name="const", shape=(1, 4, 4, c0),
                                     initializer=keras.initializers.RandomNormal(stddev=1.0))
        for i in range(self.num_ws):
            size, width = self.noise_shapes[i][0], self.widths[i]
            if i > 0:
                in_size = size if i % 2 else size // 2
                self.convs[i - 1].build((None, in_size, in_size, self.widths[i - 1]))
            self.noises[i].build((None, size, size, width))
            self.biases[i].build((None, size, size, width))
            self.affines[i].build((None, self.w_dim))
        self.to_rgb.build((None, self.resolution, self.resolution, self.widths[-1]))
        # Weightless, shared by every layer (it reads the channels per call).
        self.adain.build([(None, 4, 4, c0), (None, 2 * c0)])

    def call(self, ws, noise=None, noise_mode="const", noise_seed=None):
        x = tf.tile(tf.cast(self.const, ws.dtype), [tf.shape(ws)[0], 1, 1, 1])
        for i in range(self.num_ws):
            if i > 0 and i % 2 == 0:
                x = upsample_2d(x, kernel=None)
                x = blur_2d(self.convs[i - 1](x), self.blur_kernel)
            elif i > 0:
                x = self.convs[i - 1](x)
            x = inject_noise(self.noises[i], x, i, noise, noise_mode, noise_seed)
            x = self.biases[i](x)
            x = self.adain([x, self.affines[i](ws[:, i])])
        return self.to_rgb(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.resolution, self.resolution, self.image_channels)

    def get_config(self):
        return {**super().get_config(), "resolution": self.resolution,
                "image_channels": self.image_channels, "w_dim": self.w_dim,
                "channel_base": self.channel_base, "channel_max": self.channel_max,
                "blur_kernel": list(self.blur_kernel)}


@keras.saving.register_keras_serializable(package="keras_gans")
class StyleGenerator(keras.Model):
    """A style-based generator: mapping network, synthesis network and `w_avg`.

    Shared by StyleGAN and StyleGAN2, which differ in the `synthesis` layer.
    `w_avg` is a non-trainable weight (the EMA generator copies it, and it is
    saved and exported with the weights).

    Calling it, `generator(z, truncation_psi=1.0, noise_mode="const",
    noise_seed=None)`, maps, broadcasts w to every layer, truncates the first
    `truncation_cutoff` layers (None: all) and synthesizes.

    Args:
        synthesis: a synthesis layer with `num_ws` and `noise_shapes`.
        latent_dim, w_dim, mapping_layers, mapping_lr_multiplier: the
            mapping network (see `karras_common.build_mapping_network`).
        convention: gain convention of the mapping layers.
        truncation_cutoff: layers truncated by `truncation_psi`.
    """

    def __init__(self, synthesis, latent_dim=512, w_dim=512, mapping_layers=8,
                 mapping_lr_multiplier=0.01, convention="progan", truncation_cutoff=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(synthesis, dict):
            synthesis = keras.saving.deserialize_keras_object(synthesis)
        self.latent_dim = int(latent_dim)
        self.w_dim = int(w_dim)
        self.mapping_layers = int(mapping_layers)
        self.mapping_lr_multiplier = float(mapping_lr_multiplier)
        self.convention = convention
        self.truncation_cutoff = None if truncation_cutoff is None else int(truncation_cutoff)
        self.mapping = build_mapping_network(latent_dim, w_dim, mapping_layers,
                                             mapping_lr_multiplier, convention=convention)
        self.synthesis = synthesis
        self.num_ws = int(synthesis.num_ws)
        if not self.synthesis.built:
            self.synthesis.build((None, self.num_ws, self.w_dim))
        self.w_avg = self.add_weight(name="w_avg", shape=(self.w_dim,), initializer="zeros",
                                     trainable=False)
        self.built = True

    def broadcast(self, w):
        """`[batch, w_dim]` -> `[batch, num_ws, w_dim]` (the same w for every layer)."""
        return tf.tile(w[:, None, :], [1, self.num_ws, 1])

    def truncate(self, ws, truncation_psi):
        return truncate(ws, self.w_avg, truncation_psi, self.truncation_cutoff)

    def call(self, z, truncation_psi=1.0, noise_mode="const", noise_seed=None, training=False):
        ws = self.broadcast(self.mapping(z, training=training))
        if not (isinstance(truncation_psi, (int, float)) and truncation_psi == 1.0):
            ws = self.truncate(ws, truncation_psi)
        return self.synthesis(ws, noise_mode=noise_mode, noise_seed=noise_seed)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "synthesis": keras.saving.serialize_keras_object(self.synthesis),
                "latent_dim": self.latent_dim, "w_dim": self.w_dim,
                "mapping_layers": self.mapping_layers,
                "mapping_lr_multiplier": self.mapping_lr_multiplier,
                "convention": self.convention, "truncation_cutoff": self.truncation_cutoff}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def build_stylegan_discriminator(resolution=32, channels=1, channel_base=16384, channel_max=512,
                                 mbstd_group_size=4, blur_kernel=(1, 2, 1),
                                 name="discriminator"):
    """StyleGAN's discriminator (ProGAN's at a fixed resolution, with blur).

    fromRGB (1x1 conv, lrelu) -> one `KarrasDownBlock` per resolution down to
    4x4 -> minibatch stddev, conv, dense, dense(1).

    Example:

    >>> d = build_stylegan_discriminator(8, channel_base=64, channel_max=16)
    >>> tuple(d.output.shape)
    (None, 1)
    """
    top = resolution_log2(resolution)
    images = keras.Input((int(resolution), int(resolution), int(channels)), name="images")
    x = equalized_conv(channels_at(resolution, channel_base, channel_max), 1, "progan",
                       name="from_rgb")(images)
    for log2 in range(top, 2, -1):
        res = 2**log2
        x = KarrasDownBlock(channels_at(res, channel_base, channel_max),
                            channels_at(res // 2, channel_base, channel_max), blur_kernel,
                            name=f"block{res}")(x)
    logits = DiscriminatorEpilogue(channels_at(4, channel_base, channel_max), mbstd_group_size,
                                   name="epilogue")(x)
    return keras.Model(images, logits, name=name)


def _as_latent(z, latents, latent_dim):
    """A latent vector from an int seed or an array of shape (latent_dim,) / (1, latent_dim)."""
    if isinstance(z, (int, np.integer)):
        return latents(1, int(z))[0]
    z = np.asarray(z, np.float32).reshape(-1)
    if z.shape != (latent_dim,):
        raise ValueError(f"A latent must have {latent_dim} values (or be an int seed); "
                         f"got shape {z.shape}.")
    return z


@register_family("stylegan")
class StyleGAN(GAN):
    """Style-based GAN (Karras et al. 2019).

    Args:
        resolution: image size, a power of two >= 4.
        channels: image channels.
        latent_dim: size of z (the paper: 512).
        w_dim: size of w; default: `latent_dim`.
        mapping_layers: depth of the mapping network (8).
        mapping_lr_multiplier: learning-rate multiplier of the mapping (0.01).
        channel_base, channel_max: feature maps per resolution,
            `min(channel_base // resolution, channel_max)` (16384, 512).
        truncation_cutoff: layers affected by `truncation_psi` (8; None: all).
        style_mixing_prob: probability of mixing two latents per training
            sample (0.9).
        w_avg_beta: decay of the tracked average w (0.995).
        mbstd_group_size: minibatch-stddev group size (4).
        ema_decay: EMA of G used for sampling and export (0.999).
        seed: seed of the latent and noise streams.

    `compile` defaults: `loss="non_saturating"`, `r1_gamma=10`,
    `r1_interval=1` (every step), Adam(0.001, 0, 0.99, 1e-8). Logs `d_r1`,
    the R1 term as applied (`gamma / 2 * interval * ||grad D(x)||^2`, zero
    on the steps a lazy interval skips, so its mean over an epoch estimates
    the non-lazy `gamma / 2 * ||grad D(x)||^2`).

    Example:

    >>> gan = StyleGAN(resolution=8, latent_dim=8, mapping_layers=2,
    ...                channel_base=64, channel_max=8)
    >>> gan.compile()
    >>> gan.sample(2, seed=0, truncation_psi=0.7).shape
    (2, 8, 8, 1)
    """

    #: Gain convention of the equalized layers (see karras_common).
    gain_convention = "progan"
    #: R1 every `default_r1_interval` D steps unless compile says otherwise.
    default_r1_interval = 1
    example_config = {"resolution": 8, "latent_dim": 8, "mapping_layers": 2, "channel_base": 64,
                      "channel_max": 8, "ema_decay": 0.5}

    def __init__(self, resolution=32, channels=1, latent_dim=512, w_dim=None, mapping_layers=8,
                 mapping_lr_multiplier=0.01, channel_base=16384, channel_max=512,
                 truncation_cutoff=8, style_mixing_prob=0.9, w_avg_beta=0.995,
                 mbstd_group_size=4, ema_decay=0.999, seed=0, **kwargs):
        self.resolution = int(resolution)
        self.channels = int(channels)
        self.w_dim = int(w_dim or latent_dim)
        self.mapping_layers = int(mapping_layers)
        self.mapping_lr_multiplier = float(mapping_lr_multiplier)
        self.channel_base = int(channel_base)
        self.channel_max = int(channel_max)
        self.truncation_cutoff = None if truncation_cutoff is None else int(truncation_cutoff)
        self.style_mixing_prob = float(style_mixing_prob)
        self.w_avg_beta = float(w_avg_beta)
        self.mbstd_group_size = int(mbstd_group_size)
        if not 0.0 <= self.style_mixing_prob <= 1.0:
            raise ValueError(f"style_mixing_prob must lie in [0, 1]; got {style_mixing_prob}.")
        if not 0.0 <= self.w_avg_beta <= 1.0:
            raise ValueError(f"w_avg_beta must lie in [0, 1]; got {w_avg_beta}.")
        generator = StyleGenerator(self.build_synthesis(), latent_dim, self.w_dim,
                                   self.mapping_layers, self.mapping_lr_multiplier,
                                   convention=self.gain_convention,
                                   truncation_cutoff=self.truncation_cutoff, name="generator")
        super().__init__(generator, self.build_discriminator(), latent_dim=latent_dim,
                         ema_decay=ema_decay, seed=seed, **kwargs)
        self.num_ws = generator.num_ws
        self.r1_gamma = 10.0
        self.r1_interval = self.default_r1_interval
        self._pending_w = PerReplica()

    # ---------------------------------------------------------------- networks
    def build_synthesis(self):
        return StyleGANSynthesis(self.resolution, self.channels, self.w_dim, self.channel_base,
                                 self.channel_max, name="synthesis")

    def build_discriminator(self):
        return build_stylegan_discriminator(self.resolution, self.channels, self.channel_base,
                                            self.channel_max, self.mbstd_group_size)

    def architecture_config(self):
        return {"resolution": self.resolution, "channels": self.channels,
                "latent_dim": self.latent_dim, "w_dim": self.w_dim,
                "mapping_layers": self.mapping_layers,
                "mapping_lr_multiplier": self.mapping_lr_multiplier,
                "channel_base": self.channel_base, "channel_max": self.channel_max,
                "truncation_cutoff": self.truncation_cutoff,
                "style_mixing_prob": self.style_mixing_prob, "w_avg_beta": self.w_avg_beta,
                "mbstd_group_size": self.mbstd_group_size}

    def extra_metric_names(self):
        return ("d_r1",)

    # ----------------------------------------------------------------- compile
    def compile(self, d_optimizer=None, g_optimizer=None, loss="non_saturating", d_steps=1,
                r1_gamma=10.0, r1_interval=None, **kwargs):
        """Configures training; see `GAN.compile`.

        Args:
            r1_gamma: weight gamma of the R1 penalty, applied as
                `gamma / 2 * ||grad D(x)||^2` (10 in the papers' FFHQ runs).
            r1_interval: apply R1 every this many D steps, scaled by the
                interval (StyleGAN2's lazy regularization); default: the
                family's (1 for StyleGAN, 16 for StyleGAN2).
        """
        r1_interval = self.default_r1_interval if r1_interval is None else int(r1_interval)
        if float(r1_gamma) < 0 or r1_interval < 1:
            raise ValueError(f"r1_gamma must be >= 0 and r1_interval >= 1; got {r1_gamma}, "
                             f"{r1_interval}.")
        self.r1_gamma = float(r1_gamma)
        self.r1_interval = r1_interval
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, loss=loss,
                        d_steps=d_steps, **kwargs)

    def compile_options(self):
        return {"r1_gamma": self.r1_gamma, "r1_interval": self.r1_interval}

    def default_optimizers(self):
        return (keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
                keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8))

    # ---------------------------------------------------------------- training
    def training_ws(self, z):
        """(w, ws) for a training batch: mapped w and per-layer ws after mixing.

        With probability `style_mixing_prob` a sample switches from its own w
        to the w of a second latent at a crossover layer drawn uniformly
        from [1, num_ws); otherwise (crossover = num_ws) it keeps its own.
        """
        gen = self.generator
        w = gen.mapping(z, training=True)
        ws = gen.broadcast(w)
        if self.style_mixing_prob > 0 and self.num_ws > 1:
            batch = tf.shape(z)[0]
            ws2 = gen.broadcast(gen.mapping(self.sample_latents(batch), training=True))
            crossover = self.random_uniform([batch], 1, self.num_ws, dtype="int32")
            mixed = self.random_uniform([batch]) < self.style_mixing_prob
            crossover = tf.where(mixed, crossover, self.num_ws)
            ws = mix_by_crossover(ws, ws2, crossover)
        return w, ws

    def training_noise(self, batch):
        """One explicit noise image per noise layer, from the per-replica stream."""
        return [self.random_normal([batch, h, w, 1])
                for h, w in self.generator.synthesis.noise_shapes]

    def generate_for_training(self, z, labels=None):
        w, ws = self.training_ws(z)
        # Consumed by after_generator_update: w_avg moves only with G steps.
        self._pending_w.put(w)
        return self.generator.synthesis(ws, noise=self.training_noise(tf.shape(z)[0]))

    def after_generator_update(self):
        w = self._pending_w.pop()
        if w is None:
            return
        # The mean over the GLOBAL batch: every replica assigns the same value.
        batch_mean = global_mean(w, axis=0)
        w_avg = self.generator.w_avg
        assign_variables([w_avg], [batch_mean + (tf.convert_to_tensor(w_avg) - batch_mean)
                                   * self.w_avg_beta])

    def compute_discriminator_loss(self, real, fake, labels=None):
        terms = super().compute_discriminator_loss(real, fake, labels)
        real = tf.convert_to_tensor(real)
        zeros = tf.zeros([tf.shape(real)[0]], terms["d_loss"].dtype)
        if self.r1_gamma == 0:
            terms["d_r1"] = zeros
            return terms
        scale = 0.5 * self.r1_gamma * self.r1_interval

        def r1():
            critic = (lambda x: self.discriminate(x, labels, training=True))
            return scale * tf.cast(penalties.r1_penalty(critic, real), zeros.dtype)

        reg = lazy_regularizer(self.d_optimizer.iterations, self.r1_interval, r1, zeros)
        terms["d_loss"] = terms["d_loss"] + reg
        terms["d_r1"] = reg
        return terms

    # ---------------------------------------------------------------- sampling
    def _check_z(self, z, name="z"):
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{name} must have shape (n, {self.latent_dim}); got {z.shape}.")
        return z

    def _noise_seed(self, noise_mode, noise_seed, n):
        check_noise_mode(noise_mode)
        if noise_mode != "random":
            return None
        if noise_seed is None:
            raise ValueError("noise_mode='random' needs noise_seed=<one integer per sample> "
                             "(or use sample(n, seed=...), which derives them).")
        seeds = np.asarray(noise_seed)
        if seeds.ndim == 0:
            seeds = np.full((n,), int(seeds))
        if seeds.shape != (n,) or not np.issubdtype(seeds.dtype, np.integer):
            raise ValueError(f"noise_seed must hold {n} integers; got {seeds!r}.")
        return seeds.astype(np.int64)

    def _run_synthesis(self, ws, truncation_psi=1.0, noise_mode="const", noise_seed=None,
                       batch_size=256):
        """Float images from ws `[n, num_ws, w_dim]` with the inference generator."""
        gen = self.inference_generator
        n = len(ws)
        psi = check_truncation_psi(truncation_psi, n)
        seeds = self._noise_seed(noise_mode, noise_seed, n)
        out = []
        for i in range(0, n, batch_size):
            chunk = tf.constant(ws[i:i + batch_size], tf.float32)
            if not (psi.ndim == 0 and psi == 1.0):
                p = psi if psi.ndim == 0 or len(psi) == 1 else psi[i:i + batch_size]
                chunk = gen.truncate(chunk, tf.constant(p))
            seed = None if seeds is None else tf.constant(seeds[i:i + batch_size])
            out.append(np.asarray(gen.synthesis(chunk, noise_mode=noise_mode, noise_seed=seed)))
        # The synthesis output is linear (the papers); images are [-1, 1].
        return np.clip(np.concatenate(out, axis=0), -1.0, 1.0)

    def mapping(self, z, batch_size=256):
        """w = f(z) for latents `z` `(n, latent_dim)`, numpy `(n, w_dim)`."""
        z = self._check_z(z)
        gen = self.inference_generator
        return np.concatenate([np.asarray(gen.mapping(tf.constant(z[i:i + batch_size])))
                               for i in range(0, len(z), batch_size)], axis=0)

    def synthesis(self, w, truncation_psi=1.0, noise_mode="const", noise_seed=None,
                  batch_size=256):
        """Float images from `w` `(n, w_dim)` (every layer) or `(n, num_ws, w_dim)`."""
        w = np.asarray(w, np.float32)
        if w.ndim == 2 and w.shape[1] == self.w_dim:
            w = np.repeat(w[:, None], self.num_ws, axis=1)
        if w.ndim != 3 or w.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"w must have shape (n, {self.w_dim}) or (n, {self.num_ws}, "
                             f"{self.w_dim}); got {w.shape}.")
        return self._run_synthesis(w, truncation_psi, noise_mode, noise_seed, batch_size)

    def generate(self, z, labels=None, batch_size=256, truncation_psi=1.0, noise_mode="const",
                 noise_seed=None):
        """Float images for latents `z` (EMA generator, inference mode).

        Args:
            truncation_psi: in [0, 1], a number or one per sample (1: none).
            noise_mode: "const" (stored noise, the default), "random" (then
                `noise_seed`, one int per sample, is required) or "none".
        """
        z = self._check_z(z)
        self.check_labels(labels, len(z))
        check_truncation_psi(truncation_psi, len(z))
        return self.synthesis(self.mapping(z, batch_size), truncation_psi, noise_mode,
                              noise_seed, batch_size)

    def sample(self, n, seed=0, labels=None, batch_size=256, truncation_psi=1.0,
               noise_mode="const"):
        """`n` uint8 images from `seed`; with `noise_mode="random"` the noise
        seeds are derived from `seed` too, so the result is reproducible."""
        noise_seed = None
        if noise_mode == "random":
            noise_seed = np.random.default_rng([int(seed), 1]).integers(0, 2**31 - 1, int(n))
        return to_uint8(self.generate(self.latents(n, seed), labels, batch_size, truncation_psi,
                                      noise_mode, noise_seed))

    def style_mixing(self, z1, z2, crossover, truncation_psi=1.0, noise_mode="const",
                     noise_seed=None):
        """Float images with layers `< crossover` styled by `z1`, the rest by `z2`.

        `crossover` is an int or one per sample: 0 gives `z2`'s image, any
        value >= `num_ws` gives `z1`'s.
        """
        z1, z2 = self._check_z(z1, "z1"), self._check_z(z2, "z2")
        if z1.shape != z2.shape:
            raise ValueError(f"z1 and z2 must have the same shape; got {z1.shape}, {z2.shape}.")
        crossover = np.broadcast_to(np.asarray(crossover, np.int32), (len(z1),))
        ws = mix_by_crossover(self._ws(z1), self._ws(z2), tf.constant(crossover))
        return self._run_synthesis(np.asarray(ws), truncation_psi, noise_mode, noise_seed)

    def _ws(self, z):
        return np.repeat(self.mapping(z)[:, None], self.num_ws, axis=1)

    def mix_styles(self, z_rows, z_cols, layers=None, truncation_psi=1.0, noise_mode="const"):
        """A style-mixing grid like StyleGAN's figure 3, uint8
        `(rows + 1, cols + 1, H, W, C)`.

        Cell `(i + 1, j + 1)` takes the styles of `layers` from row source
        `z_rows[i]` and all other styles from column source `z_cols[j]`; row 0
        shows the column sources, column 0 the row sources, cell (0, 0) is
        blank. Default `layers`: the coarse ones, `range(min(4, num_ws))`
        (the paper's rows also use middle `[4, 8)` and fine `[8, num_ws)`).
        Save it with `karras_common.save_style_mixing_figure(grid, path)`.
        """
        z_rows, z_cols = self._check_z(z_rows, "z_rows"), self._check_z(z_cols, "z_cols")
        layers = list(range(min(4, self.num_ws)) if layers is None else layers)
        rows, cols = len(z_rows), len(z_cols)
        ws_rows, ws_cols = self._ws(z_rows), self._ws(z_cols)
        base = np.repeat(ws_cols[None], rows, axis=0).reshape((-1,) + ws_cols.shape[1:])
        other = np.repeat(ws_rows, cols, axis=0)
        mixed = np.asarray(mix_by_layers(base, other, layers, self.num_ws))
        images = to_uint8(self._run_synthesis(
            np.concatenate([ws_rows, ws_cols, mixed]), truncation_psi, noise_mode))
        grid = np.zeros((rows + 1, cols + 1) + images.shape[1:], np.uint8)
        grid[1:, 0] = images[:rows]
        grid[0, 1:] = images[rows:rows + cols]
        grid[1:, 1:] = images[rows + cols:].reshape((rows, cols) + images.shape[1:])
        return grid

    def interpolate(self, z0, z1, steps=8, space="z", truncation_psi=1.0, noise_mode="const",
                    path=None, gif_path=None, scale=2):
        """uint8 frames `(steps, H, W, C)` along a latent path from `z0` to `z1`.

        `space="z"`: spherical interpolation of the latents (`slerp`);
        `space="w"`: linear interpolation of the mapped w (W is where the
        paper measures perceptual path length). `z0`/`z1` are latent vectors
        or int seeds. `path` writes a PNG strip, `gif_path` a looping GIF.
        """
        if space not in ("z", "w"):
            raise ValueError(f"space must be 'z' or 'w'; got {space!r}.")
        if int(steps) < 2:
            raise ValueError(f"steps must be >= 2; got {steps}.")
        z0 = _as_latent(z0, self.latents, self.latent_dim)
        z1 = _as_latent(z1, self.latents, self.latent_dim)
        t = np.linspace(0.0, 1.0, int(steps), dtype=np.float32)[:, None]
        if space == "z":
            w = self.mapping(slerp(z0[None], z1[None], t))
        else:
            w0, w1 = self.mapping(np.stack([z0, z1]))
            w = lerp(w0[None], w1[None], t).astype(np.float32)
        noise_seed = np.zeros(len(w), np.int64) if noise_mode == "random" else None
        frames = to_uint8(self.synthesis(w, truncation_psi, noise_mode, noise_seed))
        if path is not None or gif_path is not None:
            save_strip(frames, path, scale=scale, gif_path=gif_path)
        return frames

    # ------------------------------------------------------------------ export
    def export_endpoints(self):
        """Pure endpoints of the inference generator (constant or seeded noise).

        * `serving_default(z [n, latent_dim], truncation_psi [n]) -> {"images": uint8}`
        * `generate(z) -> {"images": float in [-1, 1]}` (psi = 1, constant noise)
        * `generate_seeded(z, truncation_psi, noise_seed [n] int64) -> {"images": uint8}`
          (per-sample random noise from the seeds)
        * `mapping(z) -> {"w": [n, w_dim]}`
        * `synthesis(w [n, w_dim]) -> {"images": uint8}`
        * `style_mixing(z1, z2, crossover [n] int32) -> {"images": uint8}`

        `truncation_psi` outside [0, 1] or NaN fails an in-graph assertion
        whose message names it.
        """
        from keras_gans.export.savedmodel import images_to_uint8

        gen = self.inference_generator
        z_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")
        psi_spec = tf.TensorSpec([None], tf.float32, name="truncation_psi")

        def serve(z, truncation_psi):
            images = gen(z, truncation_psi=assert_truncation_psi(truncation_psi))
            return {"images": images_to_uint8(images)}

        def generate(z):
            return {"images": tf.clip_by_value(gen(z), -1.0, 1.0)}

        def generate_seeded(z, truncation_psi, noise_seed):
            images = gen(z, truncation_psi=assert_truncation_psi(truncation_psi),
                         noise_mode="random", noise_seed=noise_seed)
            return {"images": images_to_uint8(images)}

        def mapping(z):
            return {"w": gen.mapping(z)}

        def synthesis(w):
            return {"images": images_to_uint8(gen.synthesis(gen.broadcast(w)))}

        def style_mixing(z1, z2, crossover):
            ws = mix_by_crossover(gen.broadcast(gen.mapping(z1)),
                                  gen.broadcast(gen.mapping(z2)), crossover)
            return {"images": images_to_uint8(gen.synthesis(ws))}

        return [
            ("serving_default", serve, [z_spec, psi_spec]),
            ("generate", generate, [z_spec]),
            ("generate_seeded", generate_seeded,
             [z_spec, psi_spec, tf.TensorSpec([None], tf.int64, name="noise_seed")]),
            ("mapping", mapping, [z_spec]),
            ("synthesis", synthesis, [tf.TensorSpec([None, self.w_dim], tf.float32, name="w")]),
            ("style_mixing", style_mixing,
             [tf.TensorSpec([None, self.latent_dim], tf.float32, name="z1"),
              tf.TensorSpec([None, self.latent_dim], tf.float32, name="z2"),
              tf.TensorSpec([None], tf.int32, name="crossover")]),
        ]
