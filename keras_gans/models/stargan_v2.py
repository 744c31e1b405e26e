"""StarGAN v2: diverse translation among many domains, by latent or by reference.

Choi, Uh, Yoo & Ha 2020, "StarGAN v2: Diverse Image Synthesis for Multiple
Domains" (CVPR). Defaults are the paper's (its appendix and reference code):

* G: 1x1 conv in, pre-activation residual blocks with instance norm and
  average-pool downsampling (log2(resolution) - 4 of them, at least 1),
  2 more at the bottleneck, then 2 AdaIN residual blocks and one upsampling
  AdaIN block per downsampling (nearest upsampling), IN + LeakyReLU(0.2) +
  1x1 conv out (no tanh, as the reference code). Every AdaIN's scale and
  offset come from the style code `s` (64-d) through a dense layer,
  `(1 + gamma) * IN(x) + beta`. Residual sums are divided by sqrt(2).
* Mapping network F: `z` (16-d) through 4 shared dense layers (512, ReLU), then
  one head per domain (3 dense + 1 to the 64-d style); the target domain's
  head is selected.
* Style encoder E and discriminator D: residual downsampling blocks (no
  norm) to 4x4, LeakyReLU, 4x4 valid conv, one output per domain (a style for
  E, a logit for D), the domain's selected.
* Losses: non-saturating GAN loss with R1 (`lambda_r1 = 1`, as
  `0.5 * lambda * ||grad D(x)||^2` on real images), style reconstruction
  (`lambda_sty = 1`), diversity sensitive (`lambda_ds = 1`, SUBTRACTED, its
  weight decayed linearly to 0 over `ds_decay_steps`, 100k), cycle
  (`lambda_cyc = 1`).
* Each train step does the reference code's four updates: D against
  latent-guided fakes, D against reference-guided fakes, G (and F, E) on the
  latent-guided losses, G on the reference-guided ones. References are the
  batch's images in a random order drawn over the GLOBAL batch (their domain
  is the target); the reference code draws them from a second loader and
  adds a second same-domain reference for the diversity term of the
  reference step, which is omitted here (the latent step keeps it).
* Adam(1e-4, beta_1=0, beta_2=0.99, weight_decay=1e-4) for D, G and E, F with
  1e-6; Keras's weight decay is decoupled (AdamW-style), the reference's
  PyTorch Adam adds it to the gradient. EMA 0.999 of G, F and E, used by
  `translate` and the export.

`translate(images, target_domain, z=None, reference=None, seed=0)`: with
`reference` (uint8 images), the reference's style of the target domain;
otherwise a style from `z` (default: drawn from `seed`). Export:
`serving_default(images, target_domain, z)` and `serving_reference(images,
target_domain, reference)`.

Example:

>>> task = keras_gans.data.translation_tasks.load_task("fashion_footwear")  # doctest: +SKIP
>>> model = StarGANv2(resolution=32, channels=1, num_domains=3, width=32)  # doctest: +SKIP
>>> model.compile()  # doctest: +SKIP
>>> model.fit(task.dataset(batch_size=8), epochs=1)  # doctest: +SKIP
>>> boots = model.translate(task.source[:4], target_domain="ankle_boot", seed=1)  # doctest: +SKIP
"""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_gans.layers.normalization import AdaptiveInstanceNormalization
from keras_gans.losses import translation as losses
from keras_gans.losses.penalties import r1_penalty
from keras_gans.losses.reduction import gather_global_batch
from keras_gans.models.options import Option, non_negative, positive_int
from keras_gans.models.translation import (TranslationGAN, checked_images,
                                           register_translation_family)

_SQRT2 = math.sqrt(2.0)


@keras.saving.register_keras_serializable(package="keras_gans")
class SelectDomain(keras.layers.Layer):
    """`[outputs [b, num_domains, ...], domains [b]] -> outputs[i, domains[i]]`.

    Example:

    >>> out = np.arange(12, dtype="float32").reshape(2, 3, 2)
    >>> SelectDomain()([out, np.array([2, 0])]).numpy().tolist()
    [[4.0, 5.0], [6.0, 7.0]]
    """

    def call(self, inputs):
        outputs, domains = inputs
        return tf.gather(outputs, tf.cast(tf.reshape(domains, [-1]), tf.int32), batch_dims=1)

    def compute_output_shape(self, input_shape):
        shape = input_shape[0]
        return (shape[0],) + tuple(shape[2:])


