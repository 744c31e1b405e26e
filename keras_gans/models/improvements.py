"""The "Improved Techniques for Training GANs" (Salimans, Goodfellow, Zaremba,
Cheung, Radford & Chen 2016, NeurIPS 2016, arXiv:1606.03498) as options.

Any family built on `ConfigurableGAN` can switch these on by putting
`ImprovedTechniques` first in its bases (`ImprovedGAN` below is a
non-saturating GAN that does so):

* minibatch discrimination (paper Sec. 3.2): `discriminator_options=
  {"minibatch_discrimination": {"num_kernels": 100, "kernel_dim": 5}}` (or
  `True` for these defaults, the authors' code's) inserts a
  `MinibatchDiscrimination` layer before D's output layer;
* the minibatch standard deviation (Karras et al. 2018, a simplified
  minibatch discrimination): `discriminator_options={"minibatch_std": 4}`
  (the group size) appends the average standard deviation of D's
  penultimate features, reusing `keras_gans.layers.minibatch_std` (on the
  flattened features: the same statistic as on feature maps, appended as one
  feature instead of one map);
* feature matching (Sec. 3.1): `compile(feature_matching=True)` replaces G's
  loss by ||E f(x) - E f(G(z))||^2, f = the input of D's output layer (or
  the output of the layer named `compile(feature_layer=...)`); the means are
  over the GLOBAL batch (replica sums are all-reduced), so the loss is the
  same on 1 or N replicas;
* one-sided label smoothing (Sec. 3.4): an option of the sigmoid losses,
  `compile(loss=keras_gans.losses.AdversarialLoss("non_saturating",
  label_smoothing=0.1))` (real targets 0.9, fake targets 0);
* historical averaging (Sec. 3.3): `d_historical_weight` /
  `g_historical_weight` (constructor) add lambda * ||theta - mean of past
  theta||^2 to a player's loss. The running mean of each weight (the initial
  value included) is a non-trainable model variable, updated after every
  update of that player with `assign_variables` from the synchronized
  weights, hence identical on all replicas and saved in checkpoints.

Per-batch terms: the historical-averaging penalty is one value per step,
identical on every replica; it is added to the per-example loss (broadcast),
which the base reduces to mean(loss) + penalty exactly (sum / global batch
over all examples). Feature matching is a rank-0 loss, reduced by the base
with `reduce_batch_scalar`; with global-batch means that gives the gradient of
the global loss (the gradient of an all-reduce is the all-reduce of the
upstream gradients).
"""

import math

import keras
import tensorflow as tf

from keras_gans.losses.reduction import gather_global_batch
from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.base import assign_variables
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, boolean
from keras_gans.losses.feature_matching import feature_matching_loss


