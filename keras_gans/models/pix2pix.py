"""pix2pix: paired image-to-image translation with a conditional GAN.

Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with Conditional
Adversarial Networks" (CVPR). Defaults are the paper's:

* G: U-Net (section 3.1, appendix 6.1.1): encoder C64-C128-C256-C512-C512-
  C512-C512-C512 at 256 px (one stride-2 4x4 conv per halving, down to 1x1;
  no BatchNorm on the first layer and, as in the authors' code, on the
  innermost one), LeakyReLU(0.2); decoder mirrors it with ReLU, each block's
  output concatenated with the encoder output of the same resolution (the
  skips), dropout 0.5 in the first three decoder blocks, tanh output. Depth
  adapts: log2(resolution) levels.
* D: PatchGAN conditioned on the input (the source image concatenated on the
  channel axis), 70x70 receptive field at 256 px, fewer layers at small sizes
  (`patchgan_layers_for`: 16x16 at 32 px).
* Loss: non-saturating GAN loss plus `lambda_l1 = 100` times the L1 distance
  to the target; D's objective halved (appendix 6.2). Adam(2e-4, beta_1=0.5)
  for both; one D step per G step.
* Noise: dropout only (no z, section 2.1), also at test time: pass
  `translate(..., training=True)` for the paper's sampling (dropout on, batch
  statistics); the default `training=False` is deterministic.

Trains on `(source, target)` batches (`keras_gans.data.paired.paired_dataset`,
or a paired task of `keras_gans.data.translation_tasks`).

Example:

>>> task = keras_gans.data.translation_tasks.load_task("fashion_edges")  # doctest: +SKIP
>>> model = Pix2Pix(resolution=32, channels=1)  # doctest: +SKIP
>>> model.compile()  # doctest: +SKIP
>>> model.fit(task.dataset(batch_size=16), epochs=1)  # doctest: +SKIP
>>> items = model.translate(task.source[:8])  # uint8 (8, 32, 32, 1)  # doctest: +SKIP
"""

import math

import keras
import tensorflow as tf

from keras_gans.layers.stateless_dropout import ReplicaExactDropout
from keras_gans.losses import translation as losses
from keras_gans.models.options import Option, non_negative, one_of
from keras_gans.models.translation import TranslationGAN, register_translation_family
from keras_gans.models.translation_networks import (batch_norm, conv_init,
                                                    build_patchgan_discriminator,
                                                    check_resolution)


def build_unet_generator(resolution, channels, out_channels=None, width=64, dropout=0.5,
                         dropout_blocks=3, seed=0, name="unet_generator"):
    """pix2pix's U-Net: `images [b, r, r, channels] -> images [b, r, r, out_channels]`.

    Args:
        resolution: a power of two; the encoder halves it log2(resolution)
            times (to 1x1).
        channels, out_channels: input and output channels.
        width: filters of the first layer (64); level i has width * min(2^i, 8).
        dropout: rate in the first `dropout_blocks` decoder blocks (0.5, 3).
        seed: seed of the dropout masks (`ReplicaExactDropout`).
    """
    resolution = check_resolution(resolution, minimum=4)
    out_channels = channels if out_channels is None else int(out_channels)
    levels = int(math.log2(resolution))
    image = keras.Input((resolution, resolution, channels), name="images")
    x = image
    skips = []
    for i in range(levels):
        filters = width * min(2 ** i, 8)
        if i > 0:
            x = keras.layers.LeakyReLU(0.2, name=f"enc{i}_lrelu")(x)
        normed = 0 < i < levels - 1
        x = keras.layers.Conv2D(filters, 4, 2, padding="same", use_bias=not normed,
                                kernel_initializer=conv_init(), name=f"enc{i}")(x)
        if normed:
            x = batch_norm(f"enc{i}_bn")(x)
        skips.append(x)
    for j, i in enumerate(reversed(range(levels - 1))):
        filters = width * min(2 ** i, 8)
        x = keras.layers.ReLU(name=f"dec{i}_relu")(x)
        x = keras.layers.Conv2DTranspose(filters, 4, 2, padding="same", use_bias=False,
                                         kernel_initializer=conv_init(), name=f"dec{i}")(x)
        x = batch_norm(f"dec{i}_bn")(x)
        if j < dropout_blocks and dropout > 0:
            x = ReplicaExactDropout(dropout, seed=seed + j, name=f"dec{i}_dropout")(x)
        x = keras.layers.Concatenate(name=f"skip{i}")([x, skips[i]])
    x = keras.layers.ReLU(name="out_relu")(x)
    x = keras.layers.Conv2DTranspose(out_channels, 4, 2, padding="same",
                                     kernel_initializer=conv_init(), name="to_image")(x)
    images = keras.layers.Activation("tanh", name="tanh")(x)
    return keras.Model(image, images, name=name)


