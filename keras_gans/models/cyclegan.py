"""CycleGAN: unpaired image-to-image translation with cycle consistency.

Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks" (ICCV). Defaults are the paper's:

* Two ResNet generators `G: A -> B` (`generator_ab`) and `F: B -> A`
  (`generator_ba`): c7s1-64, d128, d256, 6 residual blocks below 256 px (9 at
  256 and above), u128, u64, c7s1-C; reflect padding, instance norm
  (`GroupNormalization(groups=-1)`), ReLU, tanh (appendix 7.2).
* Two 70x70 PatchGANs (`discriminator_a` judges domain A, `discriminator_b`
  domain B), instance norm, depth adapting to the resolution.
* Least-squares GAN loss (section 4), cycle weight `lambda_cycle = 10`,
  identity weight `lambda_identity = 0.5` (times lambda_cycle, as the authors'
  code: ||G(b) - b|| weighted 0.5 * 10), D objective halved.
* D sees a history of 50 generated images (Shrivastava et al. 2017): each
  new fake is stored while the pool fills; once full, with probability 0.5 a
  stored image is returned in its place (and replaced by it), else the new
  one passes (`ImageHistoryPool`).
* Adam(2e-4, beta_1=0.5); the learning rate is constant for the first half of
  training and decays linearly to 0 over the second
  (`CycleGAN.paper_optimizers(steps_per_epoch, epochs)`).

Trains on unpaired `(a, b)` batches (`keras_gans.data.paired.unpaired_dataset`
or an unpaired task). `translate(images)` maps A -> B; `translate(images,
target_domain=0)` (or the name of domain A) maps B -> A. The export has
`serving_default` / `translate` (A -> B) and `serving_to_a` (B -> A).

Example:

>>> task = keras_gans.data.translation_tasks.load_task("sneaker2boot")  # doctest: +SKIP
>>> model = CycleGAN(resolution=32, channels=1, domain_names=task.domain_names)  # doctest: +SKIP
>>> model.compile()  # doctest: +SKIP
>>> model.fit(task.dataset(batch_size=1), epochs=1)  # doctest: +SKIP
>>> boots = model.translate(task.source[:8])  # doctest: +SKIP
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gans.losses import translation as losses
from keras_gans.losses.reduction import gather_global_batch
from keras_gans.models.options import Option, non_negative, one_of
from keras_gans.models.randomness import assign_variables
from keras_gans.models.translation import (HoldThenLinearDecay, TranslationGAN,
                                           register_translation_family)
from keras_gans.models.translation_networks import (build_patchgan_discriminator,
                                                    build_resnet_generator)


@keras.saving.register_keras_serializable(package="keras_gans")
class ImageHistoryPool(keras.layers.Layer):
    """The history of generated images D is trained on (Shrivastava et al. 2017).

    `query(images, seed)` returns a batch for D: while the pool holds fewer
    than `pool_size` images each new image is stored and returned; once full,
    each image is, with probability 0.5, swapped for a uniformly chosen stored
    one (which is returned, the new image taking its slot), else returned
    itself. Images are processed in batch order, as the CycleGAN code does.

    The pool is state, so it must be the same on every replica and evolve as
    on one device: the query runs on the GLOBAL batch (the replicas' fakes
    all-gathered in replica order), with randomness from a seed shared by all
    replicas, writes the same new pool on every replica, and each replica keeps
    its own rows of the result. One step on N replicas therefore equals one
    step on one device. The pool and its fill count are saved variables.

    Args:
        pool_size: images kept (50 in CycleGAN; 0 disables the pool).
        image_shape: (H, W, C) of the images.

    Example:

    >>> pool = ImageHistoryPool(2, (1, 1, 1))
    >>> x = tf.constant([[[[1.0]]], [[[2.0]]]])
    >>> pool.query(x, tf.constant([0, 0], tf.int64)).numpy().ravel().tolist()  # filling: pass through
    [1.0, 2.0]
    """

    def __init__(self, pool_size=50, image_shape=(32, 32, 1), **kwargs):
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)
        if self.pool_size < 0:
            raise ValueError(f"pool_size must be >= 0; got {pool_size}.")
        self.image_shape = tuple(int(s) for s in image_shape)
        self.images = self.add_weight(shape=(max(self.pool_size, 1),) + self.image_shape,
                                      initializer="zeros", trainable=False, name="images")
        self.count = self.add_weight(shape=(), dtype="int32", initializer="zeros",
                                     trainable=False, name="count")
        self.built = True

    def query_global(self, images, pool, count, seed):
        """Pure function: (returned images, new pool, new count) for a global batch."""
        n = tf.shape(images)[0]
        size = self.pool_size

        def body(i, pool, count, out):
            image = images[i]
            draw_seed = tf.random.experimental.stateless_fold_in(seed, i)
            u = tf.random.stateless_uniform([], draw_seed)
            slot = tf.random.stateless_uniform([], tf.random.experimental.stateless_fold_in(
                draw_seed, 1), minval=0, maxval=size, dtype=tf.int32)
            filling = count < size
            swap = tf.logical_and(tf.logical_not(filling), u > 0.5)
            index = tf.where(filling, count, slot)
            returned = tf.where(swap, pool[index], image)
            write = tf.logical_or(filling, swap)
            new_pool = tf.cond(
                write, lambda: tf.tensor_scatter_nd_update(pool, [[index]], image[None]),
                lambda: pool)
            return i + 1, new_pool, count + tf.cast(filling, tf.int32), out.write(i, returned)

        out = tf.TensorArray(images.dtype, size=n, element_shape=self.image_shape)
        _, pool, count, out = tf.while_loop(lambda i, *_: i < n, body,
                                            (tf.constant(0), pool, count, out))
        return out.stack(), pool, count

    def query(self, images, seed):
        """D's batch for this replica's `images`; updates the pool (see the class doc)."""
        if self.pool_size == 0:
            return images
        images = tf.stop_gradient(tf.convert_to_tensor(images))
        global_images = gather_global_batch(images)
        returned, pool, count = self.query_global(
            global_images, tf.convert_to_tensor(self.images), tf.convert_to_tensor(self.count),
            seed)
        assign_variables([self.images, self.count], [pool, count])
        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            local = tf.shape(images)[0]
            start = tf.cast(ctx.replica_id_in_sync_group, tf.int32) * local
            returned = returned[start:start + local]
        return tf.reshape(returned, tf.shape(images))

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size,
                "image_shape": list(self.image_shape)}


@register_translation_family("cyclegan")
class CycleGAN(TranslationGAN):
    """CycleGAN (Zhu et al. 2017): two ResNet Gs, two PatchGANs, LSGAN + cycle + identity.

    Args:
        resolution: image size (a power of two; 256 in the paper).
        channels: channels of both domains.
        width: filters of the first G and D layers (64).
        n_blocks: residual blocks (default: 6 below 256 px, 9 at 256+).
        d_layers: PatchGAN stride-2 layers (default: by resolution).
        pool_size: the image history of each D (50).
        domain_names: names of (A, B).
        seed: noise seed (the pools' draws).

    Compile options (`CycleGAN.compile_options_doc()`): `lambda_cycle` (10),
    `lambda_identity` (0.5), `loss` ("least_squares"), `d_loss_weight` (0.5).
    """

    data_kind = "unpaired"
    base_metric_names = ("d_loss", "g_loss", "g_adv", "g_cycle", "g_identity", "d_a", "d_b")
    options = (
        Option("lambda_cycle", 10.0, "weight of the cycle terms (paper: 10)",
               check=non_negative),
        Option("lambda_identity", 0.5, "identity weight, relative to lambda_cycle (0.5)",
               check=non_negative),
        Option("loss", "least_squares", "adversarial loss (paper: least squares)",
               check=one_of("least_squares", "non_saturating"), attr="adversarial_loss"),
        Option("d_loss_weight", 0.5, "factor on D's objective (paper: 1/2)",
               check=non_negative),
    )
    example_config = {"resolution": 16, "channels": 1, "width": 4, "n_blocks": 1,
                      "pool_size": 3}

    def __init__(self, resolution=256, channels=3, width=64, n_blocks=None, d_layers=None,
                 pool_size=50, domain_names=("A", "B"), seed=0, **kwargs):
        super().__init__(resolution, channels, None, domain_names, seed, **kwargs)
        if self.domain_names is not None and len(self.domain_names) != 2:
            raise ValueError(f"CycleGAN has two domains; got domain_names={domain_names}.")
        self.width = int(width)
        self.n_blocks = None if n_blocks is None else int(n_blocks)
        self.d_layers = None if d_layers is None else int(d_layers)
        self.pool_size = int(pool_size)

        def generator(name):
            return build_resnet_generator(self.resolution, self.channels, width=self.width,
                                          n_blocks=self.n_blocks, padding="reflect", name=name)

        def discriminator(name):
            return build_patchgan_discriminator(self.resolution, self.channels,
                                                width=self.width, n_layers=self.d_layers,
                                                norm="instance", name=name)

        self.generator_ab = generator("generator_ab")
        self.generator_ba = generator("generator_ba")
        self.discriminator_a = discriminator("discriminator_a")
        self.discriminator_b = discriminator("discriminator_b")
        self.pool_a = ImageHistoryPool(self.pool_size, self.image_shape, name="pool_a")
        self.pool_b = ImageHistoryPool(self.pool_size, self.image_shape, name="pool_b")
        self.create_trackers()
        self.built = True

    def architecture_config(self):
        return {"width": self.width, "n_blocks": self.n_blocks, "d_layers": self.d_layers,
                "pool_size": self.pool_size}

    @property
    def num_domains(self):
        return 2

    # The harness reads `generator` / `discriminator`: the A -> B pair.
    @property
    def generator(self):
        return self.generator_ab

    @property
    def discriminator(self):
        return self.discriminator_b

    @staticmethod
    def paper_optimizers(steps_per_epoch, epochs=200, learning_rate=2e-4):
        """(d_optimizer, g_optimizer): Adam(lr, 0.5), constant for the first half
        of `epochs`, linear to 0 over the second (section 7.1: 100 + 100 epochs)."""
        hold = int(steps_per_epoch) * (int(epochs) // 2)
        decay = max(1, int(steps_per_epoch) * int(epochs) - hold)
        return tuple(keras.optimizers.Adam(HoldThenLinearDecay(learning_rate, hold, decay),
                                           beta_1=0.5) for _ in range(2))

    # ----------------------------------------------------------- training
    def optimizer_variables(self, name):
        if name == "d_optimizer":
            return (self.discriminator_a.trainable_variables
                    + self.discriminator_b.trainable_variables)
        return self.generator_ab.trainable_variables + self.generator_ba.trainable_variables

    def _generator_terms(self, real_a, real_b):
        _, g_loss_fn = losses.adversarial_pair(self.adversarial_loss)
        fake_b = self.generator_ab(real_a, training=True)
        fake_a = self.generator_ba(real_b, training=True)
        rec_a = self.generator_ba(fake_b, training=True)
        rec_b = self.generator_ab(fake_a, training=True)
        adv = (g_loss_fn(self.discriminator_b(fake_b, training=True))
               + g_loss_fn(self.discriminator_a(fake_a, training=True)))
        cycle = losses.cycle_loss(real_a, rec_a) + losses.cycle_loss(real_b, rec_b)
        terms = {"g_adv": adv, "g_cycle": cycle}
        g_loss = adv + self.lambda_cycle * cycle
        if self.lambda_identity > 0:
            identity = (losses.identity_loss(real_b, self.generator_ab(real_b, training=True))
                        + losses.identity_loss(real_a, self.generator_ba(real_a, training=True)))
            g_loss += self.lambda_identity * self.lambda_cycle * identity
            terms["g_identity"] = identity
        terms["g_loss"] = g_loss
        return terms, fake_a, fake_b

    def _discriminator_update(self, real_a, real_b, fake_a, fake_b):
        d_loss_fn, _ = losses.adversarial_pair(self.adversarial_loss)
        # The pools draw from seeds shared by all replicas (not per-replica rows).
        history_a = self.pool_a.query(fake_a, self.stream_seed())
        history_b = self.pool_b.query(fake_b, self.stream_seed())
        with tf.GradientTape() as tape:
            d_a = d_loss_fn(self.discriminator_a(real_a, training=True),
                            self.discriminator_a(history_a, training=True))
            d_b = d_loss_fn(self.discriminator_b(real_b, training=True),
                            self.discriminator_b(history_b, training=True))
            terms = {"d_a": d_a, "d_b": d_b, "d_loss": self.d_loss_weight * (d_a + d_b)}
            loss = self.reduce(terms["d_loss"])
        self.apply_gradients(self.d_optimizer, loss, tape, self.optimizer_variables("d_optimizer"))
        return terms

    def generator_step(self, batch):
        """One update of both generators on an (a, b) batch; returns the terms."""
        self.check_compiled()
        real_a, real_b = self.unpack_batch(batch)
        with tf.GradientTape() as tape:
            terms, _, _ = self._generator_terms(real_a, real_b)
            loss = self.reduce(terms["g_loss"])
        self.apply_gradients(self.g_optimizer, loss, tape, self.optimizer_variables("g_optimizer"))
        return terms

    def discriminator_step(self, batch):
        """One update of both discriminators (through the pools) on an (a, b) batch."""
        self.check_compiled()
        real_a, real_b = self.unpack_batch(batch)
        fake_b = self.generator_ab(real_a, training=True)
        fake_a = self.generator_ba(real_b, training=True)
        return self._discriminator_update(real_a, real_b, fake_a, fake_b)

    def train_step(self, data):
        # The authors' order: both Gs first (against the current Ds), then both
        # Ds on the pooled fakes of this step.
        self.reset_draws()
        real_a, real_b = self.unpack_batch(data)
        with tf.GradientTape() as tape:
            g_terms, fake_a, fake_b = self._generator_terms(real_a, real_b)
            g_loss = self.reduce(g_terms["g_loss"])
        self.apply_gradients(self.g_optimizer, g_loss, tape,
                             self.optimizer_variables("g_optimizer"))
        d_terms = self._discriminator_update(real_a, real_b, tf.stop_gradient(fake_a),
                                             tf.stop_gradient(fake_b))
        self.rng_step.assign_add(1)
        return self.update_trackers({**g_terms, **d_terms})

    # --------------------------------------------------------- inference
    def inference_networks(self):
        return [self.generator_ab, self.generator_ba]

    def check_target_domains(self, target_domain, n):
        # 1 (B, the default) for A -> B, 0 for B -> A; one direction per call.
        if target_domain is None:
            return None
        if isinstance(target_domain, (str, int, np.integer)):
            index = self.domain_index(target_domain)
        else:
            values = {self.domain_index(d) for d in np.ravel(target_domain)}
            if len(values) != 1:
                raise ValueError("CycleGAN translates a call's images in one direction: pass "
                                 "one target_domain for all of them.")
            index = values.pop()
        if index not in (0, 1):
            raise ValueError(f"target_domain must be 0 ({self.domain_names[0]}, B -> A) or 1 "
                             f"({self.domain_names[1]}, A -> B); got {target_domain!r}.")
        return np.full((n,), index, np.int32)

    def translate_batch(self, images, target_domain=None, z=None, reference=None,
                        training=False):
        if target_domain is not None and int(np.asarray(target_domain).ravel()[0]) == 0:
            return self.generator_ba(images, training=training)
        return self.generator_ab(images, training=training)

    def export_endpoints(self):
        endpoints = super().export_endpoints()
        from keras_gans.export.savedmodel import images_to_uint8
        from keras_gans.models.translation import checked_images

        shape, to_a = self.image_shape, self.generator_ba

        def serve_to_a(images):
            x = checked_images(tf.cast(images, tf.float32) / 127.5 - 1.0, shape, False)
            return {"images": images_to_uint8(to_a(x, training=False))}

        spec = [tf.TensorSpec([None, *shape], tf.uint8, name="images")]
        return endpoints + [("serving_to_a", serve_to_a, spec)]