@keras.saving.register_keras_serializable(package="keras_gans")
class MinibatchDiscrimination(keras.layers.Layer):
    """Minibatch discrimination (Salimans et al. 2016, Sec. 3.2).

    For features f(x_i) in R^A, a learned tensor T in R^{A x B x C} gives
    M_i = f(x_i) T in R^{B x C}. For each of the B kernels,

        c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1),
        o(x_i)_b = sum_j c_b(x_i, x_j),

    and the layer outputs [f(x_i), o(x_i)] (A + B features). The sum runs over
    the whole batch, x_i itself included (the paper's formula; its term is
    exp(0) = 1); `include_self=False` drops it, as the authors' code does.
    Inputs with more than two axes are flattened first.

    Memory: the pairwise distances are a [N, N, B, C] tensor (N = batch).
    Under a distribution strategy the sum over j runs over the GLOBAL batch
    (M is all-gathered across replicas), as on one device.

    Args:
        num_kernels: B (the authors' code: 100).
        kernel_dim: C (the authors' code: 5).
        include_self: whether o(x_i) counts x_i itself.
        kernel_initializer: initializer of T (the authors' code: N(0, 0.05)).

    Example:

    >>> layer = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
    >>> tuple(layer(np.zeros((4, 5), "float32")).shape)
    (4, 8)
    """

    def __init__(self, num_kernels=100, kernel_dim=5, include_self=True,
                 kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        if int(num_kernels) < 1 or int(kernel_dim) < 1:
            raise ValueError(
                f"num_kernels and kernel_dim must be positive; got {num_kernels}, {kernel_dim}.")
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)
        self.include_self = bool(include_self)
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or keras.initializers.RandomNormal(stddev=0.05))

    def build(self, input_shape):
        features = math.prod(input_shape[1:])
        self.kernel = self.add_weight(
            shape=(features, self.num_kernels * self.kernel_dim),
            initializer=self.kernel_initializer, name="kernel")

    def call(self, inputs):
        x = keras.ops.reshape(inputs, (keras.ops.shape(inputs)[0], -1))
        m = keras.ops.matmul(x, self.kernel)
        m = keras.ops.reshape(m, (-1, self.num_kernels, self.kernel_dim))
        # Every replica compares its rows with the whole global batch:
        # [n, 1, B, C] - [1, N, B, C] -> L1 over C -> [n, N, B]
        others = gather_global_batch(m)
        l1 = keras.ops.sum(keras.ops.abs(m[:, None] - others[None, :]), axis=-1)
        o = keras.ops.sum(keras.ops.exp(-l1), axis=1)
        if not self.include_self:
            o = o - 1.0
        return keras.ops.concatenate([x, keras.ops.cast(o, x.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], math.prod(input_shape[1:]) + self.num_kernels)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels,
                "kernel_dim": self.kernel_dim, "include_self": self.include_self,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


def add_minibatch_features(discriminator, minibatch_discrimination=None, minibatch_std=None):
    """Rebuilds a single-output functional D with minibatch features before its last layer.

    Args:
        discriminator: a functional `keras.Model` whose last layer maps the
            penultimate features to the logits (as the shared builders do).
        minibatch_discrimination: None/False, True, or a dict of
            `MinibatchDiscrimination` arguments.
        minibatch_std: None or the group size of
            `keras_gans.layers.minibatch_std.ConsecutiveMinibatchStd`.

    Returns:
        A new model sharing every layer but the output layer, which is
        re-created from its config (its input size changes).
    """
    if not minibatch_discrimination and not minibatch_std:
        return discriminator
    if len(discriminator.outputs) != 1:
        raise ValueError(
            "Minibatch features need a discriminator with one output (logits); "
            f"{discriminator.name} has {len(discriminator.outputs)}."
        )
    last = discriminator.layers[-1]
    features = last.input
    if len(features.shape) != 2:
        raise ValueError(
            f"The input of {discriminator.name}'s output layer must be a [batch, features] "
            f"tensor; got shape {features.shape}."
        )
    x = features
    if minibatch_std:
        # Consecutive groups: the same statistic on any number of replicas.
        from keras_gans.layers.minibatch_std import ConsecutiveMinibatchStd

        width = int(x.shape[-1])
        # The layer works on feature maps; a 1x1 map of all features gives the
        # same statistic (std over the group, averaged over all features).
        x = keras.layers.Reshape((1, 1, width), name="mbstd_to_map")(x)
        x = ConsecutiveMinibatchStd(group_size=int(minibatch_std), name="minibatch_std")(x)
        x = keras.layers.Flatten(name="mbstd_flatten")(x)
    if minibatch_discrimination:
        options = {} if minibatch_discrimination is True else dict(minibatch_discrimination)
        x = MinibatchDiscrimination(name="minibatch_discrimination", **options)(x)
    output_layer = type(last).from_config(last.get_config())
    logits = output_layer(x)
    inputs = discriminator.inputs
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs, logits,
                       name=discriminator.name)


class _Holder:
    """Keeps a helper model out of Keras's attribute tracking (it shares D's
    layers; tracking it would save D's weights twice)."""

    def __init__(self):
        self.value = None
        self.key = None


