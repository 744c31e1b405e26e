"""LSGAN (Mao, Li, Xie, Lau, Wang & Smolley 2017, "Least Squares Generative
Adversarial Networks", ICCV 2017, arXiv:1611.04076).

D regresses its (linear, no sigmoid) output to target codes instead of
classifying: it minimizes `((D(x) - b)^2 + (D(G(z)) - a)^2) / 2` and G
minimizes `(D(G(z)) - c)^2 / 2`. Fakes far from the decision boundary but on
its correct side still get a gradient, unlike with the sigmoid loss.

Two codings from the paper:

* `a = 0, b = 1, c = 1` (the 0-1 binary coding, `ZERO_ONE_CODING`): G wants
  its samples to be scored as real. The default here, and the coding of the
  authors' released code.
* `a = -1, b = 1, c = 0` (`PEARSON_CODING`): with `b - c = 1` and
  `b - a = 2`, minimizing the objective minimizes the Pearson chi^2
  divergence between `p_data + p_g` and `2 p_g`.

Optimizer default: Adam(1e-3, beta_1=0.5), the setting of the authors' code
for the paper's scene (LSUN) experiments. The networks are the DCGAN ones by
default (the paper's 112x112 scene architecture is not reproduced).
"""

import keras

from keras_gans.losses.adversarial import AdversarialLoss
from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option
from keras_gans.losses import adversarial

#: a (fake target), b (real target), c (G's target): the 0-1 binary coding.
ZERO_ONE_CODING = {"a": 0.0, "b": 1.0, "c": 1.0}
#: The coding for which LSGAN minimizes the Pearson chi^2 divergence.
PEARSON_CODING = {"a": -1.0, "b": 1.0, "c": 0.0}



def least_squares_loss(loss):
    """`loss`, or the least-squares loss with the 0-1 coding when None."""
    if loss is None:
        return AdversarialLoss("least_squares", **ZERO_ONE_CODING)
    return adversarial.get(loss)

@register_family("lsgan")
class LSGAN(ConfigurableGAN):
    """Least-squares GAN (Mao et al. 2017).

    Args:
        data_shape, latent_dim, architecture, width, generator_options,
            discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`.

    `compile(loss=None)` uses the least-squares loss with the paper's 0-1
    coding `a=0, b=1, c=1`; pass
    `keras_gans.losses.AdversarialLoss("least_squares", a=..., b=..., c=...)`
    (or its config dict) for other codings.

    Example:

    >>> gan = LSGAN(data_shape=(2,), latent_dim=4, width=8)
    >>> gan.compile(loss=AdversarialLoss("least_squares", **PEARSON_CODING))
    >>> gan.adversarial_loss.get_config()
    {'name': 'least_squares', 'a': -1.0, 'b': 1.0, 'c': 0.0}
    """

    options = (
        Option("loss", None,
               "None: least squares with the paper's 0-1 coding a=0, b=1, c=1 (saved "
               "explicitly); or any adversarial loss", check=least_squares_loss,
               attr="adversarial_loss"),
    )

    def default_optimizers(self):
        return (keras.optimizers.Adam(1e-3, beta_1=0.5),
                keras.optimizers.Adam(1e-3, beta_1=0.5))
