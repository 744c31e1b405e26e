"""The base class of every GAN family.

`GAN` owns what is easy to get wrong and must be right once for every family:

* Per-example losses are reduced in ONE place (`_reduce`), dividing by the
  global batch size, so a step under `tf.distribute` with N replicas applies
  the same update as one device on the same global batch.
* Logged values come from `keras.metrics.Mean` trackers fed the unscaled
  per-example values (Keras averages `train_step` outputs over replicas, which
  would show replica-scaled losses divided by N).
* Latents and other noise are drawn with stateless ops seeded by
  (seed, step counter, draw index) for the global batch, each replica keeping
  its rows: every replica gets different z (a Keras `SeedGenerator` gives
  every replica the same z), every example gets the same z on 1 or N
  replicas, and the counter is a saved variable, so a resumed run continues
  the same sequence.
* Variables that are assigned rather than optimized (EMA generator, WGAN
  clipping) are written through `assign_variables`, which works in a replica
  context (a plain `assign` on a mirrored variable raises there).
* Both optimizers are rebuilt by `compile_from_config`, so a `.keras` file
  restores their iterations and slots (plain Keras warns and drops them).

A family subclasses `GAN`, builds its generator and discriminator, and
overrides the hooks it needs: `compute_discriminator_loss`,
`compute_generator_loss`, `after_discriminator_update`, `extra_metric_names`.
"""

import threading

import numpy as np
import keras
import tensorflow as tf

from keras_gans.data.validation import to_uint8
from keras_gans.losses import adversarial
from keras_gans.losses.reduction import reduce_batch_scalar, reduce_per_example

# How the d_steps discriminator updates of one train_step share the real batch.
CRITIC_BATCHES = ("shared", "split")


def assign_variables(variables, values):
    """Assigns `values` to `variables`, also inside a replica context.

    Under a `tf.distribute` strategy a mirrored variable cannot be assigned in
    the replica context `train_step` runs in; the assignment is moved to the
    cross-replica context with `merge_call`, where each device's copy gets its
    own replica's value (identical across replicas when computed from
    synchronized weights).
    """
    variables = list(variables)
    values = list(values)
    if not variables:
        return
    if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
        for var, value in zip(variables, values):
            var.assign(value)
        return
    ctx = tf.distribute.get_replica_context()

    def merge_fn(strategy, *vals):
        for var, val in zip(variables, vals):
            tf_var = getattr(var, "value", var)
            strategy.extended.update(tf_var, lambda v, x: v.assign(x), args=(val,))

    ctx.merge_call(merge_fn, args=tuple(values))


