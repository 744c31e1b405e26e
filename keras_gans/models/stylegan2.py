"""StyleGAN2 (Karras, Laine, Aittala, Hellsten, Lehtinen & Aila 2020,
"Analyzing and Improving the Image Quality of StyleGAN", CVPR 2020,
arXiv:1912.04958).

Changes from StyleGAN, as in the paper:

* Weight demodulation instead of AdaIN (section 2.2, figure 2d): every conv is
  a `ModulatedConv2D` whose input channels are scaled by the style `s = A(w)`
  (bias initialized to 1) and whose outputs are demodulated; noise and bias
  are applied outside the style block (noise with one learned scalar
  strength per layer). The constant input is N(0, 1)-initialized.
* Skip-connection generator (section 4.1, figure 7b): a toRGB (modulated
  1x1 conv, not demodulated) at every resolution, the images summed with the
  FIR-upsampled (`[1, 3, 3, 1]`) image of the previous resolution.
* Residual discriminator (figure 7c): two 3x3 convs (the second one
  FIR-downsampling) plus a 1x1 downsampling skip, the sum scaled by
  1/sqrt(2); the ProGAN minibatch-stddev epilogue.
* No progressive growing.
* Non-saturating logistic loss; lazy R1 (every 16 D steps, gamma = 10 for
  FFHQ, the penalty multiplied by the interval 16), and lazy path-length
  regularization (every 4 G steps, weight 2 times the interval, running
  mean `a` with decay 0.01, on half the batch: `pl_batch_shrink = 2`)
  (sections 3.1 and 3.2, appendix B).
* Equalized layers use StyleGAN2's gain convention (gain 1 on the weights,
  sqrt(2) after leaky ReLU); Adam(0.002, beta_1=0, beta_2=0.99,
  epsilon=1e-8); truncation applies to all layers (`truncation_cutoff=None`)
  by default.

Lazy regularization in a graph. The regularizers are added to the loss of
the ordinary step inside a `tf.cond` on `optimizer.iterations % interval ==
0` (`karras_common.lazy_regularizer`): on off-steps their forward and
backward passes do not run. The cond contains no `merge_call`, no
all-reduce and no optimizer update (the global mean of the path lengths is
all-reduced after it, and the running mean assigned after the G update),
which keeps it valid under `tf.distribute`; one step on 2 replicas equals
one step on one device with the global batch. The official code
instead runs the regularizer as a separate optimizer step and therefore
rescales Adam's learning rate and betas by `interval / (interval + 1)` to
compensate for the extra steps; here there are no extra steps, so the
optimizers keep the paper's hyperparameters unchanged.
Measured on this shared 2-core CPU (resolution 16, batch 8, w 32, 4
mapping layers, 32 maps; CPU time per step over two 48-step epochs after
tracing): lazy regularization (this cond) 56 and 69 ms, no regularization
at all 66 and 56 ms, both regularizers on every step (what a 0/interval
multiplier would compute) 90 and 107 ms. The lazy cond costs about what the
regularizers cost on 1/16 (R1) and 1/4 (PL) of the steps; the multiplier
form would pay them on every step, 1.6x the step time here.

Everything else (mapping, truncation, style mixing with probability 0.9,
`w_avg` with beta 0.995, sampling, mixing grids, interpolation, export) is
inherited from `keras_gans.models.stylegan.StyleGAN`.
"""

import math

import keras
import tensorflow as tf

from keras_gans.layers.equalized import SQRT2, BiasActivation, EqualizedConv2D, EqualizedDense
from keras_gans.layers.filters import DEFAULT_KERNEL, FIRDownsample2D, upsample_2d
from keras_gans.layers.modulated import ModulatedConv2D, ToRGB
from keras_gans.layers.noise import NoiseInjection
from keras_gans.losses import penalties
from keras_gans.losses.reduction import global_mean
from keras_gans.models.karras_common import (
    DiscriminatorEpilogue,
    build_mapping_network,
    channels_at,
    equalized_conv,
    inject_noise,
    lazy_regularizer,
    resolution_log2,
)
from keras_gans.models.randomness import PerReplica, assign_variables
from keras_gans.models.registry import register_family
from keras_gans.models.stylegan import StyleGAN
from keras_gans.models.options import Option, in_unit_interval, non_negative, positive_int
from keras_gans.models.conditioning import OneHot


