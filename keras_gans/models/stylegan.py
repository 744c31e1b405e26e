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
  before each downsampling conv in D; from 128 px on (the official
  `fused_scale='auto'`) the upsampling and the conv are one stride-2
  transposed conv, and D's conv and 2x2 pooling one stride-2 conv
  (`keras_gans.layers.fused_scale`);
* style-mixing regularization (section 3.1): with probability 0.9 a training
  sample takes its styles from two latents, switching at a random crossover
  layer (drawn per sample here; the official code draws one per minibatch,
  the expectation is the same);
* the truncation trick in W (section 3.3): `w' = w_avg + psi (w - w_avg)` on
  the first `truncation_cutoff = 8` layers, `w_avg` tracked during training as
  an exponential moving average (beta = 0.995) of the mapping's outputs.

The discriminator is ProGAN's with the same blur before downsampling (the
layout of the official `D_basic`). The layers follow NVIDIA's code one to one,
including its optional switches (`synthesis_options`, `discriminator_options`),
so `keras_gans.zoo.nvlabs.stylegan.convert_stylegan` loads the released TF
StyleGAN pickles exactly.
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
from keras_gans.layers.equalized import SQRT2, BiasActivation, EqualizedConv2D, EqualizedDense
from keras_gans.layers.filters import downsample_2d, upsample_2d
from keras_gans.layers.fused_scale import FusedConv2DDownsample, FusedUpsampleConv2D
from keras_gans.layers.minibatch_std import ConsecutiveMinibatchStd, MinibatchStandardDeviation
from keras_gans.layers.noise import NoiseInjection
from keras_gans.layers.normalization import PixelNormalization, instance_normalize
from keras_gans.losses import penalties
from keras_gans.losses.reduction import global_mean
from keras_gans.models.base import GAN
from keras_gans.models.karras_common import (
    assert_truncation_psi,
    build_mapping_network,
    channels_at,
    check_noise_mode,
    check_truncation_psi,
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
from keras_gans.models.randomness import PerReplica, assign_variables
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, non_negative, optional_positive_int


#: Values of the v1 layout options (the official `G_synthesis` / `D_basic`).
FUSED_SCALE_VALUES = (True, False, "auto")
NONLINEARITIES = ("lrelu", "relu")
MBSTD_GROUPINGS = ("consecutive", "strided")


SYNTHESIS_OPTIONS = ("blur_kernel", "fused_scale", "use_noise", "use_pixel_norm",
                     "use_instance_norm", "use_styles", "const_input_layer", "nonlinearity")
DISCRIMINATOR_OPTIONS = ("blur_kernel", "mbstd_num_features", "mbstd_grouping", "fused_scale",
                         "nonlinearity")


def check_options(name, options, allowed):
    """A plain dict copy of `options` (None stays None); unknown keys are refused."""
    if options is None:
        return None
    if not isinstance(options, dict):
        raise TypeError(f"{name} must be a dict or None; got {type(options).__name__}.")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"{name}: unknown keys {unknown}; supported: {list(allowed)}.")
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()}


def check_choice(name, value, allowed):
    """`value` if it is one of `allowed`; else a one-line error listing them."""
    if not any(value is a or (type(value) is type(a) and value == a) for a in allowed):
        raise ValueError(f"{name} must be one of {list(allowed)}; got {value!r}.")
    return value


def fused_at(fused_scale, resolution):
    """Whether the resampling conv at `resolution` (its larger side) is fused.

    StyleGAN's `fused_scale='auto'` fuses from 128x128 on: G's up-convs whose
    OUTPUT is >= 128 and D's down-convs whose INPUT is >= 128.
    """
    return resolution >= 128 if fused_scale == "auto" else bool(fused_scale)


def _blur_config(blur_kernel):
    return None if blur_kernel is None else tuple(float(v) for v in blur_kernel)


def blur_same(x, taps):
    """StyleGAN's `blur2d`: a depthwise "same" CORRELATION with the normalized
    outer product of `taps` (NHWC).

    For symmetric odd filters such as the default [1, 2, 1] this is
    `filters.blur_2d`; for others it keeps the official orientation (no flip)
    and TensorFlow's "same" padding (the extra row after, for even filters).

    Example:

    >>> blur_same(tf.ones((1, 5, 5, 2)), (1, 2, 1))[0, 2, 2].numpy()
    array([1., 1.], dtype=float32)
    """
    k = np.outer(taps, taps)
    k = k / k.sum()
    channels = x.shape[-1]
    kernel = tf.constant(np.tile(k[:, :, None, None], [1, 1, channels, 1]), x.dtype)
    return tf.nn.depthwise_conv2d(x, kernel, strides=[1, 1, 1, 1], padding="SAME")


