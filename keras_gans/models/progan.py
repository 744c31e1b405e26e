"""ProGAN (Karras, Aila, Laine & Lehtinen 2018, "Progressive Growing of GANs
for Improved Quality, Stability, and Variation", ICLR 2018, arXiv:1710.10196).

What the paper prescribes, and where it lives here:

* Progressive growing (section 2): training starts at 4x4; each new
  resolution's G and D blocks are faded in with alpha rising linearly from 0
  to 1 (figure 2: `images = (1 - alpha) * upsample(toRGB(old)) + alpha *
  toRGB(new)`, the mirror image in D), then trained at alpha = 1. All
  existing layers stay trainable. `ProgressiveSchedule(images_per_phase=...)`
  drives the phase over `fit` (the paper: 800k images per fade and per
  stabilization).
* Equalized learning rate (section 4.1): `EqualizedConv2D`/`EqualizedDense`.
* Pixelwise feature normalization in G after every conv (section 4.2), and
  on z.
* Minibatch standard deviation in D (section 3).
* WGAN-GP with lambda = 10 plus the drift term `epsilon_drift * D(x)^2`,
  epsilon_drift = 0.001 (appendix A.1); Adam(0.001, beta_1=0, beta_2=0.99,
  epsilon=1e-8); an EMA of G (decay 0.999) for sampling.

Design choice: the networks are built ONCE at the target resolution, and the
active level is selected inside the graph with `tf.switch_case` on the
`level` variable; `alpha` is an input of every branch. Changing the phase is
a variable assignment: `fit` never retraces, `.keras` files and checkpoints
carry the phase, and export keeps working. Each branch runs only its own
blocks, so early phases cost what a small network costs. Rebuilding the
networks per phase (the other option) would retrace `train_step`, invalidate
the optimizers' slot lists and complicate checkpoints.

Interfaces stay at full resolution, as in the official code: the generator
returns its level's image upsampled (nearest neighbour) to the target size,
and the discriminator average-pools its input down to its level, so D
never sees detail G cannot produce. Real batches are processed inside
`train_step` (`process_reals`): average-pooled to the current resolution and,
during a fade, blended with their 2x-coarser version by the same alpha (the
paper: "we interpolate between two resolutions of the real images"), so ONE
full-resolution dataset serves every phase.

The official code also resets the optimizers' moments at each new level;
this implementation does not (Adam with beta_1 = 0 carries no momentum, and
the second moments of the new blocks' weights are still zero).

The generator's output layer is linear (no tanh), as in the paper: training
sees it unclipped, while `generate`, `sample` and the exported endpoints clip
it to [-1, 1], the image range of every `keras_gans` model.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gans.layers.equalized import SQRT2, BiasActivation, EqualizedConv2D, EqualizedDense
from keras_gans.layers.filters import downsample_2d, upsample_2d
from keras_gans.layers.normalization import PixelNormalization
from keras_gans.losses import penalties
from keras_gans.losses.adversarial import per_example
from keras_gans.models.base import GAN, assign_variables
from keras_gans.models.karras_common import (
    DiscriminatorEpilogue,
    KarrasDownBlock,
    channels_at,
    equalized_conv,
    resolution_log2,
)
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, non_negative
from keras_gans.losses import adversarial


def _nearest_up(x, factor):
    return x if factor == 1 else upsample_2d(x, kernel=None, factor=factor)


def _avg_down(x, factor):
    return x if factor == 1 else downsample_2d(x, kernel=None, factor=factor)


def _scalar_level(level, max_level):
    """The batch's level as a scalar int32 in [0, max_level].

    Levels arrive as one value per example (Keras inputs have a batch axis);
    a batch shares one level, so the maximum is taken.
    """
    level = tf.cast(tf.reshape(level, [-1]), tf.int32)
    level = tf.reduce_max(tf.concat([level, [0]], axis=0))
    return tf.clip_by_value(level, 0, max_level)


class _ZeroFilledTape:
    """A gradient tape whose `gradient` returns zeros instead of None."""

    def __init__(self, tape):
        self.tape = tape

    def gradient(self, target, sources):
        grads = self.tape.gradient(target, sources)
        return [tf.zeros_like(v) if g is None else g for g, v in zip(grads, sources)]


def _alpha(alpha, dtype):
    return tf.cast(tf.reshape(alpha, [-1, 1, 1, 1]), dtype)


@keras.saving.register_keras_serializable(package="keras_gans")
class ProgressiveGenerator(keras.layers.Layer):
    """ProGAN's generator at every level, with the active one picked by level.

    Inputs `[z, level, alpha]` (`level` int `[batch]`, `alpha` `[batch]`);
    output: images `[batch, resolution, resolution, channels]`, the active
    level's image upsampled (nearest neighbour) to full size.

    Structure (ProGAN table 2): pixel-norm z -> dense to 4x4 (the paper's
    4x4 "conv" on a 1x1 input; the official code uses gain sqrt(2)/4 there)
    -> lrelu -> pixel norm -> conv 3x3; each further level: 2x nearest
    upsample, two conv 3x3 with lrelu and pixel norm; toRGB is a linear
    1x1 conv per level.
    """

    def __init__(self, resolution=32, image_channels=1, latent_dim=512, channel_base=16384,
                 channel_max=512, normalize_latents=True, **kwargs):
        super().__init__(**kwargs)
        self.resolution = int(resolution)
        self.image_channels = int(image_channels)
        self.latent_dim = int(latent_dim)
        self.channel_base = int(channel_base)
        self.channel_max = int(channel_max)
        self.normalize_latents = bool(normalize_latents)
        self.max_level = resolution_log2(self.resolution) - 2
        self.widths = [channels_at(4 * 2**lv, channel_base, channel_max)
                       for lv in range(self.max_level + 1)]
        c0 = self.widths[0]
        self.pixel_norm = PixelNormalization(name="pixel_norm")
        self.dense = EqualizedDense(16 * c0, gain=SQRT2 / 4, use_bias=False, name="dense")
        self.dense_act = BiasActivation(activation="lrelu", name="dense_bias")
        self.conv0 = equalized_conv(c0, 3, "progan", name="conv0")
        self.up_convs = []
        for lv in range(1, self.max_level + 1):
            self.up_convs.append((
                equalized_conv(self.widths[lv], 3, "progan", name=f"level{lv}_conv0"),
                equalized_conv(self.widths[lv], 3, "progan", name=f"level{lv}_conv1"),
            ))
        self.to_rgb = [EqualizedConv2D(self.image_channels, 1, gain=1.0, name=f"to_rgb{lv}")
                       for lv in range(self.max_level + 1)]

    def build(self, input_shape):
        # Every sublayer is built here: the switch_case branches must not
        # create variables.
        c0 = self.widths[0]
        self.pixel_norm.build((None, self.latent_dim))
        self.dense.build((None, self.latent_dim))
        self.dense_act.build((None, 4, 4, c0))
        self.conv0.build((None, 4, 4, c0))
        for lv, (a, b) in enumerate(self.up_convs, start=1):
            size = 4 * 2**lv
            a.build((None, size, size, self.widths[lv - 1]))
            b.build((None, size, size, self.widths[lv]))
        for lv, layer in enumerate(self.to_rgb):
            size = 4 * 2**lv
            layer.build((None, size, size, self.widths[lv]))

    def features(self, z, level):
        """The feature maps of levels 0..`level` (Python int), a list."""
        x = self.pixel_norm(z) if self.normalize_latents else z
        x = tf.reshape(self.dense(x), [-1, 4, 4, self.widths[0]])
        x = self.pixel_norm(self.dense_act(x))
        x = self.pixel_norm(self.conv0(x))
        maps = [x]
        for a, b in self.up_convs[:level]:
            x = _nearest_up(x, 2)
            x = self.pixel_norm(a(x))
            x = self.pixel_norm(b(x))
            maps.append(x)
        return maps

    def images_at(self, z, level, alpha):
        """Level `level`'s image at its own resolution, faded in by `alpha`."""
        maps = self.features(z, level)
        rgb = self.to_rgb[level](maps[level])
        if level == 0:
            return rgb
        old = _nearest_up(self.to_rgb[level - 1](maps[level - 1]), 2)
        return old + (rgb - old) * _alpha(alpha, rgb.dtype)

    def call(self, inputs):
        z, level, alpha = inputs
        branches = [
            (lambda lv=lv: _nearest_up(self.images_at(z, lv, alpha), 2 ** (self.max_level - lv)))
            for lv in range(self.max_level + 1)
        ]
        return tf.switch_case(_scalar_level(level, self.max_level), branches)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.resolution, self.resolution, self.image_channels)

    def get_config(self):
        return {**super().get_config(), "resolution": self.resolution,
                "image_channels": self.image_channels, "latent_dim": self.latent_dim,
                "channel_base": self.channel_base, "channel_max": self.channel_max,
                "normalize_latents": self.normalize_latents}