def _conv(filters, kernel, name, bias=True):
    return keras.layers.Conv2D(filters, kernel, padding="same", use_bias=bias, name=name)


def _resblock(x, dim_out, name, normalize=False, downsample=False):
    """Pre-activation residual block (IN optional, average-pool downsampling)."""
    dim_in = x.shape[-1]
    shortcut = x
    if dim_in != dim_out:
        shortcut = _conv(dim_out, 1, f"{name}_short", bias=False)(shortcut)
    if downsample:
        shortcut = keras.layers.AveragePooling2D(2, name=f"{name}_short_pool")(shortcut)
    h = x
    if normalize:
        h = keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, name=f"{name}_norm1")(h)
    h = keras.layers.LeakyReLU(0.2, name=f"{name}_act1")(h)
    h = _conv(dim_in, 3, f"{name}_conv1")(h)
    if downsample:
        h = keras.layers.AveragePooling2D(2, name=f"{name}_pool")(h)
    if normalize:
        h = keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, name=f"{name}_norm2")(h)
    h = keras.layers.LeakyReLU(0.2, name=f"{name}_act2")(h)
    h = _conv(dim_out, 3, f"{name}_conv2")(h)
    out = keras.layers.Add(name=f"{name}_add")([shortcut, h])
    return keras.layers.Rescaling(1.0 / _SQRT2, name=f"{name}_scale")(out)


def _adain(x, style, name):
    channels = x.shape[-1]
    # (1 + gamma) * IN(x) + beta with gamma, beta = fc(s): the scale half's
    # bias starts at 1, so the layer starts as plain instance norm.
    affine = keras.layers.Dense(
        2 * channels, name=f"{name}_fc",
        bias_initializer=keras.initializers.Constant([1.0] * channels + [0.0] * channels))
    return AdaptiveInstanceNormalization(epsilon=1e-5, name=name)([x, affine(style)])


def _adain_resblock(x, style, dim_out, name, upsample=False):
    dim_in = x.shape[-1]
    shortcut = x
    if upsample:
        shortcut = keras.layers.UpSampling2D(2, name=f"{name}_short_up")(shortcut)
    if dim_in != dim_out:
        shortcut = _conv(dim_out, 1, f"{name}_short", bias=False)(shortcut)
    h = keras.layers.LeakyReLU(0.2, name=f"{name}_act1")(_adain(x, style, f"{name}_adain1"))
    if upsample:
        h = keras.layers.UpSampling2D(2, name=f"{name}_up")(h)
    h = _conv(dim_out, 3, f"{name}_conv1")(h)
    h = keras.layers.LeakyReLU(0.2, name=f"{name}_act2")(_adain(h, style, f"{name}_adain2"))
    h = _conv(dim_out, 3, f"{name}_conv2")(h)
    out = keras.layers.Add(name=f"{name}_add")([shortcut, h])
    return keras.layers.Rescaling(1.0 / _SQRT2, name=f"{name}_scale")(out)


def build_stargan_v2_generator(resolution, channels, style_dim=64, width=64, max_width=512,
                               name="stargan_v2_generator"):
    """`[images, styles] -> images` (see the module docstring)."""
    repeat = max(1, int(math.log2(resolution)) - 4)
    image = keras.Input((resolution, resolution, channels), name="images")
    style = keras.Input((style_dim,), name="styles")
    x = _conv(width, 1, "from_rgb")(image)
    dims = []
    dim = width
    for i in range(repeat):
        dim_out = min(dim * 2, max_width)
        x = _resblock(x, dim_out, f"enc{i}", normalize=True, downsample=True)
        dims.append(dim)
        dim = dim_out
    for i in range(2):
        x = _resblock(x, dim, f"bottleneck{i}", normalize=True)
    for i in range(2):
        x = _adain_resblock(x, style, dim, f"adain_bottleneck{i}")
    for i, dim_out in enumerate(reversed(dims)):
        x = _adain_resblock(x, style, dim_out, f"dec{i}", upsample=True)
    x = keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, name="out_norm")(x)
    x = keras.layers.LeakyReLU(0.2, name="out_act")(x)
    out = _conv(channels, 1, "to_rgb")(x)
    return keras.Model([image, style], out, name=name)