@keras.saving.register_keras_serializable(package="keras_gans")
class StyleGANSynthesis(keras.layers.Layer):
    """StyleGAN's synthesis network g: ws `[batch, num_ws, w_dim]` -> images.

    The layout of NVIDIA's `G_synthesis` (Karras et al. 2019, figure 1b and
    the official code), one style layer per convolution: layer `i` works at
    resolution `4 * 2**(i // 2)`; layer 0 is the learned 4x4 constant (or,
    with `const_input_layer=False`, a dense layer of `ws[:, 0]`), layer 1 a
    3x3 conv, even layers >= 2 a 2x upsampling conv followed by the blur, odd
    layers >= 3 a 3x3 conv. After each: per-pixel noise with per-channel
    strengths, bias, activation, optional pixel norm, instance norm (eps
    1e-8) and the style `x * y_s + y_b` from `A_i(ws[:, i])`. A linear 1x1
    toRGB at full resolution ends the network (the official `lod = 0`).

    Upsampling is nearest-neighbour then a 3x3 conv, or, where `fused_scale`
    says so (official 'auto': outputs >= 128), one fused stride-2 transposed
    conv (`keras_gans.layers.fused_scale`; a trained fused layer is NOT the
    same function as the unfused one with the same stored kernel).

    Weights map one to one onto the official variables (see
    `keras_gans.zoo.nvlabs.stylegan`): `convs[i - 1]` is layer i's conv,
    `noises[i]`, `biases[i]`, `affines[i]` its noise strength / stored noise,
    bias and style dense. The style dense's scale half is stored with bias
    init 1 (the official code stores 0 and adds 1 in `style_mod`).

    Args:
        resolution, image_channels, w_dim: output size, channels, size of w.
        channel_base, channel_max: `min(channel_base // res, channel_max)`
            maps at resolution `res` (official `fmap_base = channel_base / 2`
            with `fmap_decay = 1`).
        blur_kernel: taps of the low-pass filter after each upsampling conv;
            None: no blur.
        fused_scale: True, False or "auto" (fused from 128 px).
        use_noise, use_pixel_norm, use_instance_norm, use_styles,
        const_input_layer: the official switches of the same names.
        nonlinearity: "lrelu" (slope 0.2) or "relu", both with He gain
            sqrt(2) on the weights.

    Call as `synthesis(ws, noise=None, noise_mode="const", noise_seed=None)`
    (see `karras_common.inject_noise`).

    Example:

    >>> g = StyleGANSynthesis(8, 3, w_dim=16, channel_base=64, channel_max=16)
    >>> g(np.zeros((2, g.num_ws, 16), "float32")).shape
    TensorShape([2, 8, 8, 3])
    """

    def __init__(self, resolution=32, image_channels=1, w_dim=512, channel_base=16384,
                 channel_max=512, blur_kernel=(1, 2, 1), fused_scale="auto", use_noise=True,
                 use_pixel_norm=False, use_instance_norm=True, use_styles=True,
                 const_input_layer=True, nonlinearity="lrelu", **kwargs):
        super().__init__(**kwargs)
        self.resolution = int(resolution)
        self.image_channels = int(image_channels)
        self.w_dim = int(w_dim)
        self.channel_base = int(channel_base)
        self.channel_max = int(channel_max)
        self.blur_kernel = _blur_config(blur_kernel)
        self.fused_scale = check_choice("fused_scale", fused_scale, FUSED_SCALE_VALUES)
        self.use_noise = bool(use_noise)
        self.use_pixel_norm = bool(use_pixel_norm)
        self.use_instance_norm = bool(use_instance_norm)
        self.use_styles = bool(use_styles)
        self.const_input_layer = bool(const_input_layer)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
        self.num_layers = 2 * resolution_log2(self.resolution) - 2
        # Without styles the official network takes one w (read only by a
        # dense input layer).
        self.num_ws = self.num_layers if self.use_styles else 1
        self.widths = [channels_at(self.layer_resolution(i), channel_base, channel_max)
                       for i in range(self.num_layers)]
        # Conv i - 1 precedes style layer i (layer 0 is the constant). The
        # bias lives in the epilogue, after the noise (StyleGAN's order).
        self.convs = [self._make_conv(i) for i in range(1, self.num_layers)]
        self.input_dense = None
        if not self.const_input_layer:
            # The official gain sqrt(2) / 4 (ProGAN's 4x4 dense layer).
            self.input_dense = EqualizedDense(16 * self.widths[0], gain=SQRT2 / 4,
                                              use_bias=False, name="input_dense")
        self.noises = ([NoiseInjection(mode="const", per_channel=True, seed_offset=i,
                                       name=f"noise{i}") for i in range(self.num_layers)]
                       if self.use_noise else [])
        self.biases = [BiasActivation(activation=self.nonlinearity, name=f"bias{i}")
                       for i in range(self.num_layers)]
        # The scale half starts at 1: an identity style at initialization.
        self.affines = ([EqualizedDense(2 * c, gain=1.0, bias_init=[1.0] * c + [0.0] * c,
                                        name=f"style{i}") for i, c in enumerate(self.widths)]
                        if self.use_styles else [])
        self.pixel_norm = PixelNormalization(name="pixel_norm") if self.use_pixel_norm else None
        self.to_rgb = EqualizedConv2D(self.image_channels, 1, gain=1.0, name="to_rgb")

    @staticmethod
    def layer_resolution(i):
        """Resolution of style layer `i`."""
        return 4 * 2 ** (i // 2)

    def is_upsampling(self, i):
        return i >= 2 and i % 2 == 0

    def is_fused(self, i):
        return self.is_upsampling(i) and fused_at(self.fused_scale, self.layer_resolution(i))

    def _make_conv(self, i):
        if self.is_fused(i):
            return FusedUpsampleConv2D(self.widths[i], 3, use_bias=False, name=f"conv{i}")
        return EqualizedConv2D(self.widths[i], 3, use_bias=False, name=f"conv{i}")

    @property
    def noise_shapes(self):
        """(height, width) of each noise input, in layer order ([] without noise)."""
        if not self.use_noise:
            return []
        return [(self.layer_resolution(i),) * 2 for i in range(self.num_layers)]

    def build(self, input_shape):
        c0 = self.widths[0]
        if self.const_input_layer:
            # N(0, 1), as in StyleGAN2, not StyleGAN's ones: with a spatially
            # constant input and zero-strength noise the first instance norm
            # normalizes a constant map, where gradients are rounding noise
            # amplified by 1 / sqrt(epsilon).
            self.const = self.add_weight(
                name="const", shape=(1, 4, 4, c0),
                initializer=keras.initializers.RandomNormal(stddev=1.0))
        else:
            self.const = None
            self.input_dense.build((None, self.w_dim))
        for i in range(self.num_layers):
            size, width = self.layer_resolution(i), self.widths[i]
            if i > 0:
                in_size = size // 2 if self.is_upsampling(i) else size
                self.convs[i - 1].build((None, in_size, in_size, self.widths[i - 1]))
            if self.use_noise:
                self.noises[i].build((None, size, size, width))
            self.biases[i].build((None, size, size, width))
            if self.use_styles:
                self.affines[i].build((None, self.w_dim))
        self.to_rgb.build((None, self.resolution, self.resolution, self.widths[-1]))

    def _epilogue(self, x, i, ws, noise, noise_mode, noise_seed):
        if self.use_noise:
            x = inject_noise(self.noises[i], x, i, noise, noise_mode, noise_seed)
        x = self.biases[i](x)
        if self.pixel_norm is not None:
            x = self.pixel_norm(x)
        if self.use_instance_norm:
            x = instance_normalize(x)
        if self.use_styles:
            channels = self.widths[i]
            style = tf.cast(self.affines[i](ws[:, i]), x.dtype)[:, None, None, :]
            x = x * style[..., :channels] + style[..., channels:]
        return x

    def call(self, ws, noise=None, noise_mode="const", noise_seed=None):
        if self.const_input_layer:
            x = tf.tile(tf.cast(self.const, ws.dtype), [tf.shape(ws)[0], 1, 1, 1])
        else:
            x = tf.reshape(self.input_dense(ws[:, 0]), [-1, 4, 4, self.widths[0]])
        for i in range(self.num_layers):
            if self.is_fused(i):
                x = self.convs[i - 1](x)
            elif self.is_upsampling(i):
                x = self.convs[i - 1](upsample_2d(x, kernel=None))
            elif i > 0:
                x = self.convs[i - 1](x)
            if self.is_upsampling(i) and self.blur_kernel is not None:
                x = blur_same(x, self.blur_kernel)
            x = self._epilogue(x, i, ws, noise, noise_mode, noise_seed)
        return self.to_rgb(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.resolution, self.resolution, self.image_channels)

    def get_config(self):
        return {**super().get_config(), "resolution": self.resolution,
                "image_channels": self.image_channels, "w_dim": self.w_dim,
                "channel_base": self.channel_base, "channel_max": self.channel_max,
                "blur_kernel": None if self.blur_kernel is None else list(self.blur_kernel),
                "fused_scale": self.fused_scale, "use_noise": self.use_noise,
                "use_pixel_norm": self.use_pixel_norm,
                "use_instance_norm": self.use_instance_norm, "use_styles": self.use_styles,
                "const_input_layer": self.const_input_layer, "nonlinearity": self.nonlinearity}


@keras.saving.register_keras_serializable(package="keras_gans")
class StyleGenerator(keras.Model):
    """A style-based generator: mapping network, synthesis network and `w_avg`.

    Shared by StyleGAN and StyleGAN2, which differ in the `synthesis` layer.
    `w_avg` is a non-trainable weight (the EMA generator copies it, and it is
    saved and exported with the weights).

    Calling it, `generator(z, truncation_psi=1.0, noise_mode="const",
    noise_seed=None)` (conditional: `generator([z, labels], ...)` with
    integer labels), maps, broadcasts w to every layer, truncates the first
    `truncation_cutoff` layers (None: all) and synthesizes.

    Args:
        synthesis: a synthesis layer with `num_ws` and `noise_shapes`.
        latent_dim, w_dim, mapping_layers, mapping_lr_multiplier: the
            mapping network (see `karras_common.build_mapping_network`).
        convention: gain convention of the mapping layers.
        truncation_cutoff: layers truncated by `truncation_psi`.
        num_classes: None, or the number of classes of a conditional
            generator (StyleGAN2-ADA's label embedding in the mapping).
        mapping_hidden_dim: width of the hidden mapping layers (default
            `w_dim`; TF StyleGAN's `mapping_fmaps`).
    """

    def __init__(self, synthesis, latent_dim=512, w_dim=512, mapping_layers=8,
                 mapping_lr_multiplier=0.01, convention="progan", truncation_cutoff=None,
                 num_classes=None, mapping_hidden_dim=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(synthesis, dict):
            synthesis = keras.saving.deserialize_keras_object(synthesis)
        self.latent_dim = int(latent_dim)
        self.w_dim = int(w_dim)
        self.mapping_layers = int(mapping_layers)
        self.mapping_lr_multiplier = float(mapping_lr_multiplier)
        self.convention = convention
        self.truncation_cutoff = None if truncation_cutoff is None else int(truncation_cutoff)
        self.num_classes = None if not num_classes else int(num_classes)
        self.mapping_hidden_dim = None if mapping_hidden_dim is None else int(mapping_hidden_dim)
        self.mapping = build_mapping_network(latent_dim, w_dim, mapping_layers,
                                             mapping_lr_multiplier,
                                             hidden_dim=self.mapping_hidden_dim,
                                             convention=convention,
                                             label_dim=self.num_classes or 0)
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

    def map(self, z, labels=None, training=False):
        """w `[batch, w_dim]` for latents `z` (and integer labels, if conditional)."""
        if self.num_classes is None:
            return self.mapping(z, training=training)
        if labels is None:
            raise ValueError(f"This generator is conditional ({self.num_classes} classes): "
                             "pass integer labels.")
        onehot = tf.one_hot(tf.cast(labels, tf.int32), self.num_classes, dtype=z.dtype)
        return self.mapping([z, onehot], training=training)

    def call(self, z, truncation_psi=1.0, noise_mode="const", noise_seed=None, training=False):
        labels = None
        if self.num_classes is not None:
            z, labels = z
        ws = self.broadcast(self.map(z, labels, training=training))
        if not (isinstance(truncation_psi, (int, float)) and truncation_psi == 1.0):
            ws = self.truncate(ws, truncation_psi)
        return self.synthesis(ws, noise_mode=noise_mode, noise_seed=noise_seed)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "synthesis": keras.saving.serialize_keras_object(self.synthesis),
                "latent_dim": self.latent_dim, "w_dim": self.w_dim,
                "mapping_layers": self.mapping_layers,
                "mapping_lr_multiplier": self.mapping_lr_multiplier,
                "convention": self.convention, "truncation_cutoff": self.truncation_cutoff,
                "num_classes": self.num_classes, "mapping_hidden_dim": self.mapping_hidden_dim}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_gans")
class StyleGANDiscriminatorBlock(keras.layers.Layer):
    """One resolution of StyleGAN's discriminator (`D_basic`, 8x8 and up).

    conv 3x3 -> bias, act -> blur -> conv 3x3 with 2x2 average pooling ->
    bias, act. The pooled conv is either a 3x3 conv then the pooling
    (`fused=False`) or one fused stride-2 conv (`FusedConv2DDownsample`; the
    same function for the same stored kernel); the official 'auto' fuses
    from 128 px inputs on.

    Args:
        filters0, filters1: channels of the two convs.
        blur_kernel: FIR taps applied before the pooled conv; None: none.
        fused: whether the pooled conv is fused.
        nonlinearity: "lrelu" or "relu" (He gain sqrt(2) on the weights).
    """

    def __init__(self, filters0, filters1, blur_kernel=(1, 2, 1), fused=False,
                 nonlinearity="lrelu", **kwargs):
        super().__init__(**kwargs)
        self.filters0 = int(filters0)
        self.filters1 = int(filters1)
        self.blur_kernel = _blur_config(blur_kernel)
        self.fused = bool(fused)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
        self.conv0 = EqualizedConv2D(self.filters0, 3, activation=self.nonlinearity,
                                     name="conv0")
        if self.fused:
            self.conv1 = FusedConv2DDownsample(self.filters1, 3, activation=self.nonlinearity,
                                               name="conv1")
            self.bias1 = None
        else:
            # The bias and activation follow the pooling (the official order).
            self.conv1 = EqualizedConv2D(self.filters1, 3, use_bias=False, name="conv1")
            self.bias1 = BiasActivation(activation=self.nonlinearity, name="conv1_bias")

    def build(self, input_shape):
        _, h, w, c = input_shape
        self.conv0.build((None, h, w, c))
        self.conv1.build((None, h, w, self.filters0))
        if self.bias1 is not None:
            self.bias1.build((None, None, None, self.filters1))

    def call(self, x):
        x = self.conv0(x)
        if self.blur_kernel is not None:
            x = blur_same(x, self.blur_kernel)
        if self.fused:
            return self.conv1(x)
        return self.bias1(downsample_2d(self.conv1(x), kernel=None))

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        half = (lambda n: None if n is None else n // 2)
        return (b, half(h), half(w), self.filters1)

    def get_config(self):
        return {**super().get_config(), "filters0": self.filters0, "filters1": self.filters1,
                "blur_kernel": None if self.blur_kernel is None else list(self.blur_kernel),
                "fused": self.fused, "nonlinearity": self.nonlinearity}


@keras.saving.register_keras_serializable(package="keras_gans")
class StyleGANDiscriminatorEpilogue(keras.layers.Layer):
    """The 4x4 head of `D_basic`: minibatch stddev -> conv 3x3 -> dense -> dense(1).

    The minibatch stddev (ProGAN section 3) runs when `mbstd_group_size > 1`
    (the official condition) over groups of `min(group_size, N)` samples:
    `mbstd_grouping="strided"` is NVIDIA's grouping (sample n in group
    `n mod (N / G)`, needed to reproduce official logits), "consecutive"
    (the default for training here) groups samples `[kG, (k + 1)G)`, which
    does not depend on how a batch is split over replicas. The dense layer
    reads the conv's 4x4 map flattened in NHWC order (the official weights
    are in NCHW order: the converter permutes their rows).

    Args:
        filters: channels of the conv (official `nf(1)`).
        dense_units: units of the hidden dense layer (official `nf(0)`).
        mbstd_group_size, mbstd_num_features, mbstd_grouping: see above.
        nonlinearity: "lrelu" or "relu".
    """

    def __init__(self, filters, dense_units, mbstd_group_size=4, mbstd_num_features=1,
                 mbstd_grouping="consecutive", nonlinearity="lrelu", **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.dense_units = int(dense_units)
        self.mbstd_group_size = int(mbstd_group_size)
        self.mbstd_num_features = int(mbstd_num_features)
        self.mbstd_grouping = check_choice("mbstd_grouping", mbstd_grouping, MBSTD_GROUPINGS)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
        self.mbstd = None
        if self.mbstd_group_size > 1:
            cls = (MinibatchStandardDeviation if self.mbstd_grouping == "strided"
                   else ConsecutiveMinibatchStd)
            self.mbstd = cls(self.mbstd_group_size, self.mbstd_num_features, name="mbstd")
        self.conv = EqualizedConv2D(self.filters, 3, activation=self.nonlinearity, name="conv")
        self.dense = EqualizedDense(self.dense_units, activation=self.nonlinearity,
                                    name="dense")
        self.out = EqualizedDense(1, gain=1.0, name="out")

    def build(self, input_shape):
        _, h, w, c = input_shape
        extra = self.mbstd_num_features if self.mbstd is not None else 0
        if self.mbstd is not None:
            self.mbstd.build((None, h, w, c))
        self.conv.build((None, h, w, c + extra))
        self.dense.build((None, h * w * self.filters))
        self.out.build((None, self.dense_units))

    def call(self, x):
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.conv(x)
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        return self.out(self.dense(x))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "dense_units": self.dense_units, "mbstd_group_size": self.mbstd_group_size,
                "mbstd_num_features": self.mbstd_num_features,
                "mbstd_grouping": self.mbstd_grouping, "nonlinearity": self.nonlinearity}


def build_stylegan_discriminator(resolution=32, channels=1, channel_base=16384, channel_max=512,
                                 mbstd_group_size=4, blur_kernel=(1, 2, 1),
                                 name="discriminator", mbstd_num_features=1,
                                 mbstd_grouping="consecutive", fused_scale="auto",
                                 nonlinearity="lrelu"):
    """StyleGAN's discriminator, the layout of NVIDIA's `D_basic` at lod 0.

    fromRGB (1x1 conv, act) -> one `StyleGANDiscriminatorBlock` per
    resolution down to 4x4 (blur before each pooled conv; fused from 128 px
    with `fused_scale="auto"`) -> `StyleGANDiscriminatorEpilogue`. Widths
    `channels_at(res)` for the fromRGB and first conv of a block, the next
    resolution's width for its second conv, `channels_at(2)` for the dense
    layer (the official `nf(0)`).

    Example:

    >>> d = build_stylegan_discriminator(8, channel_base=64, channel_max=16)
    >>> tuple(d.output.shape)
    (None, 1)
    """
    top = resolution_log2(resolution)
    check_choice("fused_scale", fused_scale, FUSED_SCALE_VALUES)
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    check_choice("mbstd_grouping", mbstd_grouping, MBSTD_GROUPINGS)
    width = (lambda res: channels_at(res, channel_base, channel_max))
    images = keras.Input((int(resolution), int(resolution), int(channels)), name="images")
    x = EqualizedConv2D(width(resolution), 1, activation=nonlinearity, name="from_rgb")(images)
    for log2 in range(top, 2, -1):
        res = 2**log2
        x = StyleGANDiscriminatorBlock(width(res), width(res // 2), blur_kernel,
                                       fused=fused_at(fused_scale, res),
                                       nonlinearity=nonlinearity, name=f"block{res}")(x)
    logits = StyleGANDiscriminatorEpilogue(width(4), width(2), mbstd_group_size,
                                           mbstd_num_features, mbstd_grouping, nonlinearity,
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
        synthesis_options: further `StyleGANSynthesis` arguments (the
            official layout switches: `fused_scale`, `use_noise`,
            `use_pixel_norm`, `use_instance_norm`, `use_styles`,
            `const_input_layer`, `nonlinearity`, `blur_kernel`).
        discriminator_options: further `build_stylegan_discriminator`
            arguments (`mbstd_num_features`, `mbstd_grouping`, `fused_scale`,
            `nonlinearity`, `blur_kernel`).

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
    #: StyleGAN (v1) is unconditional here (its D has no label input): data
    #: labels are not handed to the constructor.
    data_arguments = ("resolution", "channels")
    #: Keys accepted in `synthesis_options` / `discriminator_options`.
    synthesis_option_names = SYNTHESIS_OPTIONS
    discriminator_option_names = DISCRIMINATOR_OPTIONS
    example_config = {"resolution": 8, "latent_dim": 8, "mapping_layers": 2, "channel_base": 64,
                      "channel_max": 8, "ema_decay": 0.5}

    def __init__(self, resolution=32, channels=1, latent_dim=512, w_dim=None, mapping_layers=8,
                 mapping_lr_multiplier=0.01, channel_base=16384, channel_max=512,
                 truncation_cutoff=8, style_mixing_prob=0.9, w_avg_beta=0.995,
                 mbstd_group_size=4, ema_decay=0.999, seed=0, synthesis_options=None,
                 discriminator_options=None, truncation_psi=1.0, num_classes=None,
                 mapping_hidden_dim=None, **kwargs):
        self.resolution = int(resolution)
        self.synthesis_options = check_options("synthesis_options", synthesis_options,
                                               self.synthesis_option_names)
        self.discriminator_options = check_options("discriminator_options",
                                                   discriminator_options,
                                                   self.discriminator_option_names)
        # The default psi of generate/sample (official files carry theirs).
        check_truncation_psi(truncation_psi)
        self.truncation_psi = float(truncation_psi)
        self.mapping_hidden_dim = None if mapping_hidden_dim is None else int(mapping_hidden_dim)
        num_classes = None if not num_classes else int(num_classes)
        # Read by build_discriminator (before the base class sets it).
        self.num_classes = num_classes
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
                                   truncation_cutoff=self.truncation_cutoff,
                                   num_classes=num_classes,
                                   mapping_hidden_dim=self.mapping_hidden_dim, name="generator")
        super().__init__(generator, self.build_discriminator(), latent_dim=latent_dim,
                         ema_decay=ema_decay, seed=seed, num_classes=num_classes, **kwargs)
        self.num_ws = generator.num_ws
        self.r1_interval = self.default_r1_interval
        self._pending_w = PerReplica()

    # ---------------------------------------------------------------- networks
    def build_synthesis(self):
        return StyleGANSynthesis(self.resolution, self.channels, self.w_dim, self.channel_base,
                                 self.channel_max, name="synthesis",
                                 **(self.synthesis_options or {}))

    def build_discriminator(self):
        return build_stylegan_discriminator(self.resolution, self.channels, self.channel_base,
                                            self.channel_max, self.mbstd_group_size,
                                            **(self.discriminator_options or {}))

    def architecture_config(self):
        return {"resolution": self.resolution, "channels": self.channels,
                "latent_dim": self.latent_dim, "w_dim": self.w_dim,
                "mapping_layers": self.mapping_layers,
                "mapping_lr_multiplier": self.mapping_lr_multiplier,
                "channel_base": self.channel_base, "channel_max": self.channel_max,
                "truncation_cutoff": self.truncation_cutoff,
                "style_mixing_prob": self.style_mixing_prob, "w_avg_beta": self.w_avg_beta,
                "mbstd_group_size": self.mbstd_group_size,
                "truncation_psi": self.truncation_psi, "num_classes": self.num_classes,
                "mapping_hidden_dim": self.mapping_hidden_dim,
                # Only when set: StyleGAN2 inherits this config and ignores them.
                **({"synthesis_options": self.synthesis_options}
                   if self.synthesis_options else {}),
                **({"discriminator_options": self.discriminator_options}
                   if self.discriminator_options else {})}

    def extra_metric_names(self):
        return ("d_r1",)

    # ----------------------------------------------------------------- compile
    options = (
        Option("r1_gamma", 10.0, "gamma of the R1 penalty gamma / 2 * ||grad D(x)||^2 (10 in "
               "the papers' FFHQ runs)", check=non_negative),
        Option("r1_interval", None, "apply R1 every this many D steps, scaled by the interval "
               "(StyleGAN2's lazy regularization); default: the family's "
               "`default_r1_interval` (1 for StyleGAN, 16 for StyleGAN2)",
               check=optional_positive_int),
    )

    def configure(self):
        super().configure()
        if self.r1_interval is None:
            self.r1_interval = self.default_r1_interval

    def default_optimizers(self):
        return (keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
                keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8))

    # ---------------------------------------------------------------- training
    def training_labels(self, labels, batch):
        """The labels of a conditional training batch (uniform random ones
        when the caller has none, e.g. the path-length regularizer); None for
        unconditional models."""
        if self.num_classes is None:
            return None
        if labels is None:
            return self.random_uniform([batch], 0, self.num_classes, dtype="int32")
        return labels

    def training_ws(self, z, labels=None):
        """(w, ws) for a training batch: mapped w and per-layer ws after mixing.

        With probability `style_mixing_prob` a sample switches from its own w
        to the w of a second latent at a crossover layer drawn uniformly
        from [1, num_ws); otherwise (crossover = num_ws) it keeps its own.
        Conditional models map both latents with the sample's label.
        """
        gen = self.generator
        labels = self.training_labels(labels, tf.shape(z)[0])
        w = gen.map(z, labels, training=True)
        ws = gen.broadcast(w)
        if self.style_mixing_prob > 0 and self.num_ws > 1:
            batch = tf.shape(z)[0]
            ws2 = gen.broadcast(gen.map(self.sample_latents(batch), labels, training=True))
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
        w, ws = self.training_ws(z, labels)
        # Consumed by after_generator_update: w_avg moves only with G steps.
        self._pending_w.put(w)
        return self.generator.synthesis(ws, noise=self.training_noise(tf.shape(z)[0]))

    def after_generator_update(self):
        w = self._pending_w.pop()
        if w is None:
            return
        # The mean over the GLOBAL batch: every replica assigns the same value.
        # In float32, as the w_avg variable (w is 16-bit under mixed precision).
        batch_mean = global_mean(tf.cast(w, tf.float32), axis=0)
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

    def _run_synthesis(self, source, inputs, truncation_psi=None, noise_mode="const",
                       noise_seed=None, batch_size=256, uint8=False):
        """Images from the inference generator, in one compiled call per chunk.

        `source` names what `inputs` (numpy arrays, one row per sample) hold:
        "ws" `(ws [n, num_ws, w_dim],)`, "w" `(w [n, w_dim],)` (every layer),
        "z" `(z,)` or `(z, labels)`, "z_pair" `(z1, z2, crossover)` (style
        mixing). The mapping, broadcast, style mix, truncation, synthesis and
        clip (and with `uint8=True` the conversion to uint8) all run inside
        one `tf.function`, as in the exported endpoints: a Python call costs
        one dispatch, not one per stage.
        """
        from keras_gans.export.savedmodel import images_to_uint8

        gen = self.inference_generator
        n = len(inputs[0])
        if truncation_psi is None:
            truncation_psi = self.truncation_psi
        psi = check_truncation_psi(truncation_psi, n)
        truncated = not (psi.ndim == 0 and psi == 1.0)
        psi = np.broadcast_to(np.asarray(psi, np.float32).reshape(-1), (n,))
        seeds = self._noise_seed(noise_mode, noise_seed, n)

        def styles(*args):
            if source == "ws":
                return args[0]
            if source == "w":
                return gen.broadcast(args[0])
            if source == "z":
                return gen.broadcast(gen.map(args[0], args[1] if len(args) > 1 else None))
            z1, z2, crossover = args
            return mix_by_crossover(gen.broadcast(gen.map(z1, None)),
                                    gen.broadcast(gen.map(z2, None)), crossover)

        def run(*args):
            seed = None
            if seeds is not None:
                *args, seed = args
            if truncated:
                *args, psi_rows = args
            ws = styles(*args)
            if truncated:
                ws = gen.truncate(ws, psi_rows)
            out = gen.synthesis(ws, noise_mode=noise_mode, noise_seed=seed)
            # The synthesis output is linear (the papers); images are [-1, 1].
            out = tf.clip_by_value(tf.cast(out, tf.float32), -1.0, 1.0)
            return images_to_uint8(out) if uint8 else out

        name = "/".join([source, noise_mode, "truncated" if truncated else "plain",
                         "seeded" if seeds is not None else "", "uint8" if uint8 else "float"])
        out = []
        for i in range(0, n, int(batch_size)):
            rows = slice(i, i + int(batch_size))
            # psi is an input only when it is used: every input costs a
            # conversion and a feed per call.
            chunk = tuple(x[rows] for x in inputs) + ((psi[rows],) if truncated else ())
            if seeds is not None:
                chunk += (seeds[rows],)
            out.append(self.run_compiled(name, run, *chunk).numpy())
        return out[0] if len(out) == 1 else np.concatenate(out, axis=0)

    def mapping(self, z, labels=None, batch_size=256):
        """w = f(z) for latents `z` `(n, latent_dim)` (and integer labels, for
        conditional models), numpy `(n, w_dim)`, untruncated."""
        if isinstance(labels, (int, np.integer)) and self.num_classes is None:
            # mapping(z, 256): the batch size, as before labels existed.
            labels, batch_size = None, int(labels)
        z = self.check_latents(z)
        labels = self.check_labels(labels, len(z))
        gen = self.inference_generator

        def mapped(z, labels=None):
            return tf.cast(gen.map(z, labels), tf.float32)

        out = []
        for i in range(0, len(z), batch_size):
            chunk = (z[i:i + batch_size],) if labels is None else (
                z[i:i + batch_size], labels[i:i + batch_size])
            out.append(self.run_compiled("mapping", mapped, *chunk).numpy())
        return out[0] if len(out) == 1 else np.concatenate(out, axis=0)

    def discriminate(self, images, labels=None, training=False):
        """D's logits `[n, 1]` for images in [-1, 1], NHWC (and integer labels).

        Note that the minibatch-stddev layer makes every logit depend on the
        other images of its group: pass a batch as D saw it in training.
        """
        if self.num_classes is not None and labels is not None and not tf.is_tensor(labels):
            labels = tf.constant(self.check_labels(labels, len(labels)))
        if not tf.is_tensor(images):
            images = tf.constant(np.asarray(images, np.float32))
        return super().discriminate(images, labels, training=training)

    def synthesis(self, w, truncation_psi=None, noise_mode="const", noise_seed=None,
                  batch_size=256):
        """Float images from `w` `(n, w_dim)` (every layer) or `(n, num_ws, w_dim)`."""
        w = np.asarray(w, np.float32)
        if w.ndim == 2 and w.shape[1] == self.w_dim:
            source = "w"
        elif w.ndim == 3 and w.shape[1:] == (self.num_ws, self.w_dim):
            source = "ws"
        else:
            raise ValueError(f"w must have shape (n, {self.w_dim}) or (n, {self.num_ws}, "
                             f"{self.w_dim}); got {w.shape}.")
        return self._run_synthesis(source, (w,), truncation_psi, noise_mode, noise_seed,
                                   batch_size)

    def generate(self, z, labels=None, batch_size=256, truncation_psi=None, noise_mode="const",
                 noise_seed=None):
        """Float images for latents `z` (EMA generator, inference mode).

        Args:
            labels: integer labels, one per sample (conditional models only).
            truncation_psi: in [0, 1], a number or one per sample (1: none);
                None: the model's `truncation_psi` (1 unless a converted
                file says otherwise).
            noise_mode: "const" (stored noise, the default), "random" (then
                `noise_seed`, one int per sample, is required) or "none".
        """
        return self._generate(z, labels, batch_size, truncation_psi, noise_mode, noise_seed)

    def _generate(self, z, labels, batch_size, truncation_psi, noise_mode, noise_seed,
                  uint8=False):
        z = self.check_latents(z)
        labels = self.check_labels(labels, len(z))
        inputs = (z,) if labels is None else (z, labels)
        return self._run_synthesis("z", inputs, truncation_psi, noise_mode, noise_seed,
                                   batch_size, uint8=uint8)

    def sample(self, n, seed=0, labels=None, batch_size=256, truncation_psi=None,
               noise_mode="const"):
        """`n` uint8 images from `seed`; with `noise_mode="random"` the noise
        seeds are derived from `seed` too, so the result is reproducible."""
        noise_seed = None
        if noise_mode == "random":
            noise_seed = np.random.default_rng([int(seed), 1]).integers(0, 2**31 - 1, int(n))
        return self._generate(self.latents(n, seed), labels, batch_size, truncation_psi,
                              noise_mode, noise_seed, uint8=True)

    def style_mixing(self, z1, z2, crossover, truncation_psi=None, noise_mode="const",
                     noise_seed=None):
        """Float images with layers `< crossover` styled by `z1`, the rest by `z2`.

        `crossover` is an int or one per sample: 0 gives `z2`'s image, any
        value >= `num_ws` gives `z1`'s.
        """
        z1, z2 = self.check_latents(z1, "z1"), self.check_latents(z2, "z2")
        if z1.shape != z2.shape:
            raise ValueError(f"z1 and z2 must have the same shape; got {z1.shape}, {z2.shape}.")
        self.check_labels(None, len(z1))  # style mixing of conditional models: refused
        crossover = np.broadcast_to(np.asarray(crossover, np.int32), (len(z1),))
        return self._run_synthesis("z_pair", (z1, z2, crossover), truncation_psi, noise_mode,
                                   noise_seed)

    def _ws(self, z):
        return np.repeat(self.mapping(z)[:, None], self.num_ws, axis=1)

    def mix_styles(self, z_rows, z_cols, layers=None, truncation_psi=None, noise_mode="const"):
        """A style-mixing grid like StyleGAN's figure 3, uint8
        `(rows + 1, cols + 1, H, W, C)`.

        Cell `(i + 1, j + 1)` takes the styles of `layers` from row source
        `z_rows[i]` and all other styles from column source `z_cols[j]`; row 0
        shows the column sources, column 0 the row sources, cell (0, 0) is
        blank. Default `layers`: the coarse ones, `range(min(4, num_ws))`
        (the paper's rows also use middle `[4, 8)` and fine `[8, num_ws)`).
        Save it with `karras_common.save_style_mixing_figure(grid, path)`.
        """
        z_rows, z_cols = self.check_latents(z_rows, "z_rows"), self.check_latents(z_cols, "z_cols")
        layers = list(range(min(4, self.num_ws)) if layers is None else layers)
        rows, cols = len(z_rows), len(z_cols)
        ws_rows, ws_cols = self._ws(z_rows), self._ws(z_cols)
        base = np.repeat(ws_cols[None], rows, axis=0).reshape((-1,) + ws_cols.shape[1:])
        other = np.repeat(ws_rows, cols, axis=0)
        mixed = np.asarray(mix_by_layers(base, other, layers, self.num_ws))
        images = self._run_synthesis("ws", (np.concatenate([ws_rows, ws_cols, mixed]),),
                                     truncation_psi, noise_mode, uint8=True)
        grid = np.zeros((rows + 1, cols + 1) + images.shape[1:], np.uint8)
        grid[1:, 0] = images[:rows]
        grid[0, 1:] = images[rows:rows + cols]
        grid[1:, 1:] = images[rows + cols:].reshape((rows, cols) + images.shape[1:])
        return grid

    def interpolate(self, z0, z1, steps=8, space="z", truncation_psi=None, noise_mode="const",
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
        * `generate(z) -> {"images": float in [-1, 1]}` (the model's default
          `truncation_psi`, constant noise: what `generate(z)` returns)
        * `generate_seeded(z, truncation_psi, noise_seed [n] int64) -> {"images": uint8}`
          (per-sample random noise from the seeds)
        * `mapping(z) -> {"w": [n, w_dim]}` (untruncated)
        * `synthesis(w [n, w_dim]) -> {"images": uint8}` (default psi, like `generate`)
        * `style_mixing(z1, z2, crossover [n] int32) -> {"images": uint8}`

        Conditional models take `labels [n] int32` after the latents in
        every endpoint that maps a latent (one labels input for both
        latents of `style_mixing`); out-of-range labels fail an in-graph
        check. `truncation_psi` outside [0, 1] or NaN fails an in-graph
        assertion whose message names it.
        """
        from keras_gans.export.savedmodel import images_to_uint8

        gen = self.inference_generator
        default_psi = self.truncation_psi
        num_classes = self.num_classes
        z_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")
        psi_spec = tf.TensorSpec([None], tf.float32, name="truncation_psi")
        seed_spec = tf.TensorSpec([None], tf.int64, name="noise_seed")
        label_spec = tf.TensorSpec([None], tf.int32, name="labels")

        def checked(labels):
            if num_classes is None:
                return None
            in_range = tf.logical_and(tf.reduce_all(labels >= 0),
                                      tf.reduce_all(labels < num_classes))
            with tf.control_dependencies([tf.debugging.Assert(in_range, [
                    f"labels must lie in [0, {num_classes - 1}]; got", labels])]):
                return tf.identity(labels)

        def inputs(z, labels):
            return z if num_classes is None else [z, checked(labels)]

        def truncated(ws):
            return ws if default_psi == 1.0 else gen.truncate(ws, default_psi)

        def serve(z, truncation_psi, labels=None):
            images = gen(inputs(z, labels), truncation_psi=assert_truncation_psi(truncation_psi))
            return {"images": images_to_uint8(images)}

        def generate(z, labels=None):
            return {"images": tf.clip_by_value(gen(inputs(z, labels), truncation_psi=default_psi),
                                               -1.0, 1.0)}

        def generate_seeded(z, truncation_psi, noise_seed, labels=None):
            images = gen(inputs(z, labels), truncation_psi=assert_truncation_psi(truncation_psi),
                         noise_mode="random", noise_seed=noise_seed)
            return {"images": images_to_uint8(images)}

        def mapping(z, labels=None):
            return {"w": gen.map(z, checked(labels))}

        def synthesis(w):
            return {"images": images_to_uint8(gen.synthesis(truncated(gen.broadcast(w))))}

        def style_mixing(z1, z2, crossover, labels=None):
            labels = checked(labels)
            ws = mix_by_crossover(gen.broadcast(gen.map(z1, labels)),
                                  gen.broadcast(gen.map(z2, labels)), crossover)
            return {"images": images_to_uint8(gen.synthesis(ws))}

        extra = [] if num_classes is None else [label_spec]
        if num_classes is not None:
            # Explicit positional signatures (a default argument is no input).
            serve_fn = lambda z, truncation_psi, labels: serve(z, truncation_psi, labels)
            generate_fn = lambda z, labels: generate(z, labels)
            seeded_fn = lambda z, truncation_psi, noise_seed, labels: generate_seeded(
                z, truncation_psi, noise_seed, labels)
            mapping_fn = lambda z, labels: mapping(z, labels)
            mixing_fn = lambda z1, z2, crossover, labels: style_mixing(
                z1, z2, crossover, labels)
        else:
            serve_fn = lambda z, truncation_psi: serve(z, truncation_psi)
            generate_fn = lambda z: generate(z)
            seeded_fn = lambda z, truncation_psi, noise_seed: generate_seeded(
                z, truncation_psi, noise_seed)
            mapping_fn = lambda z: mapping(z)
            mixing_fn = lambda z1, z2, crossover: style_mixing(z1, z2, crossover)
        return [
            ("serving_default", serve_fn, [z_spec, psi_spec] + extra),
            ("generate", generate_fn, [z_spec] + extra),
            ("generate_seeded", seeded_fn, [z_spec, psi_spec, seed_spec] + extra),
            ("mapping", mapping_fn, [z_spec] + extra),
            ("synthesis", synthesis, [tf.TensorSpec([None, self.w_dim], tf.float32, name="w")]),
            ("style_mixing", mixing_fn,
             [tf.TensorSpec([None, self.latent_dim], tf.float32, name="z1"),
              tf.TensorSpec([None, self.latent_dim], tf.float32, name="z2"),
              tf.TensorSpec([None], tf.int32, name="crossover")] + extra),
        ]
