"""DRAGAN (Kodali, Abernethy, Hays & Kira 2017, "On Convergence and Stability
of GANs", arXiv:1705.07215).

The minimax GAN plus a gradient penalty around the REAL data:
`lambda * (||grad_x D(x + delta)||_2 - 1)^2`, which keeps D from forming the
sharp gradients around real points that the paper links to mode collapse
(WGAN-GP penalizes on real-fake segments instead).

The perturbation follows the authors' reference implementation, which the
paper's "x + delta" abbreviates (see `keras_gans.losses.penalties.dragan_perturb`):
`delta = alpha * c * std(x) * u`, with `u ~ U[0, 1]` per element, one
`alpha ~ U[0, 1]` per example, `c = 0.5` (`perturbation_scale`) and `std(x)`
the standard deviation of all elements of the real batch. Under a
distribution strategy it is the std of the GLOBAL batch (all-reduced over the
replicas), so a step on N replicas equals the step on one device.

Defaults, from the paper and its reference code: lambda = 10, the
non-saturating GAN loss, one D step per G step, Adam(1e-4, beta_1=0.5,
beta_2=0.9) for both players.

No BatchNorm in the critic: the penalty is per example, and batch
normalization in training mode mixes the examples of a batch (the critic's
gradient at one point then depends on the others, and the penalty is no longer
the local one the paper analyzes). The DCGAN critic uses layer normalization
by default, as WGAN-GP does; the MLP critic has no normalization (as in the
reference code).
"""

import keras
import tensorflow as tf

from keras_gans.losses import penalties
from keras_gans.losses.reduction import global_std
from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, non_negative, positive


@register_family("dragan")
class DRAGAN(ConfigurableGAN):
    """GAN with a gradient penalty around perturbed real data (Kodali et al. 2017).

    Args:
        data_shape, latent_dim, architecture, width, generator_options,
            discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`. The DCGAN critic uses layer
            normalization by default (no BatchNorm).

    `compile` defaults: `loss="non_saturating"` (or `"minimax"`),
    `d_steps=1`, `penalty_weight=10.0`, `perturbation_scale=0.5`,
    Adam(1e-4, beta_1=0.5, beta_2=0.9). The penalty is logged (unweighted)
    as `d_penalty`.

    Example:

    >>> gan = DRAGAN(data_shape=(2,), latent_dim=4, width=8)
    >>> gan.compile()  # lambda = 10, c = 0.5
    >>> gan.penalty_weight, gan.perturbation_scale
    (10.0, 0.5)
    """

    default_discriminator_options = {"dcgan": {"normalization": "layer"}}
    options = (
        Option("penalty_weight", 10.0, "lambda, the weight of the penalty in d_loss",
               check=non_negative),
        Option("perturbation_scale", 0.5, "c in delta = alpha * c * std(x) * u",
               check=positive),
    )

    def default_optimizers(self):
        return (keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9),
                keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9))

    def extra_metric_names(self):
        return ("d_penalty",)

    def compute_discriminator_loss(self, real, fake, labels=None):
        terms = super().compute_discriminator_loss(real, fake, labels)
        real = tf.convert_to_tensor(real)
        noise = self.random_uniform(tf.shape(real), dtype=real.dtype)
        alpha = self.random_uniform(penalties.interpolation_shape(real), dtype=real.dtype)
        delta = penalties.dragan_perturb(real, noise, alpha, scale=self.perturbation_scale,
                                         std=global_std(real))

        def critic(x):
            return self.discriminate(x, labels, training=True)

        penalty = penalties.dragan_penalty(critic, real, delta)
        terms["d_loss"] = terms["d_loss"] + self.penalty_weight * penalty
        terms["d_penalty"] = penalty
        return terms