@register_translation_family("pix2pix")
class Pix2Pix(TranslationGAN):
    """pix2pix (Isola et al. 2017): U-Net G, conditional PatchGAN D, GAN + 100 L1.

    Args:
        resolution: image size (a power of two; 256 in the paper).
        channels, target_channels: of the source and the target images.
        width: filters of the first G and D layers (64).
        dropout: G's dropout rate (0.5; 0 for a deterministic G).
        d_layers: PatchGAN stride-2 layers (default: by resolution, 3 at 256).
        domain_names: optional names of (source, target).
        seed: noise seed (dropout masks).

    Compile options (see `Pix2Pix.compile_options_doc()`): `lambda_l1` (100),
    `loss` ("non_saturating"; "least_squares" as an option),
    `d_loss_weight` (0.5), `lambda_adv` (1; 0 trains the L1-only reference).
    """

    data_kind = "paired"
    separate_target_channels = True
    base_metric_names = ("d_loss", "g_loss", "g_adv", "g_l1", "d_real", "d_fake")
    options = (
        Option("lambda_l1", 100.0, "weight of the L1 term (paper: 100)", check=non_negative),
        Option("loss", "non_saturating", "adversarial loss",
               check=one_of("non_saturating", "least_squares"), attr="adversarial_loss"),
        Option("d_loss_weight", 0.5, "factor on D's objective (paper: 1/2)",
               check=non_negative),
        Option("lambda_adv", 1.0, "weight of G's adversarial term (0: the paper's L1-only "
               "ablation, Table 1)", check=non_negative),
    )
    example_config = {"resolution": 16, "channels": 1, "width": 4}

    def __init__(self, resolution=256, channels=3, target_channels=None, width=64, dropout=0.5,
                 d_layers=None, domain_names=None, seed=0, **kwargs):
        super().__init__(resolution, channels, target_channels, domain_names, seed, **kwargs)
        self.width = int(width)
        self.dropout = float(dropout)
        self.d_layers = None if d_layers is None else int(d_layers)
        self.generator = build_unet_generator(self.resolution, self.channels,
                                              self.target_channels, self.width, self.dropout,
                                              seed=self.seed)
        self.discriminator = build_patchgan_discriminator(
            self.resolution, self.target_channels, condition_channels=self.channels,
            width=self.width, n_layers=self.d_layers, norm="batch")
        self.create_trackers()
        self.built = True

    def architecture_config(self):
        return {"width": self.width, "dropout": self.dropout, "d_layers": self.d_layers}

    # ----------------------------------------------------------- training
    def optimizer_variables(self, name):
        net = self.discriminator if name == "d_optimizer" else self.generator
        return net.trainable_variables

    def loss_functions(self):
        return losses.adversarial_pair(self.adversarial_loss)

    def _discriminator_terms(self, source, target, fake):
        d_loss_fn, _ = self.loss_functions()
        real_logits = self.discriminator([source, target], training=True)
        fake_logits = self.discriminator([source, fake], training=True)
        return {"d_loss": self.d_loss_weight * d_loss_fn(real_logits, fake_logits),
                "d_real": tf.reduce_mean(tf.sigmoid(real_logits), axis=[1, 2, 3]),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits), axis=[1, 2, 3])}

    def _generator_terms(self, source, target, fake):
        _, g_loss_fn = self.loss_functions()
        adv = g_loss_fn(self.discriminator([source, fake], training=True))
        l1 = losses.l1_distance(fake, target)
        return {"g_loss": self.lambda_adv * adv + self.lambda_l1 * l1, "g_adv": adv, "g_l1": l1}

    def discriminator_step(self, batch):
        """One D update on a (source, target) batch against G's current outputs."""
        self.check_compiled()
        source, target = self.unpack_batch(batch)
        fake = self.generator(source, training=True)
        with tf.GradientTape() as tape:
            terms = self._discriminator_terms(source, target, tf.stop_gradient(fake))
            loss = self.reduce(terms["d_loss"])
        self.apply_gradients(self.d_optimizer, loss, tape, self.discriminator.trainable_variables)
        return terms

    def generator_step(self, batch):
        """One G update on a (source, target) batch."""
        self.check_compiled()
        source, target = self.unpack_batch(batch)
        with tf.GradientTape() as tape:
            fake = self.generator(source, training=True)
            terms = self._generator_terms(source, target, fake)
            loss = self.reduce(terms["g_loss"])
        self.apply_gradients(self.g_optimizer, loss, tape, self.generator.trainable_variables)
        return terms

    def train_step(self, data):
        self.reset_draws()
        source, target = self.unpack_batch(data)
        with tf.GradientTape() as g_tape:
            # One G forward per step, as the authors' code: D is updated on it
            # first, then G against the updated D.
            fake = self.generator(source, training=True)
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    d_terms = self._discriminator_terms(source, target, tf.stop_gradient(fake))
                    d_loss = self.reduce(d_terms["d_loss"])
                self.apply_gradients(self.d_optimizer, d_loss, d_tape,
                                     self.discriminator.trainable_variables)
            g_terms = self._generator_terms(source, target, fake)
            g_loss = self.reduce(g_terms["g_loss"])
        self.apply_gradients(self.g_optimizer, g_loss, g_tape, self.generator.trainable_variables)
        self.rng_step.assign_add(1)
        return self.update_trackers({**d_terms, **g_terms})

    # --------------------------------------------------------- inference
    def inference_networks(self):
        return [self.generator]

    def translate_batch(self, images, target_domain=None, z=None, reference=None,
                        training=False):
        return self.generator(images, training=training)