@keras.saving.register_keras_serializable(package="keras_gans")
class ProgressiveDiscriminator(keras.layers.Layer):
    """ProGAN's discriminator at every level, with the active one picked by level.

    Inputs `[images, level, alpha]` with full-resolution images; output:
    logits `[batch, 1]`. Level `l` average-pools the images to its size, maps
    them with its fromRGB (1x1 conv, lrelu) and its block; during a fade the
    block's output is blended with fromRGB of the 2x-pooled images (the
    previous level's input path). Blocks below run as usual, ending with the
    minibatch-stddev epilogue.
    """

    def __init__(self, resolution=32, image_channels=1, channel_base=16384, channel_max=512,
                 mbstd_group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.resolution = int(resolution)
        self.image_channels = int(image_channels)
        self.channel_base = int(channel_base)
        self.channel_max = int(channel_max)
        self.mbstd_group_size = int(mbstd_group_size)
        self.max_level = resolution_log2(self.resolution) - 2
        self.widths = [channels_at(4 * 2**lv, channel_base, channel_max)
                       for lv in range(self.max_level + 1)]
        self.from_rgb = [equalized_conv(self.widths[lv], 1, "progan", name=f"from_rgb{lv}")
                         for lv in range(self.max_level + 1)]
        # blocks[lv - 1] takes level lv's maps down to level lv - 1.
        self.blocks = [KarrasDownBlock(self.widths[lv], self.widths[lv - 1], name=f"level{lv}")
                       for lv in range(1, self.max_level + 1)]
        self.epilogue = DiscriminatorEpilogue(self.widths[0], self.mbstd_group_size,
                                              name="epilogue")

    def build(self, input_shape):
        for lv in range(self.max_level + 1):
            size = 4 * 2**lv
            self.from_rgb[lv].build((None, size, size, self.image_channels))
            if lv > 0:
                self.blocks[lv - 1].build((None, size, size, self.widths[lv]))
        self.epilogue.build((None, 4, 4, self.widths[0]))

    def logits_at(self, images, level, alpha):
        """D's logits with level `level` (Python int) active."""
        x = _avg_down(images, 2 ** (self.max_level - level))
        h = self.from_rgb[level](x)
        if level > 0:
            h = self.blocks[level - 1](h)
            skip = self.from_rgb[level - 1](_avg_down(x, 2))
            h = skip + (h - skip) * _alpha(alpha, h.dtype)
        for lv in range(level - 1, 0, -1):
            h = self.blocks[lv - 1](h)
        return self.epilogue(h)

    def call(self, inputs):
        images, level, alpha = inputs
        branches = [(lambda lv=lv: self.logits_at(images, lv, alpha))
                    for lv in range(self.max_level + 1)]
        return tf.switch_case(_scalar_level(level, self.max_level), branches)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        return {**super().get_config(), "resolution": self.resolution,
                "image_channels": self.image_channels, "channel_base": self.channel_base,
                "channel_max": self.channel_max, "mbstd_group_size": self.mbstd_group_size}


def build_progan_generator(resolution=32, channels=1, latent_dim=512, channel_base=16384,
                           channel_max=512, name="generator"):
    """ProGAN's generator as a functional model `[z, level, alpha] -> images`.

    Example:

    >>> g = build_progan_generator(8, latent_dim=8, channel_base=64, channel_max=16)
    >>> [tuple(t.shape) for t in g.inputs]
    [(None, 8), (None,), (None,)]
    """
    z = keras.Input((int(latent_dim),), name="z")
    level = keras.Input((), dtype="int32", name="level")
    alpha = keras.Input((), name="alpha")
    images = ProgressiveGenerator(resolution, channels, latent_dim, channel_base, channel_max,
                                  name="progressive_generator")([z, level, alpha])
    return keras.Model([z, level, alpha], images, name=name)


def build_progan_discriminator(resolution=32, channels=1, channel_base=16384, channel_max=512,
                               mbstd_group_size=4, name="discriminator"):
    """ProGAN's discriminator as a functional model `[images, level, alpha] -> logits`."""
    images = keras.Input((int(resolution), int(resolution), int(channels)), name="images")
    level = keras.Input((), dtype="int32", name="level")
    alpha = keras.Input((), name="alpha")
    logits = ProgressiveDiscriminator(resolution, channels, channel_base, channel_max,
                                      mbstd_group_size,
                                      name="progressive_discriminator")([images, level, alpha])
    return keras.Model([images, level, alpha], logits, name=name)


def progressive_phase(images_seen, images_per_phase, max_level, fade_images=None):
    """`(level, alpha)` after `images_seen` training images.

    Level 0 trains for `images_per_phase` images; every later level first
    fades in over `fade_images` (default: `images_per_phase`) images, alpha
    rising linearly from 0 to 1, then trains at alpha = 1 for
    `images_per_phase` images. The last level stays forever.

    Example:

    >>> progressive_phase(1500, 1000, max_level=3)  # halfway through the first fade
    (1, 0.5)
    >>> progressive_phase(2500, 1000, max_level=3)
    (1, 1.0)
    """
    images_seen = int(images_seen)
    stable = int(images_per_phase)
    fade = stable if fade_images is None else int(fade_images)
    if stable <= 0 or fade <= 0:
        raise ValueError(f"images per phase must be positive; got {images_per_phase}, "
                         f"{fade_images}.")
    if images_seen < stable or max_level == 0:
        return 0, 1.0
    seen = images_seen - stable
    level, cycle = 1 + seen // (fade + stable), seen % (fade + stable)
    if level > max_level:
        return int(max_level), 1.0
    if cycle < fade:
        return int(level), cycle / fade
    return int(level), 1.0


class ProgressiveSchedule(keras.callbacks.Callback):
    """Drives a ProGAN's level and alpha over `fit` from the images it has seen.

    Before every batch the phase is computed by `progressive_phase` from the
    model's `images_seen` counter (a saved model variable, so a resumed run
    continues the schedule where it stopped) and assigned to the model's
    `level` and `alpha` variables, which `train_step` reads: no retracing.

    Args:
        images_per_phase: images per stabilization phase (the paper: 800k).
        fade_images: images per fade-in; default: `images_per_phase`.

    Example:

    >>> gan.fit(ds, epochs=100,  # doctest: +SKIP
    ...         callbacks=[ProgressiveSchedule(images_per_phase=600_000)])
    """

    def __init__(self, images_per_phase, fade_images=None):
        super().__init__()
        self.images_per_phase = int(images_per_phase)
        self.fade_images = fade_images
        progressive_phase(0, self.images_per_phase, 0, fade_images)  # validates

    def _update(self):
        model = self.model
        level, alpha = progressive_phase(int(model.images_seen.numpy()), self.images_per_phase,
                                         model.max_level, self.fade_images)
        if level != int(model.level.numpy()) or alpha != float(model.alpha.numpy()):
            model.set_phase(level, alpha)

    def on_train_begin(self, logs=None):
        self._update()

    def on_train_batch_begin(self, batch, logs=None):
        self._update()


@register_family("progan")
class ProGAN(GAN):
    """Progressive growing of GANs (Karras et al. 2018).

    Args:
        resolution: target resolution, a power of two >= 8.
        channels: image channels.
        latent_dim: size of z (the paper: 512).
        channel_base, channel_max: feature maps per resolution are
            `min(channel_base // resolution, channel_max)` (the paper:
            16384 and 512).
        mbstd_group_size: minibatch-stddev group size (4).
        ema_decay: EMA of the generator's weights used for sampling (0.999).
        seed: seed of the latent and noise streams.

    The current phase lives in three saved, non-trainable variables:
    `level` (0 = 4x4, `max_level` = full resolution), `alpha` (the fade of
    the newest level) and `images_seen`. A new model starts at level 0.
    Drive them with `ProgressiveSchedule` or set them with `set_phase`.

    `compile` defaults to the paper: `loss="wasserstein"`,
    `penalty_weight=10`, `drift_weight=0.001`, Adam(0.001, beta_1=0,
    beta_2=0.99, epsilon=1e-8). Logs `d_gp` (unweighted gradient penalty),
    `d_drift` (unweighted D(x)^2), `level` and `alpha`.

    Example:

    >>> gan = ProGAN(resolution=8, latent_dim=8, channel_base=64, channel_max=8)
    >>> gan.compile()
    >>> gan.set_phase(1, 0.5)
    >>> gan.sample(2, seed=0).shape
    (2, 8, 8, 1)
    """

    example_config = {"resolution": 8, "latent_dim": 8, "channel_base": 64, "channel_max": 8,
                      "ema_decay": 0.5}

    def __init__(self, resolution=32, channels=1, latent_dim=512, channel_base=16384,
                 channel_max=512, mbstd_group_size=4, ema_decay=0.999, seed=0, **kwargs):
        self.resolution = int(resolution)
        self.channels = int(channels)
        self.channel_base = int(channel_base)
        self.channel_max = int(channel_max)
        self.mbstd_group_size = int(mbstd_group_size)
        if resolution_log2(self.resolution) < 3:
            raise ValueError(f"ProGAN grows from 4x4: resolution must be >= 8; got {resolution}.")
        generator = build_progan_generator(resolution, channels, latent_dim, channel_base,
                                           channel_max)
        discriminator = build_progan_discriminator(resolution, channels, channel_base,
                                                   channel_max, mbstd_group_size)
        super().__init__(generator, discriminator, latent_dim=latent_dim, ema_decay=ema_decay,
                         seed=seed, **kwargs)
        self.max_level = resolution_log2(self.resolution) - 2
        # Written through assign_variables with the same value on every
        # replica; "only_first_replica" makes replica-context reads defined.
        self.level = keras.Variable(0, dtype="int32", trainable=False, name="level",
                                    aggregation="only_first_replica")
        self.alpha = keras.Variable(1.0, dtype="float32", trainable=False, name="alpha",
                                    aggregation="only_first_replica")
        self.images_seen = keras.Variable(0, dtype="int64", trainable=False,
                                          name="images_seen", aggregation="only_first_replica")

    def architecture_config(self):
        return {"resolution": self.resolution, "channels": self.channels,
                "latent_dim": self.latent_dim, "channel_base": self.channel_base,
                "channel_max": self.channel_max, "mbstd_group_size": self.mbstd_group_size}

    def extra_metric_names(self):
        return ("d_gp", "d_drift", "level", "alpha")

    # ----------------------------------------------------------------- compile
    options = (
        Option("loss", "wasserstein", "adversarial loss (the paper's WGAN-GP)",
               check=adversarial.get, attr="adversarial_loss"),
        Option("penalty_weight", 10.0, "lambda of the WGAN-GP penalty", check=non_negative),
        Option("drift_weight", 0.001, "epsilon_drift of the D(x)^2 term", check=non_negative),
    )

    def default_optimizers(self):
        return (keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
                keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8))

    # ------------------------------------------------------------------ phase
    def set_phase(self, level, alpha=1.0):
        """Sets the active level (0 = 4x4) and the fade-in alpha of that level."""
        level, alpha = int(level), float(alpha)
        if not 0 <= level <= self.max_level:
            raise ValueError(f"level must lie in [0, {self.max_level}]; got {level}.")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1]; got {alpha}.")
        assign_variables([self.level, self.alpha], [level, alpha])

    @property
    def current_resolution(self):
        return 4 * 2 ** int(self.level.numpy())

    def _phase(self, batch, level=None, alpha=None):
        level = self.level if level is None else level
        alpha = self.alpha if alpha is None else alpha
        return (tf.fill([batch], tf.cast(level, tf.int32)),
                tf.fill([batch], tf.cast(alpha, tf.float32)))

    def process_reals(self, images, level=None, alpha=None):
        """Real images as D must see them in the current phase (full size).

        Average-pooled to the level's resolution, blended during a fade with
        their 2x-coarser version by alpha, and upsampled (nearest) back, so
        that they match what the generator can produce.
        """
        images = tf.convert_to_tensor(images)
        level = self.level if level is None else level
        alpha = tf.cast(self.alpha if alpha is None else alpha, images.dtype)

        def branch(lv):
            factor = 2 ** (self.max_level - lv)
            x = _avg_down(images, factor)
            if lv > 0:
                coarse = _nearest_up(_avg_down(x, 2), 2)
                x = coarse + (x - coarse) * alpha
            return _nearest_up(x, factor)

        return tf.switch_case(_scalar_level(level, self.max_level),
                              [(lambda lv=lv: branch(lv)) for lv in range(self.max_level + 1)])

    # --------------------------------------------------------------- networks
    def discriminate(self, images, labels=None, training=True):
        level, alpha = self._phase(tf.shape(images)[0])
        # float32 logits under mixed precision, as the base class's.
        return tf.cast(self.discriminator([images, level, alpha], training=training), tf.float32)

    def generate_for_training(self, z, labels=None):
        level, alpha = self._phase(tf.shape(z)[0])
        return self.generator([z, level, alpha], training=True)

    def call(self, inputs, training=False):
        level, alpha = self._phase(tf.shape(inputs)[0])
        return self.generator([inputs, level, alpha], training=training)

    def generate(self, z, labels=None, batch_size=256, level=None, alpha=None):
        """Float images in [-1, 1] for latents `z` at full size, in the
        current phase (or at `level`/`alpha`), from the EMA generator."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}); got {z.shape}.")
        self.check_labels(labels, len(z))
        gen = self.inference_generator
        out = []
        for i in range(0, len(z), batch_size):
            chunk = tf.constant(z[i:i + batch_size])
            lv, al = self._phase(tf.shape(chunk)[0], level, alpha)
            out.append(np.asarray(gen([chunk, lv, al], training=False)))
        # The generator's output is linear (the paper); images are [-1, 1].
        return np.clip(np.concatenate(out, axis=0), -1.0, 1.0)

    def preprocess_real(self, images, labels=None):
        # The one dataset of full-resolution images serves every phase.
        return self.process_reals(images)

    # ----------------------------------------------------------------- losses
    def compute_discriminator_loss(self, real, fake, labels=None):
        real_logits = self.discriminate(real, labels, training=True)
        fake_logits = self.discriminate(fake, labels, training=True)
        epsilon = self.random_uniform(penalties.interpolation_shape(real))
        gp = penalties.gradient_penalty(
            lambda x: self.discriminate(x, labels, training=True), real, fake, epsilon)
        drift = tf.square(per_example(real_logits))
        d_loss = (self.adversarial_loss.discriminator_loss(real_logits, fake_logits)
                  + self.penalty_weight * gp + self.drift_weight * drift)
        return {"d_loss": d_loss, "d_real": self.d_output_for_log(real_logits),
                "d_fake": self.d_output_for_log(fake_logits), "d_gp": gp, "d_drift": drift,
                "level": tf.cast(self.level, tf.float32), "alpha": tf.convert_to_tensor(self.alpha)}

    def apply_gradients(self, optimizer, loss, tape, variables):
        # Blocks of inactive levels get no gradient: None when eager, zeros in
        # a graph (switch_case). Zeros everywhere keep the two identical and
        # spare Keras's per-step warning; Adam with beta_1 = 0 turns a zero
        # gradient into no update. The base class's update (with its
        # non-finite check) is used as is.
        super().apply_gradients(optimizer, loss, _ZeroFilledTape(tape), variables)

    def train_step(self, data):
        images, _ = self.unpack_batch(data)
        batch = tf.shape(images)[0]
        logs = super().train_step(data)
        ctx = tf.distribute.get_replica_context()
        replicas = 1 if ctx is None else ctx.num_replicas_in_sync
        self.images_seen.assign_add(tf.cast(batch * replicas, tf.int64))
        return logs

    # ------------------------------------------------------------------ export
    def export_endpoints(self):
        """`serving_default(z) -> {"images": uint8}` and `generate(z)`, at the
        phase of the model when exported (baked in as constants)."""
        from keras_gans.export.savedmodel import images_to_uint8

        gen = self.inference_generator
        level, alpha = int(self.level.numpy()), float(self.alpha.numpy())
        z_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")

        def run(z):
            lv, al = self._phase(tf.shape(z)[0], level, alpha)
            return tf.clip_by_value(gen([z, lv, al], training=False), -1.0, 1.0)

        def serve(z):
            return {"images": images_to_uint8(run(z))}

        def generate(z):
            return {"images": run(z)}

        return [("serving_default", serve, [z_spec]), ("generate", generate, [z_spec])]
