"""StarGAN: one generator translating among many domains.

Choi, Choi, Kim, Ha, Kim & Choo 2018, "StarGAN: Unified Generative
Adversarial Networks for Multi-Domain Image-to-Image Translation" (CVPR).
Defaults are the paper's:

* G (appendix, Table 4): the target domain as a one-hot map tiled over space
  and concatenated to the image; conv 7x7-64, two 4x4 stride-2 downsamplings
  (128, 256), 6 residual blocks, two 4x4 stride-2 transposed convs, conv 7x7,
  tanh; instance norm, ReLU, zero padding (`build_resnet_generator(padding=
  "zero", sample_kernel=4, num_domains=...)`).
* D (Table 5): 4x4 stride-2 convs with LeakyReLU(0.01) and no normalization
  (6 at 128 px: log2(resolution) - 1), a 3x3 real/fake PatchGAN head `D_src`
  and a domain-classification head `D_cls` spanning the final map.
* Losses (section 3): WGAN-GP adversarial loss with `lambda_gp = 10`, domain
  classification `lambda_cls = 1` (D on real images with their own domain, G
  on fakes with the target), reconstruction `lambda_rec = 10`
  (`|x - G(G(x, c), c')|_1`).
* `d_steps = 5` D updates per G update (every D update sees the step's batch,
  like keras.io's WGAN-GP example; the reference code draws a new minibatch
  per D update). Adam(1e-4, beta_1=0.5, beta_2=0.999) for both; the paper
  decays them linearly to 0 over the second half (`HoldThenLinearDecay`).
* Target domains: the batch's own domains, randomly permuted (the reference
  code's `label_org[randperm]`), drawn over the GLOBAL batch so that one step
  on N replicas equals one step on one device.

Trains on `(images, domains)` batches (`keras_gans.data.paired.domain_dataset`
or a "domains" task). `translate(images, target_domain=d)`.

Example:

>>> task = keras_gans.data.translation_tasks.load_task("fashion_tints")  # doctest: +SKIP
>>> model = StarGAN(resolution=32, channels=3, num_domains=4)  # doctest: +SKIP
>>> model.compile()  # doctest: +SKIP
>>> model.fit(task.dataset(batch_size=16), epochs=1)  # doctest: +SKIP
>>> red = model.translate(task.source[:8], target_domain="red")  # doctest: +SKIP
"""

import keras
import tensorflow as tf

from keras_gans.losses import translation as losses
from keras_gans.losses.penalties import gradient_penalty
from keras_gans.losses.reduction import gather_global_batch
from keras_gans.models.options import Option, non_negative, positive_int
from keras_gans.models.translation import TranslationGAN, register_translation_family
from keras_gans.models.translation_networks import (build_resnet_generator,
                                                    build_stargan_discriminator)


def permuted_domains(model, domains):
    """The batch's domains in a random order drawn over the GLOBAL batch.

    Every replica gathers all replicas' domains, draws the same permutation
    (a seed shared by the replicas) and keeps its own rows: the targets of
    every example are those one device would draw for the same global batch.
    """
    domains = tf.cast(domains, tf.int32)
    every = gather_global_batch(domains)
    keys = tf.random.stateless_uniform(tf.shape(every), model.stream_seed())
    shuffled = tf.gather(every, tf.argsort(keys))
    ctx = tf.distribute.get_replica_context()
    if ctx is not None and ctx.num_replicas_in_sync > 1:
        local = tf.shape(domains)[0]
        start = tf.cast(ctx.replica_id_in_sync_group, tf.int32) * local
        shuffled = shuffled[start:start + local]
    return shuffled


