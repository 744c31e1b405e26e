"""`GAN`: the base class of every sampling GAN family.

`GAN` builds on `keras_gans.models.core.AdversarialModel` (one reduction by the
global batch, non-finite skipping, log trackers, replica-exact noise streams,
compile options declared once) and `keras_gans.models.sampling.SamplingMixin`
(latents, label checks, `generate`, `sample`); its default export endpoints live
in `keras_gans.export.endpoints`. It adds the adversarial step: `d_steps` D
updates and one G update per batch, an optional EMA generator, and the hooks
below.

## The hooks a family may override

Everything else is internal. A hook runs once per replica, in that replica's
thread: never keep Python state between hooks in plain attributes (use
`keras_gans.models.randomness.PerReplica`), never call `tf.random.*` stateful
ops (use `random_normal`/`random_uniform`, replica-exact), never reduce a loss
yourself (return per-example terms; `reduce` divides by the global batch).

| hook | contract |
|---|---|
| `options` (class attribute) | the family's compile `Option`s; re-declare an inherited one to change its default |
| `default_optimizers()` | `(d_optimizer, g_optimizer)` of the paper |
| `configure()` | end of `compile`: validate options against the networks, derive state |
| `extra_metric_names()` | log keys the family adds |
| `architecture_config()` | constructor arguments that rebuild the networks (saved by `get_config`) |
| `data_arguments` (class attribute) | which constructor arguments the data's shape and class count fill in (`constructor_kwargs_for_data`) |
| `sample_latents(batch)` | the step's latents (default: N(0, I) of `latent_dim`) |
| `generate_for_training(z, labels)` | G's forward pass in training mode |
| `discriminate(images, labels, training)` | D's forward pass (logits) |
| `preprocess_real(images, labels)` | real batch as D sees it (default: unchanged) |
| `compute_discriminator_loss(real, fake, labels)` | dict of per-example terms; `d_loss` is minimized; every key logged |
| `compute_generator_loss(fake, labels, real)` | dict of per-example terms; `g_loss` is minimized |
| `apply_gradients(optimizer, loss, tape, variables)` | may transform gradients, then call `super()` |
| `after_discriminator_update()` / `after_generator_update()` | assigned-variable updates (clipping, controllers) through `assign_variables` |
| `unpack_batch(data)` | `(images, labels or None)` from a dataset element |
| `export_endpoints()` | `(name, fn, input_signature)` list; the first is `serving_default` |
| `inference_generator` (property) | the network sampling and export use |

Per-step helpers a hook may call: `reduce`, `random_normal`, `random_uniform`,
`noise_substream(name)`, `d_output_for_log`, `discriminator_step`,
`generator_step`, `update_ema`.
"""

import inspect

import keras
import tensorflow as tf

from keras_gans import augment as augment_lib
from keras_gans import mixed_precision
from keras_gans.losses import adversarial
from keras_gans.losses.adversarial import per_example
from keras_gans.models.core import AdversarialModel
from keras_gans.models.options import Option, one_of, positive_int
# Re-exported: families and user code import these from here.
from keras_gans.models.randomness import PerReplica, assign_variables  # noqa: F401
from keras_gans.models.sampling import SamplingMixin

# How the d_steps discriminator updates of one train_step share the real batch.
CRITIC_BATCHES = ("shared", "split")

