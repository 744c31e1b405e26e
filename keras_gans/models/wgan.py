"""WGAN (Arjovsky, Chintala & Bottou 2017, "Wasserstein Generative Adversarial
Networks", ICML 2017, arXiv:1701.07875).

The critic f estimates the Wasserstein-1 distance E[f(x)] - E[f(G(z))] over
1-Lipschitz functions, so it outputs an unbounded score (no sigmoid; the
`wasserstein` loss), and the Lipschitz constraint is approximated by clipping
every critic weight to [-c, c] after each critic update.

Algorithm 1 of the paper, the defaults here: RMSProp with learning rate 5e-5
for both players, clipping c = 0.01, n_critic = 5 critic updates per generator
update (`d_steps`), batch 64. The paper's reference code additionally trains
the critic 100 times per generator update for the first 25 generator updates
and every 500th; that schedule is not part of Algorithm 1 and not implemented.

What is clipped: every TRAINABLE critic variable (kernels, biases, and the
scale and offset of normalization layers, as the reference code clips all
`parameters()`). BatchNorm moving statistics are not weights of the function
being constrained (they are running averages, only used in inference mode),
so they are left alone. The paper's critic is a DCGAN discriminator with
BatchNorm, the default here for images.
"""

import keras
import tensorflow as tf

from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.base import assign_variables
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, positive, positive_int
from keras_gans.losses import adversarial


def clip_weights(variables, clip_value):
    """Clips each variable to [-clip_value, clip_value], replica-safely.

    Example:

    >>> v = keras.Variable([-1.0, 0.005, 2.0])
    >>> clip_weights([v], 0.01)
    >>> [round(float(x), 3) for x in v.numpy()]
    [-0.01, 0.005, 0.01]
    """
    variables = list(variables)
    assign_variables(variables,
                     [tf.clip_by_value(v, -clip_value, clip_value) for v in variables])


@register_family("wgan")
class WGAN(ConfigurableGAN):
    """Wasserstein GAN with weight clipping (Arjovsky et al. 2017).

    Args:
        data_shape, latent_dim, architecture, width, generator_options,
            discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`.

    `compile` defaults to the paper: `loss="wasserstein"`, `d_steps=5`
    (n_critic), `clip_value=0.01`, RMSProp(5e-5) for both players.

    Example:

    >>> gan = WGAN(data_shape=(2,), latent_dim=4, width=8)
    >>> gan.compile()  # RMSprop(5e-5), n_critic = 5, c = 0.01
    >>> gan.clip_value, gan.d_steps
    (0.01, 5)
    """

    options = (
        Option("loss", "wasserstein", "adversarial loss (the critic's Wasserstein estimate)",
               check=adversarial.get, attr="adversarial_loss"),
        Option("d_steps", 5, "critic updates per generator update (n_critic)",
               check=positive_int),
        Option("clip_value", 0.01, "c: the critic's weights are clipped to [-c, c] after "
               "every critic update", check=positive),
    )

    def default_optimizers(self):
        # Algorithm 1: RMSProp, alpha = 5e-5 (the paper reports that
        # momentum-based optimizers such as Adam made critic training unstable).
        return (keras.optimizers.RMSprop(5e-5), keras.optimizers.RMSprop(5e-5))

    def after_discriminator_update(self):
        clip_weights(self.discriminator.trainable_variables, self.clip_value)
