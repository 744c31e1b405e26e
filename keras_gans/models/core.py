"""`AdversarialModel`: what every adversarial model of the zoo shares.

The sampling `GAN` (`keras_gans.models.base`) and the translation models
(`keras_gans.models.translation`) both build on it. It owns what is easy to get
wrong and must be right once:

* Per-example losses are reduced in ONE place (`reduce`), dividing by the
  global batch size, so a step under `tf.distribute` with N replicas applies
  the same update as one device on the same global batch.
* Updates go through `apply_gradients`, which skips (in-graph, on every replica
  alike) any update whose gradients are not all finite and counts it.
* Logged values come from `keras.metrics.Mean` trackers fed the unscaled values
  (Keras averages `train_step` outputs over replicas, which would show
  replica-scaled losses divided by N).
* Noise comes from replica-exact stateless streams (`RandomStreams`) whose step
  counter is a saved variable, so a resumed run continues the same sequence.
* Compile options are declared once (`options`, see `keras_gans.models.options`)
  and the optimizers are rebuilt by `compile_from_config`, so a `.keras` file
  restores every option and both optimizers' iterations and slots (plain Keras
  warns and drops them).
"""

import keras
import tensorflow as tf

from keras_gans import mixed_precision
from keras_gans.losses.reduction import reduce_batch_scalar, reduce_per_example
from keras_gans.models.options import Option, boolean, declared_options, options_table
from keras_gans.models.randomness import RandomStreams, assign_variables
from keras_gans.utils.tracing import release_custom_gradients

def _precision_option(value):
    return mixed_precision.precision_name(value)


# Keras's own compile arguments that pass through unchanged.
_KERAS_COMPILE_ARGS = ("steps_per_execution", "run_eagerly")