class ImprovedTechniques:
    """Mixin adding Salimans et al. (2016)'s techniques to a `ConfigurableGAN` family.

    Put it first in the bases: `class MyGAN(ImprovedTechniques, LSGAN)`.

    Constructor arguments (besides the family's):
        d_historical_weight, g_historical_weight: lambda of historical
            averaging for D and G (0 = off).

    `discriminator_options` keys: `minibatch_discrimination`, `minibatch_std`.
    `compile` keys: `feature_matching` (bool), `feature_layer` (a D layer
    name; default: the input of D's output layer).

    Logs `d_hist` / `g_hist` (the penalties) when historical averaging is on.
    """

    _TRICK_OPTIONS = ("minibatch_discrimination", "minibatch_std")

    def __init__(self, *args, d_historical_weight=0.0, g_historical_weight=0.0, **kwargs):
        self.d_historical_weight = float(d_historical_weight)
        self.g_historical_weight = float(g_historical_weight)
        if self.d_historical_weight < 0 or self.g_historical_weight < 0:
            raise ValueError("Historical averaging weights must be >= 0.")
        super().__init__(*args, **kwargs)
        self._feature_model = _Holder()
        self._d_history = self._make_history("d", self.d_historical_weight,
                                             self.discriminator)
        self._g_history = self._make_history("g", self.g_historical_weight, self.generator)

    def _make_history(self, prefix, weight, network):
        if not weight:
            return None
        averages = [keras.Variable(tf.convert_to_tensor(v), trainable=False,
                                   name=f"{prefix}_hist_avg_{i}",
                                   aggregation="only_first_replica")
                    for i, v in enumerate(network.trainable_variables)]
        # How many parameter values the average holds (the initial one).
        count = keras.Variable(1.0, trainable=False, name=f"{prefix}_hist_count",
                               aggregation="only_first_replica")
        return averages, count

    # ------------------------------------------------------------------ config
    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        d_opts = dict(d_opts)
        tricks = {k: d_opts.pop(k) for k in self._TRICK_OPTIONS if k in d_opts}
        generator, discriminator = super().build_networks(
            architecture, data_shape, latent_dim, width, g_opts, d_opts)
        return generator, add_minibatch_features(discriminator, **tricks)

    def family_config(self):
        return {**super().family_config(), "d_historical_weight": self.d_historical_weight,
                "g_historical_weight": self.g_historical_weight}

    def extra_metric_names(self):
        names = tuple(super().extra_metric_names())
        if self.d_historical_weight:
            names += ("d_hist",)
        if self.g_historical_weight:
            names += ("g_hist",)
        return names

    options = (
        Option("feature_matching", False,
               "G matches D's mean features on real data instead of fooling D (Salimans "
               "et al. 2016, section 3.1)", check=boolean),
        Option("feature_layer", None,
               "name of D's layer whose output feature matching compares; default: the "
               "input of D's last layer"),
    )

    def configure(self):
        if self.feature_layer is not None:
            try:
                self.discriminator.get_layer(self.feature_layer)
            except ValueError:
                names = [layer.name for layer in self.discriminator.layers]
                raise ValueError(
                    f"feature_layer={self.feature_layer!r} is not a layer of the "
                    f"discriminator; its layers: {names}.") from None
    # -------------------------------------------------------- feature matching
    def discriminator_features(self, images, labels=None, training=True):
        """The features feature matching compares: [batch, ...]."""
        holder = self._feature_model
        if holder.value is None or holder.key != self.feature_layer:
            disc = self.discriminator
            if self.feature_layer is None:
                tensor = disc.layers[-1].input
            else:
                tensor = disc.get_layer(self.feature_layer).output
            inputs = disc.inputs[0] if len(disc.inputs) == 1 else disc.inputs
            holder.value = keras.Model(inputs, tensor, name="discriminator_features")
            holder.key = self.feature_layer
        inputs = images if labels is None or self.num_classes is None else [images, labels]
        return holder.value(inputs, training=training)

    def compute_generator_loss(self, fake, labels=None, real=None):
        if self.feature_matching:
            if real is None:
                raise ValueError("Feature matching needs the real batch (real=...).")
            real_features = tf.stop_gradient(self.discriminator_features(real, labels))
            fake_features = self.discriminator_features(fake, labels)
            terms = {"g_loss": feature_matching_loss(real_features, fake_features)}
        else:
            terms = dict(super().compute_generator_loss(fake, labels, real=real))
        if self._g_history is not None:
            penalty = self.g_historical_weight * self._history_distance(
                self.generator, self._g_history)
            terms["g_loss"] = terms["g_loss"] + penalty
            terms["g_hist"] = penalty
        return terms

    # ---------------------------------------------------- historical averaging
    @staticmethod
    def _history_distance(network, history):
        averages, _ = history
        return tf.add_n([tf.reduce_sum(tf.square(tf.convert_to_tensor(v) - a))
                         for v, a in zip(network.trainable_variables, averages)])

    @staticmethod
    def _update_history(network, history):
        averages, count = history
        new_count = tf.convert_to_tensor(count) + 1.0
        values = [a + (tf.convert_to_tensor(v) - a) / new_count
                  for v, a in zip(network.trainable_variables, averages)]
        assign_variables(list(averages) + [count], values + [new_count])

    def compute_discriminator_loss(self, real, fake, labels=None):
        terms = dict(super().compute_discriminator_loss(real, fake, labels))
        if self._d_history is not None:
            penalty = self.d_historical_weight * self._history_distance(
                self.discriminator, self._d_history)
            # Broadcast over the batch: reduces to mean(d_loss) + penalty.
            terms["d_loss"] = terms["d_loss"] + penalty
            terms["d_hist"] = penalty
        return terms

    def after_discriminator_update(self):
        super().after_discriminator_update()
        if self._d_history is not None:
            self._update_history(self.discriminator, self._d_history)

    def after_generator_update(self):
        super().after_generator_update()
        if self._g_history is not None:
            self._update_history(self.generator, self._g_history)


@register_family("improved_gan")
class ImprovedGAN(ImprovedTechniques, ConfigurableGAN):
    """A non-saturating GAN with Salimans et al. (2016)'s techniques.

    Minibatch discrimination is on by default (100 kernels of 5 dimensions,
    the authors' code); pass `discriminator_options={"minibatch_discrimination":
    False}` to turn it off. Everything else is opt-in: see `ImprovedTechniques`.

    Example:

    >>> gan = ImprovedGAN(data_shape=(2,), latent_dim=4, width=8,
    ...                   d_historical_weight=1e-3)
    >>> gan.compile(feature_matching=True)
    >>> gan.generate(gan.latents(2)).shape
    (2, 2)
    """

    default_discriminator_options = {
        "mlp": {"minibatch_discrimination": True},
        "dcgan": {"minibatch_discrimination": True},
    }