@register_translation_family("stargan")
class StarGAN(TranslationGAN):
    """StarGAN (Choi et al. 2018): one G for all domains, D with real/fake + domain heads.

    Args:
        resolution: image size (128 in the paper).
        channels: image channels.
        num_domains: number of domains (or give `domain_names`).
        width: filters of the first G and D layers (64).
        n_blocks: G's residual blocks (6).
        d_layers: D's stride-2 layers (default log2(resolution) - 1).
        domain_names: names of the domains.
        seed: noise seed (target permutations, GP interpolation).

    Compile options: `lambda_gp` (10), `lambda_cls` (1), `lambda_rec` (10),
    `d_steps` (5).
    """

    data_kind = "domains"
    uses_domains = True
    base_metric_names = ("d_loss", "g_loss", "d_adv", "d_gp", "d_cls", "g_adv", "g_cls",
                         "g_rec")
    options = (
        Option("lambda_gp", 10.0, "WGAN-GP weight (paper: 10)", check=non_negative),
        Option("lambda_cls", 1.0, "domain classification weight (paper: 1)",
               check=non_negative),
        Option("lambda_rec", 10.0, "reconstruction weight (paper: 10)", check=non_negative),
        Option("d_steps", 5, "D updates per G update (paper: 5)", check=positive_int),
    )
    example_config = {"resolution": 16, "channels": 1, "num_domains": 3, "width": 4,
                      "n_blocks": 1}

    def __init__(self, resolution=128, channels=3, num_domains=None, width=64, n_blocks=6,
                 d_layers=None, domain_names=None, seed=0, **kwargs):
        if num_domains is None and domain_names is None:
            raise ValueError("StarGAN needs num_domains=... or domain_names=[...].")
        if num_domains is None:
            num_domains = len(domain_names)
        if domain_names is not None and len(domain_names) != int(num_domains):
            raise ValueError(f"domain_names has {len(domain_names)} names for num_domains="
                             f"{num_domains}.")
        if int(num_domains) < 2:
            raise ValueError(f"num_domains must be >= 2; got {num_domains}.")
        super().__init__(resolution, channels, None, domain_names, seed, **kwargs)
        self._num_domains = int(num_domains)
        self.width = int(width)
        self.n_blocks = int(n_blocks)
        self.d_layers = None if d_layers is None else int(d_layers)
        self.generator = build_resnet_generator(
            self.resolution, self.channels, width=self.width, n_blocks=self.n_blocks,
            padding="zero", sample_kernel=4, num_domains=self._num_domains,
            name="stargan_generator")
        self.discriminator = build_stargan_discriminator(
            self.resolution, self.channels, self._num_domains, width=self.width,
            n_layers=self.d_layers)
        self.create_trackers()
        self.built = True

    @property
    def num_domains(self):
        return self._num_domains

    def architecture_config(self):
        return {"num_domains": self._num_domains, "width": self.width,
                "n_blocks": self.n_blocks, "d_layers": self.d_layers}

    def default_optimizers(self):
        return tuple(keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.999) for _ in range(2))

    def optimizer_variables(self, name):
        net = self.discriminator if name == "d_optimizer" else self.generator
        return net.trainable_variables

    # ----------------------------------------------------------- training
    def _critic(self, images):
        return self.discriminator(images, training=True)[0]

    def _discriminator_update(self, images, domains, targets):
        fake = tf.stop_gradient(self.generator([images, targets], training=True))
        epsilon = self.random_uniform([tf.shape(images)[0], 1, 1, 1])
        with tf.GradientTape() as tape:
            real_src, real_cls = self.discriminator(images, training=True)
            fake_src, _ = self.discriminator(fake, training=True)
            adv = losses.wasserstein_discriminator(real_src, fake_src)
            gp = gradient_penalty(self._critic, images, fake, epsilon)
            cls = losses.domain_classification(real_cls, domains)
            d_loss = adv + self.lambda_gp * gp + self.lambda_cls * cls
            loss = self.reduce(d_loss)
        self.apply_gradients(self.d_optimizer, loss, tape, self.discriminator.trainable_variables)
        return {"d_loss": d_loss, "d_adv": adv, "d_gp": gp, "d_cls": cls}

    def _generator_update(self, images, domains, targets):
        with tf.GradientTape() as tape:
            fake = self.generator([images, targets], training=True)
            fake_src, fake_cls = self.discriminator(fake, training=True)
            adv = losses.wasserstein_generator(fake_src)
            cls = losses.domain_classification(fake_cls, targets)
            rec = losses.l1_distance(images, self.generator([fake, domains], training=True))
            g_loss = adv + self.lambda_cls * cls + self.lambda_rec * rec
            loss = self.reduce(g_loss)
        self.apply_gradients(self.g_optimizer, loss, tape, self.generator.trainable_variables)
        return {"g_loss": g_loss, "g_adv": adv, "g_cls": cls, "g_rec": rec}

    def discriminator_step(self, batch):
        """One D update on an (images, domains) batch; returns the terms."""
        self.check_compiled()
        images, domains = self.unpack_batch(batch)
        return self._discriminator_update(images, domains, permuted_domains(self, domains))

    def generator_step(self, batch):
        """One G update on an (images, domains) batch; returns the terms."""
        self.check_compiled()
        images, domains = self.unpack_batch(batch)
        return self._generator_update(images, domains, permuted_domains(self, domains))

    def train_step(self, data):
        self.reset_draws()
        images, domains = self.unpack_batch(data)
        domains = tf.cast(domains, tf.int32)
        targets = permuted_domains(self, domains)
        logs = {}
        for _ in range(self.d_steps):
            logs.update(self._discriminator_update(images, domains, targets))
        logs.update(self._generator_update(images, domains, targets))
        self.rng_step.assign_add(1)
        return self.update_trackers(logs)

    # --------------------------------------------------------- inference
    def inference_networks(self):
        return [self.generator]

    def translate_batch(self, images, target_domain=None, z=None, reference=None,
                        training=False):
        return self.generator([images, tf.cast(target_domain, tf.int32)], training=training)
