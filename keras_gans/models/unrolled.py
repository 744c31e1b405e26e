"""Unrolled GAN (Metz, Poole, Pfau & Sohl-Dickstein 2017, "Unrolled Generative
Adversarial Networks", ICLR 2017, arXiv:1611.02163).

The generator is trained against a discriminator "looking ahead" K steps:
with theta_D^0 = D's current weights and

    theta_D^{k+1} = theta_D^k + update(grad of D's loss at theta_D^k),

G minimizes f(theta_G, theta_D^K(theta_G)) and the gradient flows THROUGH the
K updates (theta_D^K depends on theta_G through the fakes in D's loss). The
second-order term tells G how D would react to its move, which discourages
G from hopping between modes. D itself is trained normally: the unrolled
weights are tensors that are thrown away after the G step; D's variables
are never assigned by the unrolling.

How the unrolling is computed here:

* functionally: D's trainable weights are read into tensors and every step
  calls D with `keras.Model.stateless_call(weights, non_trainable, x)`, so
  nothing is assigned; an inner `tf.GradientTape` takes D's gradient, and the
  outer (generator) tape records it, giving the second-order term;
* `unroll_optimizer="adam"` (default) unrolls Adam the way the paper unrolls
  the optimizer: it starts from the D optimizer's CURRENT moment estimates
  and step count and applies Adam's update rule (the authors' demo notebook
  also unrolls Adam with its state). This reads the slots of
  `keras.optimizers.Adam` (`_momentums`, `_velocities`); D's optimizer must
  be a plain Adam (no amsgrad, no weight decay; gradient clipping options
  are not unrolled). The square root of the second moment is taken as
  sqrt(v + 1e-30): its derivative at v = 0 (a weight whose gradient has
  always been 0) would be infinite and make 0 * inf = NaN;
* `unroll_optimizer="sgd"`: plain gradient steps theta - lr * grad, the
  common practical simplification, for any D optimizer;
* the learning rate is D's current one unless `unroll_learning_rate` is set;
* every unrolled step uses the same real batch and the same fakes (the demo
  does the same) and D's loss is the compiled adversarial loss; D's
  non-trainable state (BatchNorm statistics) is not advanced;
* under `tf.distribute`, each step's gradient is the global-batch gradient
  (replicas' gradients are all-reduced, a differentiable collective), so
  every replica unrolls the same weights, like D's real update.

Defaults: K = 5 unrolling steps (the authors' demo notebook for the 2-D
mixture; the paper compares 0 to 10), D Adam(1e-4, beta_1=0.5), G
Adam(1e-3, beta_1=0.5), epsilon 1e-8 (the demo's hyperparameters). For
vectors the networks are the shared MLPs (the demo uses 2 hidden layers of
128 units in both); for images the DCGAN networks. Cost: each G step runs
K + 1 extra D forward passes and K second-order backward passes.
"""

import keras
import tensorflow as tf

from keras_gans.losses.reduction import global_sum
from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, non_negative_int, one_of, optional_positive

UNROLL_OPTIMIZERS = ("adam", "sgd")
# Inside sqrt(v): keeps the derivative finite where v == 0; ~1e-15 next to
# Adam's epsilon of 1e-8 changes no update measurably.
_SQRT_FLOOR = 1e-30


def _adam_slots(optimizer, variables):
    """(momentums, velocities) of `variables` in a built `keras.optimizers.Adam`."""
    try:
        idx = [optimizer._get_variable_index(v) for v in variables]
        return ([optimizer._momentums[i] for i in idx],
                [optimizer._velocities[i] for i in idx])
    except (AttributeError, KeyError) as e:  # a Keras without these internals
        raise RuntimeError(
            "Cannot read the Adam slots of the discriminator's optimizer to unroll it "
            f"({e!r}); compile with unroll_optimizer='sgd'."
        ) from e