class AdversarialModel(RandomStreams, keras.Model):
    """Base of the zoo's adversarial models: optimizers, options, reduction, updates.

    Subclasses define:

    * `optimizer_names`: the compile arguments naming optimizers, e.g.
      `("d_optimizer", "g_optimizer")`, and `optimizer_variables(name)`, the
      variables each one updates;
    * `default_optimizers()`: one optimizer per name, used when compile gets none;
    * `options`: their compile `Option`s (inherited ones may be re-declared to
      change a default);
    * `base_metric_names` and `extra_metric_names()`: the log keys.

    Args:
        seed: seed of the noise streams.

    Example:

    >>> class Tiny(AdversarialModel):  # doctest: +SKIP
    ...     optimizer_names = ("d_optimizer", "g_optimizer")
    """

    #: Compile arguments that name optimizers, in `default_optimizers` order.
    optimizer_names = ("d_optimizer", "g_optimizer")
    #: Log keys every instance reports; subclasses add theirs via `extra_metric_names`.
    base_metric_names = ()
    options = (
        Option("skip_nonfinite", True,
               "skip (in-graph) any update whose gradients are not all finite; counted "
               "in the `skipped_steps` log", check=boolean),
        Option("mixed_precision", None,
               "compute precision of the networks: None (as built, e.g. under a global "
               "Keras policy), 'float32', 'bfloat16' or 'float16' (loss-scaled); variables, "
               "losses, penalties and logs stay float32 (keras_gans.mixed_precision)",
               check=_precision_option),
    )

    def __init__(self, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.seed = int(seed)
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
        self._trackers = {}
        for name in self.optimizer_names:
            setattr(self, name, None)
        for opt in declared_options(type(self)).values():
            setattr(self, opt.attr, opt.convert(opt.initial()))

    # ----------------------------------------------------------------- logs
    def create_trackers(self):
        """Creates one `Mean` tracker per log key. Subclasses call it at the end
        of their constructor, once everything `extra_metric_names` reads is set."""
        self._trackers = {
            name: keras.metrics.Mean(name=name) for name in self.metric_names()
        }

    def metric_names(self):
        return tuple(self.base_metric_names) + tuple(self.extra_metric_names())

    def extra_metric_names(self):
        """Log keys a family adds (e.g. `("d_gp",)`)."""
        return ()

    def update_trackers(self, logs):
        """Feeds the logged values of a step to the trackers; returns the logs."""
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

    # -------------------------------------------------------------- compile
    @classmethod
    def compile_options_doc(cls):
        """The family's compile options as a Markdown table (for the docs)."""
        return options_table(cls)

    def make_train_function(self, force=False):
        # Each traced step would otherwise stay in memory for good (see
        # keras_gans.utils.tracing): Keras's optimizer all-reduces through a
        # graph-mode `tf.custom_gradient`.
        super().make_train_function(force)
        self.train_function = release_custom_gradients(self.train_function)
        return self.train_function

    def make_test_function(self, force=False):
        super().make_test_function(force)
        self.test_function = release_custom_gradients(self.test_function)
        return self.test_function

    def compile(self, jit_compile=False, **kwargs):
        """Configures training: optimizers (see `optimizer_names`) and options.

        Every declared `Option` of the family may be passed by name (see
        `compile_options_doc()`); unknown names are refused. Optimizers are
        instances, names or configs; default: `default_optimizers()`.

        Args:
            jit_compile: compile `train_step` with XLA. On CPU it helps large
                convolutions and can slow small models: measure per model.
            **kwargs: the optimizers, the family's options, and Keras's
                `steps_per_execution`, `run_eagerly`.
        """
        keras_kwargs = {k: kwargs.pop(k) for k in _KERAS_COMPILE_ARGS if k in kwargs}
        optimizers = {name: kwargs.pop(name, None) for name in self.optimizer_names}
        declared = declared_options(type(self))
        unknown = sorted(set(kwargs) - set(declared))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}.compile got unknown arguments {unknown}; its options "
                f"are {sorted(declared)} and {list(self.optimizer_names)}.")
        for opt in declared.values():
            value = kwargs[opt.name] if opt.name in kwargs else opt.initial()
            setattr(self, opt.attr, opt.convert(value))
        self.apply_mixed_precision()
        defaults = self.default_optimizers()
        built = []
        for name, default in zip(self.optimizer_names, defaults):
            optimizer = keras.optimizers.get(optimizers[name] or default)
            # float16 gradients underflow without loss scaling.
            optimizer = mixed_precision.scaled_optimizer(optimizer, self.mixed_precision)
            if any(optimizer is other for other in built):
                count = {2: "two", 3: "three", 4: "four"}.get(len(self.optimizer_names),
                                                              len(self.optimizer_names))
                raise ValueError(
                    f"{' and '.join(self.optimizer_names)} must be {count} optimizer "
                    "instances: one optimizer's slots cannot serve two networks.")
            built.append(optimizer)
            setattr(self, name, optimizer)
        # The Keras optimizer slot stays empty: the optimizers live on the model
        # under their own names and are saved and restored as such.
        super().compile(optimizer=None, jit_compile=jit_compile, **keras_kwargs)
        self.build_optimizers()
        self.configure()

    def apply_mixed_precision(self):
        """Sets the networks to the `mixed_precision` option, or (None) reads the
        precision they were built with; the resolved value is what `.keras`
        files save, so a loaded model computes as the saved one did."""
        if self.mixed_precision is None:
            self.mixed_precision = mixed_precision.precision_of(self)
        else:
            mixed_precision.precision_of(self)  # refuses 16-bit variables
            mixed_precision.set_precision([self], self.mixed_precision)

    def configure(self):
        """Called at the end of `compile`, options set and optimizers built:
        validate them against the networks or derive state from them. Raise
        `ValueError` to refuse."""

    def default_optimizers(self):
        """One optimizer per `optimizer_names` entry, used when compile gets none."""
        return tuple(keras.optimizers.Adam(2e-4, beta_1=0.5) for _ in self.optimizer_names)

    def optimizer_variables(self, name):
        """The variables the optimizer `name` updates."""
        raise NotImplementedError(f"{type(self).__name__} must define optimizer_variables.")

    def build_optimizers(self):
        # Build now, inside the model's strategy scope: optimizers built lazily
        # in the replicated step fail under MirroredStrategy.
        with self.distribute_strategy.scope():
            for name in self.optimizer_names:
                optimizer = getattr(self, name)
                if not optimizer.built:
                    optimizer.build(self.optimizer_variables(name))

    def declared_option_values(self):
        """The saved values of the declared options, `{name: value}`."""
        out = {}
        for opt in declared_options(type(self)).values():
            if opt.saved:
                value = getattr(self, opt.attr)
                out[opt.name] = value.get_config() if hasattr(value, "get_config") else value
        return out

    def compile_options(self):
        """Deprecated: declare `options` instead. Extra saved compile values."""
        return {}

    def get_compile_config(self):
        if getattr(self, self.optimizer_names[0]) is None:
            return None
        config = {name: keras.saving.serialize_keras_object(getattr(self, name))
                  for name in self.optimizer_names}
        config["jit_compile"] = bool(self.jit_compile)
        config.update(self.declared_option_values())
        config.update(self.compile_options())
        return config

    def compile_from_config(self, config):
        config = dict(config)
        for name in self.optimizer_names:
            if name in config:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        self.compile(**config)

    def check_compiled(self):
        if getattr(self, self.optimizer_names[0]) is None:
            raise RuntimeError(
                f"{type(self).__name__} is not compiled: call model.compile(...) first "
                f"(optimizers default to the paper's: {', '.join(self.optimizer_names)}).")

    # -------------------------------------------------------------- updates
    def reduce(self, value):
        """The scalar to differentiate: per-example terms summed over the
        GLOBAL batch and divided by its size; per-batch scalars divided by the
        number of replicas (so the summed gradient counts them once)."""
        # In float32: 16-bit sums over a batch lose the small terms (and
        # float16 overflows); the gradients flow back through the cast.
        value = mixed_precision.to_float32(value)
        if value.shape.rank == 0:
            return reduce_batch_scalar(value)
        return reduce_per_example(value)

    def apply_gradients(self, optimizer, loss, tape, variables):
        """Applies the gradients of `loss` (from `tape`), skipping non-finite updates.

        A skipped update leaves the weights and the optimizer's state (slots,
        iterations) untouched. BatchNorm moving statistics are updated by the
        forward pass itself, so a batch with NaN inputs still turns D's moving
        statistics into NaN; they are unused in training (D runs in training
        mode) and never exported, and `NonFiniteGuard` stops the run.

        Families may override it to transform the gradients (ProGAN fills the
        missing gradients of inactive levels with zeros) and then call
        `super().apply_gradients`.
        """
        if mixed_precision.is_loss_scaled(optimizer):
            # float16: gradients of loss * scale (the scale as the upstream
            # gradient: the tape is closed); the optimizer divides it out.
            grads = tape.gradient(loss, variables, output_gradients=tf.cast(
                optimizer.dynamic_scale, tf.convert_to_tensor(loss).dtype))
        else:
            grads = tape.gradient(loss, variables)
        self.apply_gradient_list(optimizer, grads, variables)

    def apply_gradient_list(self, optimizer, grads, variables):
        """`apply_gradients` for gradients already computed."""
        if not self.skip_nonfinite:
            optimizer.apply_gradients(zip(grads, variables))
            return
        bad = tf.add_n([tf.reduce_sum(tf.cast(~tf.math.is_finite(g), tf.int32))
                        for g in grads if g is not None])

        def apply():
            optimizer.apply_gradients(zip(grads, variables))

        def skip():
            # A loss-scaled (float16) step overflowed: halve the scale.
            mixed_precision.shrink_loss_scale(optimizer)

        ctx = tf.distribute.get_replica_context()
        if not tf.distribute.has_strategy() or ctx is None:
            tf.cond(bad == 0, apply, skip)
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

            tf.cond(ok, apply_all, skip)

        ctx.merge_call(cross_replica, args=(grads, bad))
        self.skipped_steps.assign_add(tf.cast(bad > 0, tf.int64))

    def update_moving_average(self, average, source, decay, iterations, rampup=True):
        """EMA of `source`'s weights into `average` (moving statistics copied).

        With `rampup`, the decay ramps up as min(decay, (1 + n) / (10 + n))
        over the first `iterations` n, as TF's ExponentialMovingAverage
        (num_updates) does: early on, a 0.999 average would mostly remember the
        random init.
        """
        n = tf.cast(iterations, tf.float32)
        decay = tf.minimum(decay, (1.0 + n) / (10.0 + n)) if rampup else tf.constant(
            decay, tf.float32)
        targets, values = [], []
        for ema_var, var in zip(average.weights, source.weights):
            targets.append(ema_var)
            if var.trainable:
                values.append(decay * ema_var + (1.0 - decay) * var)
            else:
                values.append(tf.identity(var))
        assign_variables(targets, values)