# The facts of a dataset that `constructor_kwargs_for_data` can fill in.
DATA_ARGUMENTS = ("data_shape", "resolution", "channels", "num_classes")


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(SamplingMixin, AdversarialModel):
    """A generative adversarial network trained with `fit`.

    Args:
        generator: a built `keras.Model` mapping latents `z` (and labels, for
            conditional families) to images in [-1, 1].
        discriminator: a built `keras.Model` mapping images (and labels) to
            logits of shape [batch, ...] (averaged per example).
        latent_dim: size of z; default: the generator's input size.
        ema_decay: when set (e.g. 0.999), keep `generator_ema`, an
            exponential moving average of the generator's weights (moving
            statistics copied), used by `generate`, `sample` and export. The
            decay ramps up as min(ema_decay, (1 + n) / (10 + n)) over the
            first generator updates n.
        ema_rampup: False keeps the full `ema_decay` from the first update:
            for a model whose `generator_ema` is already an average (a
            converted NVIDIA `G_ema`/`Gs`), the ramp would replace it with
            the training generator in the first steps.
        seed: seed of the latent and noise streams.
        num_classes: number of classes for conditional families, else None.

    Compile options (`compile(**options)`, saved in `.keras` files): see
    `GAN.compile_options_doc()`; each family's docstring names its own.

    Example:

    >>> gan = keras_gans.models.DCGAN(resolution=28)  # doctest: +SKIP
    >>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    ...             g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    ...             loss="non_saturating")  # doctest: +SKIP
    >>> gan.fit(keras_gans.data.load("fashion_mnist"), epochs=1)  # doctest: +SKIP
    """

    family = "gan"
    base_metric_names = ("d_loss", "g_loss", "d_real", "d_fake")
    optimizer_names = ("d_optimizer", "g_optimizer")
    options = (
        Option("loss", "non_saturating",
               "adversarial loss: minimax, non_saturating, wasserstein, hinge, least_squares "
               "(a name, config dict or keras_gans.losses.AdversarialLoss)",
               check=adversarial.get, attr="adversarial_loss"),
        Option("d_steps", 1, "discriminator updates per generator update",
               check=positive_int),
        Option("augment", None,
               "data-efficient training (keras_gans.augment): 'diffaugment', 'ada', 'cr', "
               "'bcr', 'zcr', 'bcr+zcr', a {'name': ..., **options} dict or None; applied to "
               "every image D sees in training (real and fake, D and G steps)",
               check=augment_lib.get),
        Option("critic_batches", "shared",
               "which real rows the d_steps D updates see: 'shared' (keras.io's WGAN-GP: all "
               "of them) or 'split' (the WGAN papers' Algorithm 1: update i sees rows "
               "i::d_steps of a d_steps*m batch)", check=one_of(*CRITIC_BATCHES)),
    )
    #: Whether train_step may reuse the last D step's fake batch for the G step
    #: (one generator forward per step, as in the DCGAN reference code).
    reuse_fake_for_generator_step = True
    #: Constructor arguments of a tiny instance, used by the tests that run
    #: over every registered family (distributed equivalence, ...).
    example_config = None
    #: Constructor arguments filled in from the data (see
    #: `constructor_kwargs_for_data`); None: read off the constructors'
    #: signatures.
    data_arguments = None

    def __init__(self, generator, discriminator, latent_dim=None, ema_decay=None,
                 seed=0, num_classes=None, ema_rampup=True, **kwargs):
        if not isinstance(generator, keras.Model) or not isinstance(discriminator, keras.Model):
            raise TypeError(
                "generator and discriminator must be keras.Model instances; got "
                f"{type(generator).__name__} and {type(discriminator).__name__}."
            )
        if latent_dim is None:
            shape = generator.inputs[0].shape if generator.inputs else None
            if shape is None:
                raise ValueError("Pass latent_dim=...: it cannot be read off the generator.")
            latent_dim = int(shape[-1])
        ema_decay = None if ema_decay is None else float(ema_decay)
        if ema_decay is not None and not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1); got {ema_decay}.")
        super().__init__(seed=seed, **kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.ema_decay = ema_decay
        self.ema_rampup = bool(ema_rampup)
        self.num_classes = None if num_classes is None else int(num_classes)
        if self.ema_decay is not None:
            self.generator_ema = keras.models.clone_model(generator)
            self.generator_ema.set_weights(generator.get_weights())
            self.generator_ema.trainable = False
        else:
            self.generator_ema = None
        self.create_trackers()
        self.built = True

    # ------------------------------------------------------------------ config
    def architecture_config(self):
        """The constructor arguments that define a family's networks.

        Families that build their own networks return their hyperparameters;
        the generic `GAN` returns None and serializes the two networks.
        """
        return None

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable,
                  "ema_decay": self.ema_decay, "seed": self.seed}
        if not self.ema_rampup:
            config["ema_rampup"] = False
        arch = self.architecture_config()
        if arch is None:
            config.update({
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "latent_dim": self.latent_dim,
                "num_classes": self.num_classes,
            })
        else:
            config.update(arch)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    @classmethod
    def accepted_data_arguments(cls):
        """The `DATA_ARGUMENTS` this family's constructor takes."""
        if cls.data_arguments is not None:
            return tuple(cls.data_arguments)
        names = set()
        for klass in cls.__mro__:
            if "__init__" in klass.__dict__ and issubclass(klass, GAN) and klass is not GAN:
                names.update(inspect.signature(klass.__dict__["__init__"]).parameters)
        return tuple(name for name in DATA_ARGUMENTS if name in names)

    @classmethod
    def constructor_kwargs_for_data(cls, image_shape, num_classes=None):
        """Constructor arguments that fit a dataset of `image_shape` (H, W, C) or
        `(D,)` vectors and `num_classes` classes (None: unlabeled).

        The one mechanism by which tools (the CLI, benchmarks) adapt any family
        to a dataset; a family that takes other names declares
        `data_arguments` or overrides this.

        Example:

        >>> DCGAN.constructor_kwargs_for_data((28, 28, 1))  # doctest: +SKIP
        {'resolution': 28, 'channels': 1}
        """
        shape = tuple(int(s) for s in image_shape)
        accepted = cls.accepted_data_arguments()
        kwargs = {}
        if "data_shape" in accepted:
            kwargs["data_shape"] = shape
        if len(shape) == 3:
            if shape[0] != shape[1] and ("resolution" in accepted):
                raise ValueError(
                    f"{cls.__name__} needs square images; got {shape[0]}x{shape[1]}. "
                    "Crop or resize the dataset to a square.")
            if "resolution" in accepted:
                kwargs["resolution"] = shape[0]
            if "channels" in accepted:
                kwargs["channels"] = shape[2]
        elif "data_shape" not in accepted:
            raise ValueError(
                f"{cls.__name__} trains on images (H, W, C); got data of shape {shape}.")
        if "num_classes" in accepted:
            if num_classes is not None:
                kwargs["num_classes"] = int(num_classes)
            elif not cls.labels_optional():
                raise ValueError(
                    f"{cls.__name__} is conditional: the dataset must carry labels.")
        return kwargs

    @classmethod
    def labels_optional(cls):
        """Whether the family also trains unconditionally (its constructor's
        `num_classes` defaults to None)."""
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is not None and issubclass(klass, GAN) and klass is not GAN:
                parameter = inspect.signature(init).parameters.get("num_classes")
                if parameter is not None:
                    return parameter.default is None
        return False

    def load_own_variables(self, store):
        # Files written before `skipped_steps` existed hold only `rng_step`;
        # they load with the skip counter at 0.
        if len(store.keys()) == 1:
            self.rng_step.assign(store["0"])
            return
        super().load_own_variables(store)

    # ----------------------------------------------------------------- compile
    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures both players.

        Args:
            d_optimizer, g_optimizer: optimizers (instances, names or configs);
                default: the family's `default_optimizers()`.
            **kwargs: the family's compile options (`compile_options_doc()`;
                for every family: `loss`, `d_steps`, `critic_batches`,
                `skip_nonfinite`) and `jit_compile`, `steps_per_execution`,
                `run_eagerly`.
        """
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, **kwargs)
        self.configure_augment()

    def configure_augment(self):
        """Adds the augmentation's log keys and, for ADA, its saved controller state."""
        if self.augment is None:
            return
        for name in self.augment.metric_names:
            if name not in self._trackers:
                self._trackers[name] = keras.metrics.Mean(name=name)
        if isinstance(self.augment, augment_lib.AdaptiveAugment) and \
                getattr(self, "ada_state", None) is None:
            with self.distribute_strategy.scope():
                self.ada_state = augment_lib.ada.AdaState(self.augment.initial_p,
                                                          name="ada_state")

    def optimizer_variables(self, name):
        network = self.discriminator if name == "d_optimizer" else self.generator
        return network.trainable_variables

    # ---------------------------------------------------------------- sampling
    def call(self, inputs, training=False):
        """Maps latents (and labels) to images with the training generator."""
        return self.generator(inputs, training=training)

    @property
    def inference_generator(self):
        """The generator used for sampling and export: the EMA one when kept."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def fit(self, x=None, *args, shuffle=None, **kwargs):
        # A tf.data pipeline is shuffled by keras_gans.data itself; Keras's
        # default shuffle=True would only warn that it ignores it.
        if shuffle is None:
            shuffle = not isinstance(x, tf.data.Dataset)
        # tf.data's autotuning can stall fit for seconds at every iterator
        # teardown (end of fit, each epoch of a finite dataset); datasets that
        # do not choose are run without it (keras_gans.data.pipeline_options).
        from keras_gans.data.pipeline import without_autotune

        x = without_autotune(x)
        from keras_gans import distribute

        if distribute.is_multi_worker(self.distribute_strategy):
            # Keras 3.15 cannot reduce scalar logs across workers (#20585).
            distribute.enable_multi_worker_fit()
        return super().fit(x, *args, shuffle=shuffle, **kwargs)

    # ------------------------------------------------------------------ export
    def export_resources(self):
        """What an exported SavedModel tracks: only the inference generator."""
        return [self.inference_generator]

    def export_endpoints(self):
        """(name, fn, input_signature) of each exported signature; the first
        is `serving_default`.

        Endpoints run the inference generator in inference mode (BN moving
        statistics) and are pure functions of their inputs.
        """
        from keras_gans.export.endpoints import sampling_endpoints

        return sampling_endpoints(self.inference_generator, self.latent_dim, self.num_classes)

    def sample_latents(self, batch_size):
        return self.random_normal([batch_size, self.latent_dim])

    # ------------------------------------------------------------- the hooks
    def discriminate(self, images, labels=None, training=True):
        inputs = images if labels is None or self.num_classes is None else [images, labels]
        # float32 logits: the losses (and their logs) are computed in float32
        # under mixed precision.
        return mixed_precision.to_float32(self.discriminator(inputs, training=training))

    def generate_for_training(self, z, labels=None):
        inputs = z if labels is None or self.num_classes is None else [z, labels]
        return self.generator(inputs, training=True)

    def d_output_for_log(self, logits):
        """Per-example D output as logged: a probability for sigmoid losses."""
        logits = per_example(logits)
        return tf.sigmoid(logits) if self.adversarial_loss.uses_sigmoid else logits

    def compute_discriminator_loss(self, real, fake, labels=None):
        """Per-example terms of the D step; `d_loss` is what D minimizes.

        Returns a dict of tensors of shape [batch] (or scalars, for terms that
        are per batch); every key is logged.
        """
        real_logits = self.discriminate(real, labels, training=True)
        fake_logits = self.discriminate(fake, labels, training=True)
        return {
            "d_loss": self.adversarial_loss.discriminator_loss(real_logits, fake_logits),
            "d_real": self.d_output_for_log(real_logits),
            "d_fake": self.d_output_for_log(fake_logits),
        }

    def compute_generator_loss(self, fake, labels=None, real=None):
        """Per-example terms of the G step; `g_loss` is what G minimizes."""
        fake_logits = self.discriminate(fake, labels, training=True)
        return {"g_loss": self.adversarial_loss.generator_loss(fake_logits)}

    def after_discriminator_update(self):
        """Called after each D update (WGAN clips its weights here)."""

    def augment_for_discriminator(self, images):
        """Images as D sees them in training: `compile(augment=...)`'s transform
        (DiffAugment, ADA), differentiable so G's gradient passes through it."""
        if images is None or self.augment is None or not self.augment.transforms_inputs:
            return images
        return self.augment.augment_images(self, images)

    def after_generator_update(self):
        """Called after each G update (before the EMA update)."""

    # ---------------------------------------------------------------- updates
    def _discriminator_update(self, real, fake, labels=None):
        variables = self.discriminator.trainable_variables
        fake = tf.stop_gradient(fake)
        with tf.GradientTape() as tape:
            terms = self.compute_discriminator_loss(self.augment_for_discriminator(real),
                                                    self.augment_for_discriminator(fake), labels)
            if self.augment is not None and not self.augment.transforms_inputs:
                extra = self.augment.discriminator_terms(self, real, fake, labels)
                terms.update(extra)
                terms["d_loss"] = terms["d_loss"] + tf.add_n(list(extra.values()))
            loss = self.reduce(terms["d_loss"])
        self.apply_gradients(self.d_optimizer, loss, tape, variables)
        self.after_discriminator_update()
        if isinstance(self.augment, augment_lib.AdaptiveAugment):
            # sign(D(real logits)): the logged d_real is a probability for sigmoid losses.
            d_real = tf.cast(terms["d_real"], tf.float32)
            centre = 0.5 if self.adversarial_loss.uses_sigmoid else 0.0
            augment_lib.ada.ada_controller_update(self.ada_state, self.augment,
                                                  tf.sign(d_real - centre))
        return terms

    def _generator_terms(self, fake, labels, real):
        """compute_generator_loss on D's view of the images, plus zCR's G term."""
        terms = self.compute_generator_loss(self.augment_for_discriminator(fake), labels,
                                            real=self.augment_for_discriminator(real))
        if self.augment is not None and not self.augment.transforms_inputs:
            extra = self.augment.generator_terms(self, tf.shape(fake)[0], labels)
            if extra:
                terms.update(extra)
                terms["g_loss"] = terms["g_loss"] + tf.add_n(list(extra.values()))
        return terms

    def discriminator_step(self, real, labels=None):
        """One D update on a real batch against fresh fakes; returns the terms."""
        self.check_compiled()
        batch = tf.shape(real)[0]
        fake = self.generate_for_training(self.sample_latents(batch), labels)
        return self._discriminator_update(real, fake, labels)

    def generator_step(self, batch_size, labels=None, real=None):
        """One G update on fresh latents; returns the terms."""
        self.check_compiled()
        variables = self.generator.trainable_variables
        z = self.sample_latents(batch_size)
        with tf.GradientTape() as tape:
            fake = self.generate_for_training(z, labels)
            terms = self._generator_terms(fake, labels, real)
            loss = self.reduce(terms["g_loss"])
        self.apply_gradients(self.g_optimizer, loss, tape, variables)
        self.after_generator_update()
        return terms

    def update_ema(self):
        """Moves `generator_ema` toward the generator (after each G update)."""
        if self.generator_ema is None:
            return
        self.update_moving_average(self.generator_ema, self.generator, self.ema_decay,
                                   self.g_optimizer.iterations, rampup=self.ema_rampup)

    def unpack_batch(self, data):
        """(images, labels or None) from a dataset element."""
        if isinstance(data, (tuple, list)):
            images = data[0]
            labels = data[1] if len(data) > 1 and self.num_classes is not None else None
        elif isinstance(data, dict):
            images, labels = data["images"], data.get("labels")
        else:
            images, labels = data, None
        if labels is None and self.num_classes is not None:
            # conditioning.py builds on dcgan.py, which imports this module.
            from keras_gans.models.conditioning import require_labels

            require_labels(self, labels)
        return images, self.check_training_labels(labels, images)

    def critic_slices(self, real, labels=None):
        """The `d_steps` (real, labels) pairs the D updates of one step see."""
        n = self.d_steps
        if self.critic_batches == "shared" or n == 1:
            return [(real, labels)] * n
        batch = real.shape[0]
        if batch is not None and batch % n:
            raise ValueError(
                f"critic_batches='split' with d_steps={n} needs a batch size divisible by "
                f"{n}; got a batch of {batch}. Batch the dataset with a multiple of {n} "
                "(per replica) and drop_remainder=True.")
        if batch is None:  # known only at run time: check it in the graph
            check = tf.debugging.assert_equal(
                tf.shape(real)[0] % n, 0,
                message=f"critic_batches='split' with d_steps={n}: the batch size (per "
                        f"replica) is not divisible by {n}; batch the dataset with a multiple "
                        f"of {n} and drop_remainder=True")
            with tf.control_dependencies([check]):
                real = tf.identity(real)
        return [(real[i::n], None if labels is None else labels[i::n]) for i in range(n)]

    def preprocess_real(self, images, labels=None):
        """The real batch as the step uses it (ProGAN resizes it to the current
        phase); default: unchanged. Must keep the batch size."""
        return images

    def train_step(self, data):
        real, labels = self.unpack_batch(data)
        real = self.preprocess_real(real, labels)
        self.reset_draws()
        slices = self.critic_slices(real, labels)
        logs = {}
        for slice_real, slice_labels in slices[:-1]:
            logs.update(self.discriminator_step(slice_real, slice_labels))
        real, labels = slices[-1]
        batch = tf.shape(real)[0]
        variables = self.generator.trainable_variables
        with tf.GradientTape() as g_tape:
            fake = self.generate_for_training(self.sample_latents(batch), labels)
            with g_tape.stop_recording():
                logs.update(self._discriminator_update(real, fake, labels))
            if self.reuse_fake_for_generator_step:
                g_fake = fake
            else:
                g_fake = self.generate_for_training(self.sample_latents(batch), labels)
            g_terms = self._generator_terms(g_fake, labels, real)
            g_loss = self.reduce(g_terms["g_loss"])
        self.apply_gradients(self.g_optimizer, g_loss, g_tape, variables)
        self.after_generator_update()
        logs.update(g_terms)
        self.update_ema()
        self.rng_step.assign_add(1)
        results = self.update_trackers(logs)
        if isinstance(self.augment, augment_lib.AdaptiveAugment):
            results["ada_p"] = self.ada_state.p  # the current p, every step
        return results

    def test_step(self, data):
        """Losses on a batch without updates (for `evaluate`/validation data)."""
        real, labels = self.unpack_batch(data)
        real = self.preprocess_real(real, labels)
        self.reset_draws()
        fake = self.generate_for_training(self.sample_latents(tf.shape(real)[0]), labels)
        logs = dict(self.compute_discriminator_loss(real, fake, labels))
        logs.update(self.compute_generator_loss(fake, labels, real=real))
        return self.update_trackers(logs)

    def summary(self, *args, **kwargs):
        print(f"{type(self).__name__} (family {self.family!r}, latent_dim {self.latent_dim},"
              f" ema_decay {self.ema_decay})")
        self.generator.summary(*args, **kwargs)
        self.discriminator.summary(*args, **kwargs)