@register_family("unrolled")
class UnrolledGAN(ConfigurableGAN):
    """A GAN whose generator differentiates through K unrolled D updates.

    Args:
        data_shape: (H, W, C) for images, (D,) for vectors.
        latent_dim: size of z (the authors' 2-D demo: 256).
        architecture: "dcgan" for images, "mlp" for vectors by default.
        width: base width of both networks.
        generator_options, discriminator_options: builder options.
        ema_decay, seed: see `keras_gans.models.GAN`.

    `compile` takes, besides the optimizers, `loss` and `d_steps`:
    `unroll_steps` (K, 5; 0 is a plain GAN), `unroll_optimizer` ("adam" or
    "sgd") and `unroll_learning_rate` (default: D's learning rate).

    Example:

    >>> gan = UnrolledGAN(data_shape=(2,), latent_dim=4, width=8)
    >>> gan.compile(unroll_steps=3, unroll_optimizer="sgd")
    >>> gan.generate(gan.latents(2)).shape
    (2, 2)
    """

    default_architecture = "dcgan"

    options = (
        Option("unroll_steps", 5, "K, differentiable D updates G looks ahead through",
               check=non_negative_int),
        Option("unroll_optimizer", "adam",
               "how the look-ahead updates D: 'adam' (D's own optimizer, unrolled) or 'sgd'",
               check=one_of(*UNROLL_OPTIMIZERS)),
        Option("unroll_learning_rate", None,
               "learning rate of the look-ahead; default: D's optimizer's",
               check=optional_positive),
    )

    def configure(self):
        if self.unroll_optimizer == "adam":
            opt = self.d_optimizer
            if (not isinstance(opt, keras.optimizers.Adam) or opt.amsgrad
                    or getattr(opt, "weight_decay", None)):
                raise ValueError(
                    "unroll_optimizer='adam' unrolls the discriminator's optimizer, which "
                    f"must then be a keras.optimizers.Adam without amsgrad or weight decay; "
                    f"got {type(opt).__name__}. Pass unroll_optimizer='sgd'."
                )
            _adam_slots(opt, self.discriminator.trainable_variables)

    def default_optimizers(self):
        return (keras.optimizers.Adam(1e-4, beta_1=0.5, epsilon=1e-8),
                keras.optimizers.Adam(1e-3, beta_1=0.5, epsilon=1e-8))

    # --------------------------------------------------------------- unrolling
    def _d_inputs(self, images, labels):
        return images if labels is None or self.num_classes is None else [images, labels]

    def _learning_rate(self, dtype):
        if self.unroll_learning_rate is not None:
            return tf.constant(self.unroll_learning_rate, dtype)
        return tf.cast(tf.convert_to_tensor(self.d_optimizer.learning_rate), dtype)

    def unrolled_discriminator_weights(self, real, fake, labels=None, steps=None):
        """D's trainable weights after `steps` (default K) differentiable updates.

        Returns a list of tensors matching `discriminator.trainable_variables`;
        D's variables are left unchanged.
        """
        steps = self.unroll_steps if steps is None else int(steps)
        disc = self.discriminator
        variables = disc.trainable_variables
        weights = [tf.convert_to_tensor(v) for v in variables]
        non_trainable = [tf.convert_to_tensor(v) for v in disc.non_trainable_variables]
        if steps == 0:
            return weights
        real_in, fake_in = self._d_inputs(real, labels), self._d_inputs(fake, labels)
        lr = self._learning_rate(weights[0].dtype)
        if self.unroll_optimizer == "adam":
            opt = self.d_optimizer
            momentums, velocities = _adam_slots(opt, variables)
            m = [tf.convert_to_tensor(s) for s in momentums]
            v = [tf.convert_to_tensor(s) for s in velocities]
            t0 = tf.cast(opt.iterations, weights[0].dtype)
            beta_1, beta_2 = float(opt.beta_1), float(opt.beta_2)
            epsilon = float(opt.epsilon)
        for step in range(steps):
            with tf.GradientTape() as inner:
                inner.watch(weights)
                real_logits, _ = disc.stateless_call(weights, non_trainable, real_in,
                                                     training=True)
                fake_logits, _ = disc.stateless_call(weights, non_trainable, fake_in,
                                                     training=True)
                loss = self.reduce(
                    self.adversarial_loss.discriminator_loss(real_logits, fake_logits))
            grads = global_sum(inner.gradient(loss, weights))
            grads = [tf.zeros_like(w) if g is None else g for w, g in zip(weights, grads)]
            if self.unroll_optimizer == "sgd":
                weights = [w - lr * g for w, g in zip(weights, grads)]
                continue
            t = t0 + float(step + 1)
            alpha = lr * tf.sqrt(1.0 - beta_2 ** t) / (1.0 - beta_1 ** t)
            m = [beta_1 * mi + (1.0 - beta_1) * g for mi, g in zip(m, grads)]
            v = [beta_2 * vi + (1.0 - beta_2) * tf.square(g) for vi, g in zip(v, grads)]
            weights = [w - alpha * mi / (tf.sqrt(vi + _SQRT_FLOOR) + epsilon)
                       for w, mi, vi in zip(weights, m, v)]
        return weights

    def compute_generator_loss(self, fake, labels=None, real=None):
        if self.unroll_steps == 0 or real is None:
            # No real batch (e.g. a direct call without one): the plain G loss.
            return super().compute_generator_loss(fake, labels, real=real)
        weights = self.unrolled_discriminator_weights(real, fake, labels)
        non_trainable = [tf.convert_to_tensor(v)
                         for v in self.discriminator.non_trainable_variables]
        fake_logits, _ = self.discriminator.stateless_call(
            weights, non_trainable, self._d_inputs(fake, labels), training=True)
        return {"g_loss": self.adversarial_loss.generator_loss(fake_logits)}