#: Generator architectures (StyleGAN2 figure 7): "skip" (config E/F: a toRGB
#: per resolution, images summed), "orig" (one toRGB at the end), "resnet"
#: (residual blocks with an upsampling 1x1 skip conv, one toRGB at the end).
G_ARCHITECTURES = ("skip", "orig", "resnet")
#: Discriminator architectures (figure 7): "resnet" (config E/F), "orig",
#: "skip" (a fromRGB per resolution on the downsampled image).
D_ARCHITECTURES = ("resnet", "orig", "skip")


def _check_architecture(value, allowed, what):
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}; got {value!r}.")
    return value


@keras.saving.register_keras_serializable(package="keras_gans")
class StyleGAN2Synthesis(keras.layers.Layer):
    """StyleGAN2's synthesis network: ws -> images.

    Layers (with `L = log2(resolution) - 2` upsampling blocks):
    conv 0 at 4x4 (style 0) and toRGB 0 (style 1); block `k = 1..L`: an
    upsampling conv (style `2k - 1`), a conv (style `2k`) and toRGB `k`
    (style `2k + 1`), so `num_ws = 2 L + 2 = 2 log2(resolution) - 2`, with
    each toRGB sharing its w index with the next block's first conv, as in
    the paper's code. Every conv: modulated/demodulated 3x3 conv ->
    noise -> bias -> leaky ReLU * sqrt(2) (-> clamp to `conv_clamp`).

    The layer order is that of the official networks, one to one: conv `j`
    is StyleGAN2-ADA's `b4.conv1` (j = 0), `b{4 * 2**k}.conv0` (j = 2k - 1)
    and `.conv1` (j = 2k), and TF StyleGAN2's `4x4/Conv`, `..x../Conv0_up`,
    `..x../Conv1` with noise input `noise{j}`; toRGB `k` is `b{4 * 2**k}.torgb`.

    Args:
        resolution, image_channels, w_dim: the image and the style size.
        channel_base, channel_max: `min(channel_base // res, channel_max)`
            feature maps at resolution `res`.
        resample_kernel: FIR taps of every up/downsampling (`[1, 3, 3, 1]`).
        architecture: "skip" (default), "orig" or "resnet" (see
            `G_ARCHITECTURES`); "orig" and "resnet" have only the last toRGB.
        conv_clamp: optional clip of every conv and toRGB output
            (StyleGAN2-ADA; applied after the activation gain).

    Call as `synthesis(ws, noise=None, noise_mode="const", noise_seed=None)`.
    """

    def __init__(self, resolution=32, image_channels=1, w_dim=512, channel_base=32768,
                 channel_max=512, resample_kernel=DEFAULT_KERNEL, architecture="skip",
                 conv_clamp=None, **kwargs):
        super().__init__(**kwargs)
        self.resolution = int(resolution)
        self.image_channels = int(image_channels)
        self.w_dim = int(w_dim)
        self.channel_base = int(channel_base)
        self.channel_max = int(channel_max)
        self.resample_kernel = tuple(float(v) for v in resample_kernel)
        self.architecture = _check_architecture(architecture, G_ARCHITECTURES, "architecture")
        self.conv_clamp = None if conv_clamp is None else float(conv_clamp)
        self.num_blocks = resolution_log2(self.resolution) - 2
        self.num_ws = 2 * self.num_blocks + 2
        self.widths = [channels_at(4 * 2**k, channel_base, channel_max)
                       for k in range(self.num_blocks + 1)]
        # Conv j: j = 0 at 4x4; j = 2k - 1 (up) and 2k in block k. Its style
        # index is j, its level (j + 1) // 2.
        self.conv_levels = [0] + [k for k in range(1, self.num_blocks + 1) for _ in (0, 1)]
        self.convs, self.conv_affines, self.noises, self.biases = [], [], [], []
        for j, level in enumerate(self.conv_levels):
            up = 2 if j % 2 == 1 else 1
            self.convs.append(ModulatedConv2D(self.widths[level], 3, up=up,
                                              resample_kernel=self.resample_kernel,
                                              name=f"conv{j}"))
            self.conv_affines.append(EqualizedDense(self._conv_in(j), gain=1.0, bias_init=1.0,
                                                    name=f"conv{j}_style"))
            self.noises.append(NoiseInjection(mode="const", seed_offset=j, name=f"noise{j}"))
            self.biases.append(BiasActivation(activation="lrelu", activation_gain=SQRT2,
                                              clamp=self.conv_clamp, name=f"bias{j}"))
        # toRGB k exists at every level (skip) or only at the last one.
        self.rgb_levels = tuple(range(self.num_blocks + 1)) if self.architecture == "skip" \
            else (self.num_blocks,)
        self.rgb_affines = [EqualizedDense(self.widths[k], gain=1.0, bias_init=1.0,
                                           name=f"to_rgb{k}_style") for k in self.rgb_levels]
        self.to_rgbs = [ToRGB(self.image_channels, clamp=self.conv_clamp, name=f"to_rgb{k}")
                        for k in self.rgb_levels]
        # resnet: the 1x1 upsampling skip conv of block k (no bias, linear).
        self.skips = ([EqualizedConv2D(self.widths[k], 1, gain=1.0, up=2, use_bias=False,
                                       resample_kernel=self.resample_kernel, name=f"skip{k}")
                       for k in range(1, self.num_blocks + 1)]
                      if self.architecture == "resnet" else [])

    def _conv_in(self, j):
        level = self.conv_levels[j]
        return self.widths[level - 1] if j % 2 == 1 else self.widths[level]

    @property
    def noise_shapes(self):
        return [(4 * 2**level,) * 2 for level in self.conv_levels]

    def build(self, input_shape):
        self.const = self.add_weight(name="const", shape=(1, 4, 4, self.widths[0]),
                                     initializer=keras.initializers.RandomNormal(stddev=1.0))
        for j, level in enumerate(self.conv_levels):
            size, c_in = 4 * 2**level, self._conv_in(j)
            in_size = size // 2 if j % 2 == 1 else size
            self.convs[j].build([(None, in_size, in_size, c_in), (None, c_in)])
            self.conv_affines[j].build((None, self.w_dim))
            self.noises[j].build((None, size, size, self.widths[level]))
            self.biases[j].build((None, size, size, self.widths[level]))
        for i, k in enumerate(self.rgb_levels):
            size, width = 4 * 2**k, self.widths[k]
            self.rgb_affines[i].build((None, self.w_dim))
            self.to_rgbs[i].build([(None, size, size, width), (None, width)])
        for k, skip in enumerate(self.skips, start=1):
            size = 4 * 2 ** (k - 1)
            skip.build((None, size, size, self.widths[k - 1]))

    def _conv(self, j, x, ws, noise, noise_mode, noise_seed):
        x = self.convs[j]([x, self.conv_affines[j](ws[:, j])])
        x = inject_noise(self.noises[j], x, j, noise, noise_mode, noise_seed)
        return self.biases[j](x)

    def _rgb(self, k, x, ws):
        i = self.rgb_levels.index(k)
        return self.to_rgbs[i]([x, self.rgb_affines[i](ws[:, 2 * k + 1])])

    def call(self, ws, noise=None, noise_mode="const", noise_seed=None):
        x = tf.tile(tf.cast(self.const, ws.dtype), [tf.shape(ws)[0], 1, 1, 1])
        x = self._conv(0, x, ws, noise, noise_mode, noise_seed)
        images = self._rgb(0, x, ws) if self.architecture == "skip" else None
        for k in range(1, self.num_blocks + 1):
            y = self.skips[k - 1](x) if self.architecture == "resnet" else None
            x = self._conv(2 * k - 1, x, ws, noise, noise_mode, noise_seed)
            x = self._conv(2 * k, x, ws, noise, noise_mode, noise_seed)
            if y is not None:
                # (skip + clamp(conv)) / sqrt(2) equals the official
                # gain-sqrt(0.5) layers, clamp included.
                x = (y + x) * tf.constant(1.0 / math.sqrt(2.0), x.dtype)
            if self.architecture == "skip":
                images = upsample_2d(images, self.resample_kernel) + self._rgb(k, x, ws)
        if self.architecture != "skip":
            images = self._rgb(self.num_blocks, x, ws)
        return images

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.resolution, self.resolution, self.image_channels)

    def get_config(self):
        config = {**super().get_config(), "resolution": self.resolution,
                  "image_channels": self.image_channels, "w_dim": self.w_dim,
                  "channel_base": self.channel_base, "channel_max": self.channel_max,
                  "resample_kernel": list(self.resample_kernel)}
        if self.architecture != "skip":
            config["architecture"] = self.architecture
        if self.conv_clamp is not None:
            config["conv_clamp"] = self.conv_clamp
        return config