def build_mapping_network(num_domains, latent_dim=16, style_dim=64, hidden=512,
                          name="mapping_network"):
    """`[z, domains] -> styles`: 4 shared layers, then the domain's own head."""
    z = keras.Input((latent_dim,), name="z")
    domain = keras.Input((), dtype="int32", name="domains")
    h = z
    for i in range(4):
        h = keras.layers.Dense(hidden, activation="relu", name=f"shared{i}")(h)
    heads = []
    for d in range(num_domains):
        u = h
        for i in range(3):
            u = keras.layers.Dense(hidden, activation="relu", name=f"head{d}_{i}")(u)
        heads.append(keras.layers.Dense(style_dim, name=f"head{d}_out")(u))
    stacked = keras.layers.Concatenate(axis=1, name="stack")(
        [keras.layers.Reshape((1, style_dim), name=f"head{d}_row")(s)
         for d, s in enumerate(heads)])
    return keras.Model([z, domain], SelectDomain(name="select")([stacked, domain]), name=name)


def _downsampling_trunk(resolution, channels, width, max_width, name):
    repeat = int(math.log2(resolution)) - 2
    image = keras.Input((resolution, resolution, channels), name="images")
    x = _conv(width, 1, f"{name}_from_rgb")(image)
    dim = width
    for i in range(repeat):
        dim = min(dim * 2, max_width)
        x = _resblock(x, dim, f"{name}_block{i}", downsample=True)
    x = keras.layers.LeakyReLU(0.2, name=f"{name}_act1")(x)
    x = keras.layers.Conv2D(dim, 4, padding="valid", name=f"{name}_conv4")(x)
    x = keras.layers.LeakyReLU(0.2, name=f"{name}_act2")(x)
    return image, keras.layers.Flatten(name=f"{name}_flat")(x)


def build_style_encoder(resolution, channels, num_domains, style_dim=64, width=64,
                        max_width=512, name="style_encoder"):
    """`[images, domains] -> styles`: a shared trunk, one linear head per domain."""
    image, h = _downsampling_trunk(resolution, channels, width, max_width, "trunk")
    domain = keras.Input((), dtype="int32", name="domains")
    out = keras.layers.Dense(num_domains * style_dim, name="heads")(h)
    out = keras.layers.Reshape((num_domains, style_dim), name="per_domain")(out)
    return keras.Model([image, domain], SelectDomain(name="select")([out, domain]), name=name)


def build_multitask_discriminator(resolution, channels, num_domains, width=64, max_width=512,
                                  name="stargan_v2_discriminator"):
    """`[images, domains] -> logits [b]`: one real/fake output per domain, selected."""
    image, h = _downsampling_trunk(resolution, channels, width, max_width, "trunk")
    domain = keras.Input((), dtype="int32", name="domains")
    out = keras.layers.Dense(num_domains, name="heads")(h)
    out = keras.layers.Reshape((num_domains, 1), name="per_domain")(out)
    selected = SelectDomain(name="select")([out, domain])
    return keras.Model([image, domain], keras.layers.Flatten(name="logit")(selected), name=name)


def _global_permutation(model, values_list, local):
    """The same random permutation of the GLOBAL batch applied to each tensor."""
    gathered = [gather_global_batch(v) for v in values_list]
    keys = tf.random.stateless_uniform([tf.shape(gathered[0])[0]], model.stream_seed())
    order = tf.argsort(keys)
    out = [tf.gather(g, order) for g in gathered]
    ctx = tf.distribute.get_replica_context()
    if ctx is not None and ctx.num_replicas_in_sync > 1:
        start = tf.cast(ctx.replica_id_in_sync_group, tf.int32) * local
        out = [o[start:start + local] for o in out]
    return out


