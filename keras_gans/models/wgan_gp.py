"""WGAN-GP and WGAN-LP: Wasserstein GANs with a gradient penalty on the critic.

* WGAN-GP (Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville 2017, "Improved
  Training of Wasserstein GANs", NeurIPS 2017, arXiv:1704.00028) replaces
  WGAN's weight clipping by the two-sided penalty
  `lambda * (||grad_x D(x_hat)||_2 - 1)^2` at `x_hat = eps * x + (1 - eps) * G(z)`,
  one `eps ~ U[0, 1]` per example (Algorithm 1).
* WGAN-LP (Petzka, Fischer & Lukovnicov 2018, "On the Regularization of
  Wasserstein GANs", ICLR 2018, arXiv:1709.08894) penalizes only gradient
  norms above 1, `lambda * max(0, ||grad_x D(x_hat)||_2 - 1)^2`, which is all
  the Lipschitz constraint asks for.

Defaults (Algorithm 1 of Gulrajani et al.): lambda = 10, n_critic = 5
(`d_steps`), Adam(1e-4, beta_1=0, beta_2=0.9) for both players, the
`wasserstein` loss. WGAN-LP keeps the same defaults, so the two families
differ only in the penalty (Petzka et al. also discuss other distributions
of the penalty points; only WGAN-GP's real-fake segments are implemented).

The penalty is per example, which holds only if the critic treats examples
independently: batch normalization in training mode mixes the examples of a
batch, so the paper replaces it by layer normalization in the critic. That is
the default here for the `"dcgan"` architecture
(`discriminator_options={"normalization": "layer"}`); the MLP critic has no
normalization.

Logged: `d_gp` (WGAN-GP) or `d_lp` (WGAN-LP), the UNWEIGHTED per-example
penalty; `d_loss` already includes `lambda` times it.
"""

import keras

from keras_gans.losses import penalties
from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, non_negative, positive_int
from keras_gans.losses import adversarial


@register_family("wgan_gp")
class WGANGP(ConfigurableGAN):
    """WGAN with gradient penalty (Gulrajani et al. 2017).

    Args:
        data_shape, latent_dim, architecture, width, generator_options,
            discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`. The DCGAN critic uses layer
            normalization by default (no BatchNorm).

    `compile` defaults to the paper: `loss="wasserstein"`, `d_steps=5`,
    `penalty_weight=10.0`, Adam(1e-4, beta_1=0, beta_2=0.9).

    Example:

    >>> gan = WGANGP(data_shape=(2,), latent_dim=4, width=8)
    >>> gan.compile()  # lambda = 10, n_critic = 5
    >>> "d_gp" in gan.metric_names()
    True
    """

    default_discriminator_options = {"dcgan": {"normalization": "layer"}}
    #: Log key of the unweighted penalty.
    penalty_key = "d_gp"

    options = (
        Option("loss", "wasserstein", "adversarial loss", check=adversarial.get,
               attr="adversarial_loss"),
        Option("d_steps", 5, "critic updates per generator update (n_critic)",
               check=positive_int),
        Option("penalty_weight", 10.0, "lambda, the weight of the penalty in d_loss",
               check=non_negative),
    )

    def default_optimizers(self):
        return (keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9))

    def extra_metric_names(self):
        return (self.penalty_key,)

    def penalty(self, critic, real, fake, epsilon):
        """The per-example penalty at the interpolates of `real` and `fake`."""
        return penalties.gradient_penalty(critic, real, fake, epsilon)

    def compute_discriminator_loss(self, real, fake, labels=None):
        terms = super().compute_discriminator_loss(real, fake, labels)
        # One coefficient per example, [batch, 1, ..., 1], uniform on [0, 1]:
        # the interpolate then lies on the segment between its two samples.
        epsilon = self.random_uniform(penalties.interpolation_shape(real))

        def critic(x):
            return self.discriminate(x, labels, training=True)

        penalty = self.penalty(critic, real, fake, epsilon)
        terms["d_loss"] = terms["d_loss"] + self.penalty_weight * penalty
        terms[self.penalty_key] = penalty
        return terms


@register_family("wgan_lp")
class WGANLP(WGANGP):
    """WGAN with the one-sided Lipschitz penalty (Petzka et al. 2018).

    Same arguments and defaults as `WGANGP`; only gradient norms above 1 are
    penalized, and the penalty is logged as `d_lp`.

    Example:

    >>> gan = WGANLP(data_shape=(2,), latent_dim=4, width=8)
    >>> gan.compile(penalty_weight=10.0)
    >>> "d_lp" in gan.metric_names()
    True
    """

    penalty_key = "d_lp"

    def penalty(self, critic, real, fake, epsilon):
        return penalties.lipschitz_penalty(critic, real, fake, epsilon)