def build_stylegan2_discriminator(resolution=32, channels=1, channel_base=32768, channel_max=512,
                                  mbstd_group_size=4, resample_kernel=DEFAULT_KERNEL,
                                  name="discriminator", architecture="resnet", conv_clamp=None,
                                  mbstd_num_channels=1, mbstd_grouping="consecutive",
                                  num_classes=None, mapping_layers=8,
                                  mapping_lr_multiplier=0.01):
    """StyleGAN2's discriminator (figure 7c of the paper: "resnet").

    fromRGB (1x1, lrelu) at the input resolution; per resolution `r > 4`:
    `(conv3x3(lrelu) -> conv3x3 down(lrelu)) + conv1x1 down(linear, no
    bias)`, times 1/sqrt(2); then the minibatch-stddev epilogue.
    `architecture="orig"` drops the skip conv and the residual sum,
    `"skip"` adds a fromRGB of the FIR-downsampled image at every resolution.

    Conditional (`num_classes`, StyleGAN2-ADA): the model takes `[images,
    labels]` (integer labels); the one-hot label goes through a mapping
    network (`mapping_layers` layers, no z) to `cmap` (the 4x4 width) and
    the logit is the projection of the epilogue's output on it.

    Layer names follow the official blocks: `from_rgb` (`b{R}.fromrgb`),
    `block{r}_conv0/_conv1/_skip` (`b{r}.conv0/conv1/skip`), `epilogue`
    (`b4`); skip-architecture fromRGBs are `block{r}_from_rgb`,
    `epilogue_from_rgb`.

    Example:

    >>> d = build_stylegan2_discriminator(8, channel_base=64, channel_max=16)
    >>> tuple(d.output.shape)
    (None, 1)
    """
    _check_architecture(architecture, D_ARCHITECTURES, "d_architecture")
    top = resolution_log2(resolution)
    kernel = tuple(resample_kernel)
    images = keras.Input((int(resolution), int(resolution), int(channels)), name="images")
    inputs = images
    clamp = None if conv_clamp is None else float(conv_clamp)

    def from_rgb(res, layer_name):
        return equalized_conv(channels_at(res, channel_base, channel_max), 1, "stylegan2",
                              clamp=clamp, name=layer_name)

    x = from_rgb(resolution, "from_rgb")(images)
    image = images
    for log2 in range(top, 2, -1):
        res = 2**log2
        here = channels_at(res, channel_base, channel_max)
        below = channels_at(res // 2, channel_base, channel_max)
        if architecture == "skip" and res != resolution:
            x = keras.layers.Add(name=f"block{res}_rgb_add")(
                [x, from_rgb(res, f"block{res}_from_rgb")(image)])
        y = equalized_conv(here, 3, "stylegan2", clamp=clamp, name=f"block{res}_conv0")(x)
        y = equalized_conv(below, 3, "stylegan2", down=2, resample_kernel=kernel, clamp=clamp,
                           name=f"block{res}_conv1")(y)
        if architecture == "resnet":
            skip = EqualizedConv2D(below, 1, gain=1.0, down=2, use_bias=False,
                                   resample_kernel=kernel, name=f"block{res}_skip")(x)
            y = keras.layers.Add(name=f"block{res}_add")([y, skip])
            y = keras.layers.Rescaling(1.0 / math.sqrt(2.0), name=f"block{res}_scale")(y)
        x = y
        if architecture == "skip":
            image = FIRDownsample2D(kernel, name=f"block{res}_downsample")(image)
    if architecture == "skip":
        x = keras.layers.Add(name="epilogue_rgb_add")([x, from_rgb(4, "epilogue_from_rgb")(image)])
    width4 = channels_at(4, channel_base, channel_max)
    epilogue = DiscriminatorEpilogue(width4, mbstd_group_size, mbstd_num_channels,
                                     convention="stylegan2", mbstd_grouping=mbstd_grouping,
                                     conv_clamp=clamp,
                                     cmap_dim=width4 if num_classes else 0, name="epilogue")
    if num_classes:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [images, labels]
        onehot = OneHot(int(num_classes), name="one_hot")(labels)
        cmap = build_mapping_network(0, width4, mapping_layers, mapping_lr_multiplier,
                                     convention="stylegan2", name="mapping",
                                     label_dim=int(num_classes))(onehot)
        logits = epilogue([x, cmap])
    else:
        logits = epilogue(x)
    return keras.Model(inputs, logits, name=name)


@register_family("stylegan2")
class StyleGAN2(StyleGAN):
    """StyleGAN2 (Karras et al. 2020), config E/F style: skip G, residual D.

    Args:
        resolution, channels, latent_dim, w_dim, mapping_layers,
        mapping_lr_multiplier, style_mixing_prob, w_avg_beta,
        mbstd_group_size, ema_decay, seed: see `StyleGAN`.
        channel_base, channel_max: `min(channel_base // res, channel_max)`
            feature maps (config F: 32768, 512).
        truncation_cutoff: None (all layers, StyleGAN2's default).
        truncation_psi: default psi of `generate`/`sample` (1; converted
            TF StyleGAN2 files: their 0.5).
        num_classes: None, or the classes of a conditional model
            (StyleGAN2-ADA: label embedding in G's mapping, projection D).
        mapping_hidden_dim: hidden width of the mapping (default `w_dim`).
        synthesis_options: dict of `StyleGAN2Synthesis` options
            (`architecture` "skip"/"orig"/"resnet", `conv_clamp`,
            `resample_kernel`).
        discriminator_options: dict of `build_stylegan2_discriminator`
            options (`architecture` "resnet"/"orig"/"skip", `conv_clamp`,
            `resample_kernel`, `mbstd_num_features`, `mbstd_grouping`
            "consecutive"/"strided", `mapping_layers`).

    Official networks convert into this class with
    `keras_gans.zoo.nvlabs.stylegan2.convert_stylegan2`.

    `compile` defaults: `loss="non_saturating"`, `r1_gamma=10`,
    `r1_interval=16`, `pl_weight=2`, `pl_interval=4`, `pl_decay=0.01`,
    `pl_batch_shrink=2`, Adam(0.002, 0, 0.99, 1e-8). Logs `d_r1` and
    `g_pl` as applied (weight times interval on regularization steps, zero
    otherwise, so an epoch mean estimates the non-lazy term) and `pl_mean`.

    Example:

    >>> gan = StyleGAN2(resolution=8, latent_dim=8, mapping_layers=2,
    ...                 channel_base=64, channel_max=8)
    >>> gan.compile()
    >>> gan.sample(2, seed=0, truncation_psi=0.5).shape
    (2, 8, 8, 1)
    """

    gain_convention = "stylegan2"
    default_r1_interval = 16
    #: Conditional on labelled data (mapping embedding, projection D), else not.
    data_arguments = ("resolution", "channels", "num_classes")
    #: `synthesis_options`: see `StyleGAN2Synthesis`.
    synthesis_option_names = ("architecture", "conv_clamp", "resample_kernel")
    #: `discriminator_options`: see `build_stylegan2_discriminator`
    #: (`mbstd_num_features` is its `mbstd_num_channels`; `mapping_layers`
    #: the depth of a conditional D's label mapping).
    discriminator_option_names = ("architecture", "conv_clamp", "resample_kernel",
                                  "mbstd_num_features", "mbstd_grouping", "mapping_layers")
    #: First draw index of the path-length regularizer's noise. Its draws
    #: happen after the D update, i.e. after a synchronization point at which
    #: MirroredStrategy switches between replica threads that share the
    #: base class's Python draw counter; starting them at a fixed index gives
    #: every replica (and a single device) the same draws.
    path_length_draws = 1 << 20
    example_config = {"resolution": 8, "latent_dim": 8, "mapping_layers": 2, "channel_base": 64,
                      "channel_max": 8, "ema_decay": 0.5}

    def __init__(self, resolution=32, channels=1, latent_dim=512, w_dim=None, mapping_layers=8,
                 mapping_lr_multiplier=0.01, channel_base=32768, channel_max=512,
                 truncation_cutoff=None, style_mixing_prob=0.9, w_avg_beta=0.995,
                 mbstd_group_size=4, ema_decay=0.999, seed=0, **kwargs):
        super().__init__(resolution=resolution, channels=channels, latent_dim=latent_dim,
                         w_dim=w_dim, mapping_layers=mapping_layers,
                         mapping_lr_multiplier=mapping_lr_multiplier,
                         channel_base=channel_base, channel_max=channel_max,
                         truncation_cutoff=truncation_cutoff,
                         style_mixing_prob=style_mixing_prob, w_avg_beta=w_avg_beta,
                         mbstd_group_size=mbstd_group_size, ema_decay=ema_decay, seed=seed,
                         **kwargs)
        # Assigned after the G update with the same value on every replica.
        self.pl_mean = keras.Variable(0.0, dtype="float32", trainable=False, name="pl_mean",
                                      aggregation="only_first_replica")
        self._pending_pl_mean = PerReplica()

    def build_synthesis(self):
        return StyleGAN2Synthesis(self.resolution, self.channels, self.w_dim, self.channel_base,
                                  self.channel_max, name="synthesis",
                                  **(self.synthesis_options or {}))

    def build_discriminator(self):
        options = dict(self.discriminator_options or {})
        if "mbstd_num_features" in options:
            options["mbstd_num_channels"] = options.pop("mbstd_num_features")
        return build_stylegan2_discriminator(self.resolution, self.channels, self.channel_base,
                                             self.channel_max, self.mbstd_group_size,
                                             num_classes=self.num_classes, **options)

    def extra_metric_names(self):
        return ("d_r1", "g_pl", "pl_mean")

    # ----------------------------------------------------------------- compile
    options = (
        Option("pl_weight", 2.0, "path-length weight; 0 disables the regularizer",
               check=non_negative),
        Option("pl_interval", 4, "apply the path-length penalty every this many G steps, "
               "scaled by it", check=positive_int),
        Option("pl_decay", 0.01, "rate of the running mean of path lengths",
               check=in_unit_interval),
        Option("pl_batch_shrink", 2, "the regularizer uses batch // pl_batch_shrink fresh "
               "latents", check=positive_int),
    )
    def default_optimizers(self):
        return (keras.optimizers.Adam(2e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
                keras.optimizers.Adam(2e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8))

    # ------------------------------------------------------------ path length
    def path_length_inputs(self, batch):
        """`(ws, noise, y)` of the regularizer: mixed ws of `batch` fresh latents,
        the synthesis noise and the image-space projection noise `y ~ N(0, I)`."""
        _, ws = self.training_ws(self.sample_latents(batch))
        shape = [batch, self.resolution, self.resolution, self.channels]
        return ws, self.training_noise(batch), self.random_normal(shape)

    def path_lengths(self, batch):
        """Path lengths `a_i` of `batch` fresh samples, `[batch]` (differentiable).

        `a_i = sqrt(mean_layers ||J_w^T y_i / sqrt(H W)||^2)` as in
        `penalties.path_length_penalty`, which computes it: with a zero mean
        and zero decay its penalty is `a_i^2` (and `a_i > 0`, the norm has an
        epsilon), so `a_i = sqrt(penalty)` reuses the one implementation. The
        running mean is updated by the caller from the GLOBAL batch.
        """
        ws, noise, y = self.path_length_inputs(batch)
        synthesis = self.generator.synthesis
        squared, _ = penalties.path_length_penalty(lambda w: synthesis(w, noise=noise), ws, y,
                                                   0.0, decay=0.0)
        return tf.sqrt(squared)

    def path_length_terms(self, batch):
        """Per-example path-length terms `[batch]` and the new running mean.

        The regularizer runs on `m = batch // pl_batch_shrink` fresh samples
        (when due: every `pl_interval` G steps). The running mean moves
        toward the mean length over the GLOBAL batch, `a <- a + decay *
        (mean(a_i) - a)`, and each sample's penalty is `(a_i - a)^2` with the
        new `a`; times `pl_weight * pl_interval`, the penalties fill the
        first `m` of `batch` entries, each counted `batch / m` times, so the
        global-batch reduction yields their mean.

        Only the lengths are computed inside the lazy `tf.cond`: the mean
        needs an all-reduce, which must not run inside a cond under
        `tf.distribute`.
        """
        m = tf.maximum(batch // self.pl_batch_shrink, 1)
        # A fixed sub-stream of the step's noise (see `path_length_draws`).
        self.draw_index = self.path_length_draws
        due = tf.equal(tf.math.floormod(tf.cast(self.g_optimizer.iterations, tf.int64),
                                        self.pl_interval), 0)
        lengths = lazy_regularizer(self.g_optimizer.iterations, self.pl_interval,
                                   lambda: self.path_lengths(m), tf.zeros([m]))
        current = tf.convert_to_tensor(self.pl_mean)
        moved = current + self.pl_decay * (global_mean(lengths) - current)
        new_mean = tf.stop_gradient(tf.where(due, moved, current))
        weight = self.pl_weight * self.pl_interval * tf.cast(batch, tf.float32) \
            / tf.cast(m, tf.float32)
        penalty = tf.square(lengths - new_mean) * weight * tf.cast(due, tf.float32)
        return tf.pad(penalty, [[0, batch - m]]), new_mean

    def compute_generator_loss(self, fake, labels=None, real=None):
        terms = super().compute_generator_loss(fake, labels, real)
        batch = tf.shape(fake)[0]
        if self.pl_weight == 0:
            terms.update(g_pl=tf.zeros([batch], terms["g_loss"].dtype),
                         pl_mean=tf.convert_to_tensor(self.pl_mean))
            return terms
        pl, new_mean = self.path_length_terms(batch)
        # Assigned after the G update (assign_variables may merge_call).
        self._pending_pl_mean.put(new_mean)
        terms["g_loss"] = terms["g_loss"] + tf.cast(pl, terms["g_loss"].dtype)
        terms["g_pl"] = pl
        terms["pl_mean"] = new_mean
        return terms

    def after_generator_update(self):
        super().after_generator_update()
        new_mean = self._pending_pl_mean.pop()
        if new_mean is None:
            return
        # Computed from the global batch: the same value on every replica.
        assign_variables([self.pl_mean], [new_mean])