@register_translation_family("stargan_v2")
class StarGANv2(TranslationGAN):
    """StarGAN v2 (Choi et al. 2020): G with AdaIN, mapping net F, style encoder E, multi-head D.

    Args:
        resolution: image size (256 in the paper).
        channels: image channels.
        num_domains: number of domains (or give `domain_names`).
        latent_dim, style_dim: sizes of z (16) and s (64).
        width: filters after G's, E's and D's first layer (64 at 256 px).
        max_width: channel cap (512).
        mapping_hidden: width of F's layers (512).
        ema_decay: decay of the EMA copies of G, F and E (0.999).
        domain_names, seed: as `TranslationGAN`.

    Compile options: `lambda_r1` (1), `lambda_sty` (1), `lambda_ds` (1),
    `ds_decay_steps` (100000), `lambda_cyc` (1).
    """

    data_kind = "domains"
    uses_domains = True
    optimizer_names = ("d_optimizer", "g_optimizer", "f_optimizer", "e_optimizer")
    base_metric_names = ("d_loss", "g_loss", "d_adv", "d_r1", "g_adv", "g_sty", "g_ds",
                         "g_cyc", "d_ref_loss", "g_ref_loss")
    options = (
        Option("lambda_r1", 1.0, "R1 weight (0.5 * lambda * ||grad||^2; paper: 1)",
               check=non_negative),
        Option("lambda_sty", 1.0, "style reconstruction weight (paper: 1)", check=non_negative),
        Option("lambda_ds", 1.0, "initial diversity weight, subtracted (paper: 1)",
               check=non_negative),
        Option("ds_decay_steps", 100000, "steps over which lambda_ds decays linearly to 0",
               check=positive_int),
        Option("lambda_cyc", 1.0, "cycle weight (paper: 1)", check=non_negative),
    )
    example_config = {"resolution": 16, "channels": 1, "num_domains": 2, "width": 4,
                      "max_width": 8, "latent_dim": 4, "style_dim": 4, "mapping_hidden": 8}

    def __init__(self, resolution=256, channels=3, num_domains=None, latent_dim=16, style_dim=64,
                 width=64, max_width=512, mapping_hidden=512, ema_decay=0.999,
                 domain_names=None, seed=0, **kwargs):
        if num_domains is None and domain_names is None:
            raise ValueError("StarGANv2 needs num_domains=... or domain_names=[...].")
        num_domains = len(domain_names) if num_domains is None else int(num_domains)
        if domain_names is not None and len(domain_names) != num_domains:
            raise ValueError(f"domain_names has {len(domain_names)} names for num_domains="
                             f"{num_domains}.")
        if num_domains < 2:
            raise ValueError(f"num_domains must be >= 2; got {num_domains}.")
        super().__init__(resolution, channels, None, domain_names, seed, **kwargs)
        self._num_domains = num_domains
        self.latent_dim, self.style_dim = int(latent_dim), int(style_dim)
        self.width, self.max_width, self.mapping_hidden = int(width), int(max_width), \
            int(mapping_hidden)
        self.ema_decay = float(ema_decay)
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1); got {ema_decay}.")

        def networks(prefix=""):
            return (
                build_stargan_v2_generator(self.resolution, self.channels, self.style_dim,
                                           self.width, self.max_width,
                                           name=f"{prefix}generator"),
                build_mapping_network(num_domains, self.latent_dim, self.style_dim,
                                      self.mapping_hidden, name=f"{prefix}mapping_network"),
                build_style_encoder(self.resolution, self.channels, num_domains,
                                    self.style_dim, self.width, self.max_width,
                                    name=f"{prefix}style_encoder"))

        self.generator, self.mapping_network, self.style_encoder = networks()
        self.discriminator = build_multitask_discriminator(
            self.resolution, self.channels, num_domains, self.width, self.max_width)
        self.generator_ema, self.mapping_network_ema, self.style_encoder_ema = networks("ema_")
        for ema, net in ((self.generator_ema, self.generator),
                         (self.mapping_network_ema, self.mapping_network),
                         (self.style_encoder_ema, self.style_encoder)):
            ema.set_weights(net.get_weights())
            ema.trainable = False
        self.create_trackers()
        self.built = True

    @property
    def num_domains(self):
        return self._num_domains

    def architecture_config(self):
        return {"num_domains": self._num_domains, "latent_dim": self.latent_dim,
                "style_dim": self.style_dim, "width": self.width, "max_width": self.max_width,
                "mapping_hidden": self.mapping_hidden, "ema_decay": self.ema_decay}

    def default_optimizers(self):
        def adam(lr):
            return keras.optimizers.Adam(lr, beta_1=0.0, beta_2=0.99, weight_decay=1e-4)

        return adam(1e-4), adam(1e-4), adam(1e-6), adam(1e-4)

    def optimizer_variables(self, name):
        return {"d_optimizer": self.discriminator, "g_optimizer": self.generator,
                "f_optimizer": self.mapping_network,
                "e_optimizer": self.style_encoder}[name].trainable_variables

    # ----------------------------------------------------------- training
    def diversity_weight(self):
        """lambda_ds decayed linearly to 0 over `ds_decay_steps` train steps."""
        t = tf.cast(self.rng_step, tf.float32)
        return self.lambda_ds * tf.maximum(0.0, 1.0 - t / float(self.ds_decay_steps))

    def _references(self, images, domains):
        """(reference images, their domains = the targets): a global permutation."""
        return _global_permutation(self, [images, tf.cast(domains, tf.int32)],
                                   tf.shape(images)[0])

    def _d_update(self, x, y_org, y_trg, z=None, x_ref=None):
        if z is not None:
            s_trg = self.mapping_network([z, y_trg], training=True)
        else:
            s_trg = self.style_encoder([x_ref, y_trg], training=True)
        fake = tf.stop_gradient(self.generator([x, s_trg], training=True))
        with tf.GradientTape() as tape:
            real_logits = self.discriminator([x, y_org], training=True)
            fake_logits = self.discriminator([fake, y_trg], training=True)
            adv = losses.non_saturating_discriminator(real_logits, fake_logits)
            r1 = 0.5 * r1_penalty(lambda v: self.discriminator([v, y_org], training=True), x)
            d_loss = adv + self.lambda_r1 * r1
            loss = self.reduce(d_loss)
        self.apply_gradients(self.d_optimizer, loss, tape, self.discriminator.trainable_variables)
        return {"d_loss": d_loss, "d_adv": adv, "d_r1": r1}

    def _g_update(self, x, y_org, y_trg, z=None, z2=None, x_ref=None):
        latent = z is not None
        nets = [self.generator] + ([self.mapping_network, self.style_encoder] if latent else [])
        variables = [v for net in nets for v in net.trainable_variables]
        with tf.GradientTape() as tape:
            if latent:
                s_trg = self.mapping_network([z, y_trg], training=True)
            else:
                s_trg = self.style_encoder([x_ref, y_trg], training=True)
            fake = self.generator([x, s_trg], training=True)
            adv = losses.non_saturating_generator(
                self.discriminator([fake, y_trg], training=True))
            sty = losses.style_reconstruction(
                s_trg, self.style_encoder([fake, y_trg], training=True))
            s_org = self.style_encoder([x, y_org], training=True)
            cyc = losses.l1_distance(x, self.generator([fake, s_org], training=True))
            g_loss = adv + self.lambda_sty * sty + self.lambda_cyc * cyc
            terms = {"g_adv": adv, "g_sty": sty, "g_cyc": cyc}
            if latent:
                s_trg2 = self.mapping_network([z2, y_trg], training=True)
                fake2 = tf.stop_gradient(self.generator([x, s_trg2], training=True))
                ds = losses.diversity(fake, fake2)
                g_loss -= self.diversity_weight() * ds
                terms["g_ds"] = ds
            terms["g_loss"] = g_loss
            loss = self.reduce(g_loss)
        grads = tape.gradient(loss, variables)
        offset = 0
        for net, opt in zip(nets, [self.g_optimizer, self.f_optimizer, self.e_optimizer]):
            count = len(net.trainable_variables)
            self.apply_gradient_list(opt, grads[offset:offset + count],
                                     variables[offset:offset + count])
            offset += count
        return terms

    def _draw(self, x, domains):
        b = tf.shape(x)[0]
        x_ref, y_trg = self._references(x, domains)
        z = self.random_normal([b, self.latent_dim])
        z2 = self.random_normal([b, self.latent_dim])
        return x_ref, y_trg, z, z2

    def discriminator_step(self, batch):
        """One D update against latent-guided fakes; returns the terms."""
        self.check_compiled()
        x, y_org = self.unpack_batch(batch)
        y_org = tf.cast(y_org, tf.int32)
        _, y_trg, z, _ = self._draw(x, y_org)
        return self._d_update(x, y_org, y_trg, z=z)

    def generator_step(self, batch):
        """One latent-guided update of G, F and E; returns the terms."""
        self.check_compiled()
        x, y_org = self.unpack_batch(batch)
        y_org = tf.cast(y_org, tf.int32)
        _, y_trg, z, z2 = self._draw(x, y_org)
        return self._g_update(x, y_org, y_trg, z=z, z2=z2)

    def train_step(self, data):
        self.reset_draws()
        x, y_org = self.unpack_batch(data)
        y_org = tf.cast(y_org, tf.int32)
        x_ref, y_trg, z, z2 = self._draw(x, y_org)
        logs = dict(self._d_update(x, y_org, y_trg, z=z))
        logs["d_ref_loss"] = self._d_update(x, y_org, y_trg, x_ref=x_ref)["d_loss"]
        logs.update(self._g_update(x, y_org, y_trg, z=z, z2=z2))
        logs["g_ref_loss"] = self._g_update(x, y_org, y_trg, x_ref=x_ref)["g_loss"]
        for ema, net in ((self.generator_ema, self.generator),
                         (self.mapping_network_ema, self.mapping_network),
                         (self.style_encoder_ema, self.style_encoder)):
            self.update_moving_average(ema, net, self.ema_decay, self.g_optimizer.iterations)
        self.rng_step.assign_add(1)
        return self.update_trackers(logs)

    # --------------------------------------------------------- inference
    def inference_networks(self):
        return [self.generator_ema, self.mapping_network_ema, self.style_encoder_ema]

    def latents(self, n, seed=0):
        """Latents for `n` translations from `seed` (numpy float32)."""
        return np.random.default_rng(seed).standard_normal(
            (int(n), self.latent_dim)).astype(np.float32)

    def style_inputs(self, n, z=None, reference=None, seed=0, target_domain=None):
        if z is not None and reference is not None:
            raise ValueError("Pass z or reference, not both.")
        if reference is not None:
            reference = self.check_images(reference, name="reference")
            if len(reference) == 1 and n > 1:
                reference = np.repeat(reference, n, axis=0)
            if len(reference) != n:
                raise ValueError(f"reference needs one image or one per input ({n}); got "
                                 f"{len(reference)}.")
            return None, reference
        if z is None:
            z = self.latents(n, seed)
        z = np.asarray(z, np.float32)
        if z.shape != (n, self.latent_dim):
            raise ValueError(f"z must have shape ({n}, {self.latent_dim}); got {z.shape}.")
        return z, None

    def translate_batch(self, images, target_domain=None, z=None, reference=None,
                        training=False):
        domains = tf.cast(target_domain, tf.int32)
        if reference is not None:
            style = self.style_encoder_ema([reference, domains], training=training)
        else:
            style = self.mapping_network_ema([z, domains], training=training)
        return self.generator_ema([images, style], training=training)

    def extra_signature(self):
        return [tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")]

    def export_endpoints(self):
        from keras_gans.export.savedmodel import images_to_uint8
        from keras_gans.models.translation import checked_domains

        endpoints = super().export_endpoints()
        shape, num_domains, translate = self.image_shape, self._num_domains, self.translate_batch

        def serve_reference(images, target_domain, reference):
            x = checked_images(tf.cast(images, tf.float32) / 127.5 - 1.0, shape, False)
            ref = checked_images(tf.cast(reference, tf.float32) / 127.5 - 1.0, shape, False)
            domains = checked_domains(target_domain, num_domains, tf.shape(x)[0])
            return {"images": images_to_uint8(translate(x, domains, reference=ref))}

        spec = [tf.TensorSpec([None, *shape], tf.uint8, name="images"),
                tf.TensorSpec([None], tf.int32, name="target_domain"),
                tf.TensorSpec([None, *shape], tf.uint8, name="reference")]
        return endpoints + [("serving_reference", serve_reference, spec)]