class PerReplica:
    """Python-side state handed from one hook of a train step to a later one.

    Under `MirroredStrategy` every replica runs `train_step` in its own
    thread, interleaved at synchronization points (merge_call, all-reduce).
    A plain attribute set in one hook (say `compute_discriminator_loss`) could
    be read, and consumed, by another replica's later hook, which then uses
    the wrong replica's tensors and skips its own cross-replica call, pairing
    the remaining collectives of the step wrongly. Values are kept per thread.

    Example:

    >>> box = PerReplica()
    >>> box.put(3)
    >>> box.pop(), box.pop()
    (3, None)
    """

    def __init__(self):
        self._values = {}

    def put(self, value):
        self._values[threading.get_ident()] = value

    def pop(self):
        """The value this thread put (and forgets it), or None."""
        return self._values.pop(threading.get_ident(), None)


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(keras.Model):
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
        seed: seed of the latent and noise streams.
        num_classes: number of classes for conditional families, else None.

    Example:

    >>> gan = keras_gans.models.DCGAN(resolution=28)  # doctest: +SKIP
    >>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    ...             g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    ...             loss="non_saturating")  # doctest: +SKIP
    >>> gan.fit(keras_gans.data.load("fashion_mnist"), epochs=1)  # doctest: +SKIP
    """

    family = "gan"
    #: Log keys every family reports; subclasses add theirs via
    #: `extra_metric_names`.
    base_metric_names = ("d_loss", "g_loss", "d_real", "d_fake")
    #: Whether train_step may reuse the last D step's fake batch for the G step
    #: (one generator forward per step, as in the DCGAN reference code).
    reuse_fake_for_generator_step = True
    #: Constructor arguments of a tiny instance, used by the tests that run
    #: over every registered family (distributed equivalence, ...).
    example_config = None

    def __init__(self, generator, discriminator, latent_dim=None, ema_decay=None,
                 seed=0, num_classes=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(generator, keras.Model) or not isinstance(discriminator, keras.Model):
            raise TypeError(
                "generator and discriminator must be keras.Model instances; got "
                f"{type(generator).__name__} and {type(discriminator).__name__}."
            )
        self.generator = generator
        self.discriminator = discriminator
        if latent_dim is None:
            shape = generator.inputs[0].shape if generator.inputs else None
            if shape is None:
                raise ValueError("Pass latent_dim=...: it cannot be read off the generator.")
            latent_dim = int(shape[-1])
        self.latent_dim = int(latent_dim)
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        if self.ema_decay is not None and not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1); got {ema_decay}.")
        self.seed = int(seed)
        self.num_classes = None if num_classes is None else int(num_classes)
        if self.ema_decay is not None:
            self.generator_ema = keras.models.clone_model(generator)
            self.generator_ema.set_weights(generator.get_weights())
            self.generator_ema.trainable = False
        else:
            self.generator_ema = None
        # The RNG state: a step counter folded into every stateless seed. It is
        # a model variable, so checkpoints carry it.
        self.rng_step = keras.Variable(
            0, dtype="int64", trainable=False, name="rng_step",
            aggregation="only_first_replica",
        )
        # Updates skipped because their gradients were not finite (logged).
        self.skipped_steps = keras.Variable(
            0, dtype="int64", trainable=False, name="skipped_steps",
            aggregation="only_first_replica",
        )
        self._trackers = {
            name: keras.metrics.Mean(name=name) for name in self.metric_names()
        }
        self.d_optimizer = None
        self.g_optimizer = None
        self.adversarial_loss = None
        self.d_steps = 1
        self.critic_batches = "shared"
        self.skip_nonfinite = True
        self._draw_index = 0
        self.built = True

    # ------------------------------------------------------------------ config
    def metric_names(self):
        return tuple(self.base_metric_names) + tuple(self.extra_metric_names())

    def extra_metric_names(self):
        """Log keys a family adds (e.g. `("d_gp",)`)."""
        return ()

    def architecture_config(self):
        """The constructor arguments that define a family's networks.

        Families that build their own networks return their hyperparameters;
        the generic `GAN` returns None and serializes the two networks.
        """
        return None

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable,
                  "ema_decay": self.ema_decay, "seed": self.seed}
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

    def load_own_variables(self, store):
        # Files written before `skipped_steps` existed hold only `rng_step`;
        # they load with the skip counter at 0.
        if len(store.keys()) == 1:
            self.rng_step.assign(store["0"])
            return
        super().load_own_variables(store)

    # ----------------------------------------------------------------- compile
    def compile(self, d_optimizer=None, g_optimizer=None, loss="non_saturating",
                d_steps=1, critic_batches="shared", jit_compile=False, skip_nonfinite=True,
                **kwargs):
        """Configures both players.

        Args:
            d_optimizer, g_optimizer: optimizers (instances, names or configs);
                default: the family's `default_optimizers()`.
            loss: an adversarial loss name (`minimax`, `non_saturating`,
                `wasserstein`, `hinge`, `least_squares`), config dict or
                `keras_gans.losses.AdversarialLoss`.
            d_steps: discriminator updates per generator update.
            critic_batches: which real images those `d_steps` updates see.
                `"shared"` (keras-io's WGAN-GP example): every update sees the
                whole batch. `"split"` (Algorithm 1 of the WGAN and WGAN-GP
                papers: a fresh real minibatch per critic iteration): batch
                `d_steps * m` from the dataset and update `i` sees rows
                `i::d_steps` (m of them); the generator step uses m latents.
                Strided, not contiguous, so a replica's share of every slice
                is the same rows on any number of replicas.
            jit_compile: compile `train_step` with XLA. On CPU it helps large
                convolutions and can slow small models: measure per model.
            skip_nonfinite: skip (in-graph) any update whose gradients are not
                all finite, on every replica alike, and count it in the
                `skipped_steps` log.
            **kwargs: family options (see each family's `compile`) and Keras's
                `steps_per_execution`, `run_eagerly`.
        """
        keras_kwargs = {k: kwargs.pop(k) for k in ("steps_per_execution", "run_eagerly")
                        if k in kwargs}
        if kwargs:
            raise ValueError(
                f"{type(self).__name__}.compile got unknown arguments {sorted(kwargs)}."
            )
        defaults = self.default_optimizers()
        self.d_optimizer = keras.optimizers.get(d_optimizer or defaults[0])
        self.g_optimizer = keras.optimizers.get(g_optimizer or defaults[1])
        if self.d_optimizer is self.g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer must be two optimizer instances: one "
                "optimizer's slots cannot serve both networks."
            )
        self.adversarial_loss = adversarial.get(loss)
        if int(d_steps) < 1:
            raise ValueError(f"d_steps must be >= 1; got {d_steps}.")
        self.d_steps = int(d_steps)
        if critic_batches not in CRITIC_BATCHES:
            raise ValueError(
                f"critic_batches must be one of {CRITIC_BATCHES}; got {critic_batches!r}.")
        self.critic_batches = critic_batches
        self.skip_nonfinite = bool(skip_nonfinite)
        # The Keras optimizer slot stays empty: both optimizers live on the
        # model under their own names and are saved and restored as such.
        super().compile(optimizer=None, jit_compile=jit_compile, **keras_kwargs)
        self._build_optimizers()

    def default_optimizers(self):
        """(d_optimizer, g_optimizer) used when compile gets none."""
        return (keras.optimizers.Adam(2e-4, beta_1=0.5),
                keras.optimizers.Adam(2e-4, beta_1=0.5))

    def _build_optimizers(self):
        # Build now, inside the model's strategy scope: optimizers built lazily
        # in the replicated step fail under MirroredStrategy.
        with self.distribute_strategy.scope():
            if not self.d_optimizer.built:
                self.d_optimizer.build(self.discriminator.trainable_variables)
            if not self.g_optimizer.built:
                self.g_optimizer.build(self.generator.trainable_variables)

    def compile_options(self):
        """Family compile options to save (beyond optimizers, loss, d_steps)."""
        return {}

    def get_compile_config(self):
        if self.d_optimizer is None:
            return None
        return {
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            "loss": self.adversarial_loss.get_config(),
            "d_steps": self.d_steps,
            "critic_batches": self.critic_batches,
            "jit_compile": bool(self.jit_compile),
            "skip_nonfinite": self.skip_nonfinite,
            **self.compile_options(),
        }

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("d_optimizer", "g_optimizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        self.compile(**config)

    # ---------------------------------------------------------------- sampling
    def call(self, inputs, training=False):
        """Maps latents (and labels) to images with the training generator."""
        return self.generator(inputs, training=training)

    @property
    def inference_generator(self):
        """The generator used for sampling and export: the EMA one when kept."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def latents(self, n, seed=0):
        """Latents for `n` samples from `seed` (numpy float32, reproducible anywhere)."""
        return np.random.default_rng(seed).standard_normal(
            (int(n), self.latent_dim)).astype(np.float32)

    def check_labels(self, labels, n):
        """Validates labels for a conditional model; returns int32 numpy or None."""
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(
                    f"{type(self).__name__} is unconditional; do not pass labels."
                )
            return None
        if labels is None:
            raise ValueError(
                f"{type(self).__name__} is conditional: pass labels, integers in "
                f"[0, {self.num_classes - 1}] (one per sample)."
            )
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape[-1] == self.num_classes:
            labels = labels.argmax(-1)
        if labels.ndim == 0:
            labels = np.full((n,), int(labels))
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be integers; got dtype {labels.dtype}.")
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},); got {labels.shape}.")
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"labels must lie in [0, {self.num_classes - 1}]; got values in "
                f"[{labels.min()}, {labels.max()}]."
            )
        return labels.astype(np.int32)

    def _generator_inputs(self, z, labels):
        return z if labels is None else [z, labels]

    def generate(self, z, labels=None, batch_size=256):
        """Float images in [-1, 1] for latents `z` (numpy or tensor), in inference mode."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"z must have shape (n, {self.latent_dim}); got {z.shape}."
            )
        labels = self.check_labels(labels, len(z))
        gen = self.inference_generator
        out = []
        for i in range(0, len(z), batch_size):
            lab = None if labels is None else labels[i:i + batch_size]
            out.append(np.asarray(gen(self._generator_inputs(z[i:i + batch_size], lab),
                                      training=False)))
        return np.concatenate(out, axis=0)

    def sample(self, n, seed=0, labels=None, batch_size=256):
        """`n` uint8 images (n, H, W, C); the same seed gives the same images."""
        return to_uint8(self.generate(self.latents(n, seed), labels=labels,
                                      batch_size=batch_size))

    def fit(self, x=None, *args, shuffle=None, **kwargs):
        # A tf.data pipeline is shuffled by keras_gans.data itself; Keras's
        # default shuffle=True would only warn that it ignores it.
        if shuffle is None:
            shuffle = not isinstance(x, tf.data.Dataset)
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
        from keras_gans.export.savedmodel import images_to_uint8

        gen = self.inference_generator
        z_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")
        if self.num_classes is None:
            def serve(z):
                return {"images": images_to_uint8(gen(z, training=False))}

            def generate(z):
                return {"images": gen(z, training=False)}

            signature = [z_spec]
        else:
            num_classes = self.num_classes
            label_spec = tf.TensorSpec([None], tf.int32, name="labels")

            def checked(labels):
                # On GPUs an out-of-range gather silently returns zeros: check.
                in_range = tf.logical_and(tf.reduce_all(labels >= 0),
                                          tf.reduce_all(labels < num_classes))
                with tf.control_dependencies([tf.debugging.Assert(in_range, [
                        f"labels must lie in [0, {num_classes - 1}]; got", labels])]):
                    return tf.identity(labels)

            def serve(z, labels):
                images = gen([z, checked(labels)], training=False)
                return {"images": images_to_uint8(images)}

            def generate(z, labels):
                return {"images": gen([z, checked(labels)], training=False)}

            signature = [z_spec, label_spec]
        return [("serving_default", serve, signature), ("generate", generate, signature)]

    # ------------------------------------------------------------ randomness
    # The noise-draw counter of a step is kept per thread: MirroredStrategy
    # traces a step by running `train_step` once per replica, one thread per
    # replica, switching threads at every cross-replica sync. A counter shared
    # by the replica threads is reset and advanced out of order, so with
    # several draws per step (d_steps > 1, penalties) replicas would get other
    # noise than one device (measured: G kernels off by 2x the learning rate).
    def _draw_state(self):
        state = self.__dict__.get("_draw_thread_state")
        if state is None:
            state = threading.local()
            self.__dict__["_draw_thread_state"] = state
        return state

    @property
    def _draw_index(self):
        return getattr(self._draw_state(), "index", 0)

    @_draw_index.setter
    def _draw_index(self, value):
        self._draw_state().index = value

    def _stream_seed(self):
        """A fresh stateless seed: (seed, step counter, draw index) folded together."""
        seed = tf.constant([self.seed, 0x5EED], tf.int64)
        seed = tf.random.experimental.stateless_fold_in(
            seed, tf.cast(self.rng_step, tf.int64), alg="philox")
        seed = tf.random.experimental.stateless_fold_in(seed, self._draw_index, alg="philox")
        self._draw_index += 1
        return seed

    def _replica_rows(self, draw, shape, dtype):
        """Draws noise for the GLOBAL batch and keeps this replica's rows.

        Every replica draws the same [global batch, ...] tensor from the same
        seed and keeps its own slice, so replicas get different noise and the
        noise of every example is the same on 1 or N replicas: a distributed
        step equals the single-device step on the same global batch. Noise is
        small next to the networks' activations, so drawing N times more of
        it costs little.
        """
        ctx = tf.distribute.get_replica_context()
        replicas = 1 if ctx is None else ctx.num_replicas_in_sync
        if replicas == 1:
            return draw(shape, self._stream_seed(), dtype)
        shape = tf.cast(tf.stack(shape) if isinstance(shape, (list, tuple)) else shape, tf.int32)
        local = shape[0]
        values = draw(tf.concat([[local * replicas], shape[1:]], axis=0), self._stream_seed(),
                      dtype)
        start = tf.cast(ctx.replica_id_in_sync_group, tf.int32) * local
        return values[start:start + local]

    def random_normal(self, shape, dtype="float32"):
        """Standard normal noise: per example, identical for 1 or N replicas."""
        return self._replica_rows(
            lambda s, seed, dt: tf.random.stateless_normal(s, seed, dtype=dt), shape, dtype)

    def random_uniform(self, shape, minval=0.0, maxval=1.0, dtype="float32"):
        """Uniform noise in [minval, maxval): per example, identical for 1 or N replicas."""
        return self._replica_rows(
            lambda s, seed, dt: tf.random.stateless_uniform(s, seed, minval, maxval, dtype=dt),
            shape, dtype)

    def sample_latents(self, batch_size):
        return self.random_normal([batch_size, self.latent_dim])

    # ------------------------------------------------------------- the hooks
    def discriminate(self, images, labels=None, training=True):
        inputs = images if labels is None or self.num_classes is None else [images, labels]
        return self.discriminator(inputs, training=training)

    def generate_for_training(self, z, labels=None):
        inputs = z if labels is None or self.num_classes is None else [z, labels]
        return self.generator(inputs, training=True)

    def d_output_for_log(self, logits):
        """Per-example D output as logged: a probability for sigmoid losses."""
        logits = adversarial._per_example(logits)
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

    def after_generator_update(self):
        """Called after each G update (before the EMA update)."""

    # ---------------------------------------------------------------- updates
    def _reduce(self, value):
        value = tf.convert_to_tensor(value)
        if value.shape.rank == 0:
            return reduce_batch_scalar(value)
        return reduce_per_example(value)

    def _apply(self, optimizer, loss, tape, variables):
        """Applies the gradients of `loss`, skipping non-finite updates.

        A skipped update leaves the weights and the optimizer's state (slots,
        iterations) untouched. BatchNorm moving statistics are updated by the
        forward pass itself, so a batch with NaN inputs still turns D's moving
        statistics into NaN; they are unused in training (D runs in training
        mode) and never exported, and `NonFiniteGuard` stops the run.
        """
        grads = tape.gradient(loss, variables)
        if not self.skip_nonfinite:
            optimizer.apply_gradients(zip(grads, variables))
            return
        bad = tf.add_n([tf.reduce_sum(tf.cast(~tf.math.is_finite(g), tf.int32))
                        for g in grads if g is not None])

        def apply():
            optimizer.apply_gradients(zip(grads, variables))

        ctx = tf.distribute.get_replica_context()
        if not tf.distribute.has_strategy() or ctx is None:
            tf.cond(bad == 0, apply, lambda: None)
            self.skipped_steps.assign_add(tf.cast(bad > 0, tf.int64))
            return
        # All replicas must take the same branch: agree on the flag first.
        # The cond must run in the cross-replica context, because
        # apply_gradients calls merge_call, which a cond branch in a replica
        # context cannot (the pattern of Keras's LossScaleOptimizer).
        bad = ctx.all_reduce(tf.distribute.ReduceOp.SUM, bad)

        def cross_replica(strategy, grads, bad):
            ok = strategy.experimental_local_results(bad)[0] == 0

            def apply_all():
                strategy.extended.call_for_each_replica(
                    lambda g: optimizer.apply_gradients(zip(g, variables)), args=(grads,))

            tf.cond(ok, apply_all, lambda: None)

        ctx.merge_call(cross_replica, args=(grads, bad))
        self.skipped_steps.assign_add(tf.cast(bad > 0, tf.int64))

    def _discriminator_update(self, real, fake, labels=None):
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            terms = self.compute_discriminator_loss(real, tf.stop_gradient(fake), labels)
            loss = self._reduce(terms["d_loss"])
        self._apply(self.d_optimizer, loss, tape, variables)
        self.after_discriminator_update()
        return terms

    def discriminator_step(self, real, labels=None):
        """One D update on a real batch against fresh fakes; returns the terms."""
        self._check_compiled()
        batch = tf.shape(real)[0]
        fake = self.generate_for_training(self.sample_latents(batch), labels)
        return self._discriminator_update(real, fake, labels)

    def generator_step(self, batch_size, labels=None, real=None):
        """One G update on fresh latents; returns the terms."""
        self._check_compiled()
        variables = self.generator.trainable_variables
        z = self.sample_latents(batch_size)
        with tf.GradientTape() as tape:
            fake = self.generate_for_training(z, labels)
            terms = self.compute_generator_loss(fake, labels, real=real)
            loss = self._reduce(terms["g_loss"])
        self._apply(self.g_optimizer, loss, tape, variables)
        self.after_generator_update()
        return terms

    def update_ema(self):
        if self.generator_ema is None:
            return
        # Ramp the decay up as TF's ExponentialMovingAverage(num_updates) does:
        # early on, a 0.999 average would mostly remember the random init.
        n = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.ema_decay, (1.0 + n) / (10.0 + n))
        targets, values = [], []
        for ema_var, var in zip(self.generator_ema.weights, self.generator.weights):
            targets.append(ema_var)
            if var.trainable:
                values.append(decay * ema_var + (1.0 - decay) * var)
            else:  # moving statistics are copied, not averaged
                values.append(tf.identity(var))
        assign_variables(targets, values)

    def unpack_batch(self, data):
        """(images, labels or None) from a dataset element."""
        if isinstance(data, (tuple, list)):
            images = data[0]
            labels = data[1] if len(data) > 1 and self.num_classes is not None else None
        elif isinstance(data, dict):
            images, labels = data["images"], data.get("labels")
        else:
            images, labels = data, None
        return images, labels

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

    def train_step(self, data):
        real, labels = self.unpack_batch(data)
        self._draw_index = 0
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
            g_terms = self.compute_generator_loss(g_fake, labels, real=real)
            g_loss = self._reduce(g_terms["g_loss"])
        self._apply(self.g_optimizer, g_loss, g_tape, variables)
        self.after_generator_update()
        logs.update(g_terms)
        self.update_ema()
        self.rng_step.assign_add(1)
        return self._update_trackers(logs)

    def test_step(self, data):
        """Losses on a batch without updates (for `evaluate`/validation data)."""
        real, labels = self.unpack_batch(data)
        self._draw_index = 0
        fake = self.generate_for_training(self.sample_latents(tf.shape(real)[0]), labels)
        logs = dict(self.compute_discriminator_loss(real, fake, labels))
        logs.update(self.compute_generator_loss(fake, labels, real=real))
        return self._update_trackers(logs)

    def _update_trackers(self, logs):
        for name, tracker in self._trackers.items():
            if name in logs:
                value = tf.reduce_mean(tf.cast(logs[name], tf.float32))
                finite = tf.math.is_finite(value)
                # A skipped non-finite step must not poison the epoch's mean;
                # it shows in `skipped_steps` instead.
                tracker.update_state(tf.where(finite, value, 0.0),
                                     sample_weight=tf.cast(finite, tf.float32))
        results = {name: tracker.result() for name, tracker in self._trackers.items()}
        results["skipped_steps"] = self.skipped_steps
        return results

    @property
    def metrics(self):
        return list(self._trackers.values())

    def _check_compiled(self):
        if self.d_optimizer is None:
            raise RuntimeError(
                f"{type(self).__name__} is not compiled: call "
                "model.compile(d_optimizer=..., g_optimizer=..., loss=...) first."
            )

    def summary(self, *args, **kwargs):
        print(f"{type(self).__name__} (family {self.family!r}, latent_dim {self.latent_dim},"
              f" ema_decay {self.ema_decay})")
        self.generator.summary(*args, **kwargs)
        self.discriminator.summary(*args, **kwargs)
