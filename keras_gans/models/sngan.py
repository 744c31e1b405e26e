"""SNGAN (Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral Normalization for
Generative Adversarial Networks", ICLR 2018, arXiv:1802.05957).

Every weight layer of D is divided by its largest singular value (estimated
by one power iteration per forward pass, reusing the previous singular
vector), which bounds D's Lipschitz constant by that of its activations.

Defaults:

* the hinge loss (the paper's best results, its Eq. 17);
* spectral normalization on every D layer and no other normalization in D
  (`discriminator_options` default `{"spectral_norm": True}`, plus
  `"normalization": "none"` for the DCGAN critic), as in the paper's
  "standard CNN";
* Adam(1e-4, beta_1=0.5, beta_2=0.999) and n_dis = 1 (`d_steps`): setting B
  of the paper's Table 1, which it names the optimal setting of SN-GANs for
  the standard CNN. (Its ResNet experiments use Adam(2e-4, beta_1=0,
  beta_2=0.9) and n_dis = 5.)

The networks are this library's DCGAN/MLP builders; the paper's standard CNN
differs in details (3x3 stride-1 convolutions between the strided ones,
LeakyReLU slope 0.1 instead of 0.2).

Spectral normalization is `keras.layers.SpectralNormalization`. In training
mode it runs one power iteration and ASSIGNS the normalized kernel `W / sigma`
to the wrapped layer's kernel (a projection after each update, rather than a
reparametrization differentiated through sigma as in the paper's code); in
inference mode it leaves every weight alone. Two consequences:

* every training-mode call of D changes D's kernels and singular-vector
  estimates, including the calls in a generator step;
* `evaluate` (which calls D in training mode) renormalizes D as well.
"""

import keras

from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option
from keras_gans.losses import adversarial


def spectral_norm_layers(model):
    """The `keras.layers.SpectralNormalization` wrappers of `model`, in order."""
    return [layer for layer in model.layers
            if isinstance(layer, keras.layers.SpectralNormalization)]


@register_family("sngan")
class SNGAN(ConfigurableGAN):
    """GAN with a spectrally normalized discriminator (Miyato et al. 2018).

    Args:
        data_shape, latent_dim, architecture, width, generator_options,
            discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`. D is spectrally normalized by
            default.

    `compile` defaults: `loss="hinge"`, `d_steps=1` (n_dis),
    Adam(1e-4, beta_1=0.5, beta_2=0.999).

    Example:

    >>> gan = SNGAN(data_shape=(2,), latent_dim=4, width=8)
    >>> gan.compile()  # hinge loss, n_dis = 1
    >>> len(spectral_norm_layers(gan.discriminator))  # 2 hidden + output
    3
    """

    default_discriminator_options = {
        "dcgan": {"spectral_norm": True, "normalization": "none"},
        "mlp": {"spectral_norm": True},
    }

    options = (
        Option("loss", "hinge", "adversarial loss (the paper's hinge)", check=adversarial.get,
               attr="adversarial_loss"),
    )

    def default_optimizers(self):
        # Setting B of the paper's Table 1.
        return (keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.999),
                keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.999))
