"""The original GAN (Goodfellow et al. 2014, "Generative Adversarial Nets",
NeurIPS 2014, arXiv:1406.2661).

D maximizes log D(x) + log(1 - D(G(z))); G either minimizes
log(1 - D(G(z))) (the minimax game of the paper's Eq. 1, `loss="minimax"`)
or maximizes log D(G(z)) (the paper's Sec. 3 fix for the early saturation of
that loss, `loss="non_saturating"`, which its released code trains and which
is the default here). Algorithm 1 takes k D steps per G step and uses k = 1 in
the experiments (`d_steps`).

The paper's networks are MLPs, also for images: G with ReLU hidden layers and
a sigmoid output, D with maxout hidden layers (Goodfellow et al. 2013) and
dropout. `VanillaGAN` builds MLPs by default (the `"mlp"` architecture; the
outputs are tanh for images in [-1, 1], linear for points); pass
`discriminator_options={"maxout_pieces": 5}` for the maxout D and
`{"dropout": 0.5}` for dropout.

Training in the paper's MNIST code (`mnist.yaml` of the released pylearn2
code): SGD with learning rate 0.1 decayed by 1.000004 per step, momentum
rising from 0.5 to 0.7, batch 100; G 1200-1200 ReLU units, D 240-240 maxout
units with 5 pieces, dropout on D's inputs. The default optimizers here are
SGD(0.1, momentum=0.5) for both players, the paper's starting point, without
the decay and momentum schedules (pass schedules or other optimizers to
`compile` to reproduce them).
"""

import keras

from keras_gans.losses import adversarial
from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option

#: The two losses that define the game of the paper.
VANILLA_LOSSES = ("minimax", "non_saturating")



def vanilla_loss(loss):
    """The adversarial loss of Goodfellow et al. (2014), refusing other games."""
    loss = adversarial.get(loss)
    if loss.name not in VANILLA_LOSSES:
        raise ValueError(
            f"VanillaGAN plays the game of Goodfellow et al. (2014): loss must be "
            f"'minimax' or 'non_saturating'; got {loss.name!r}. Other losses have their "
            "own families (WGAN, LSGAN, SNGAN).")
    return loss

@register_family("vanilla")
class VanillaGAN(ConfigurableGAN):
    """The original GAN of Goodfellow et al. (2014), MLP networks by default.

    Args:
        data_shape: (H, W, C) for images, (D,) for vectors (e.g. `(2,)` for
            the `ring8` / `grid25` mixtures).
        latent_dim: size of z (the paper: 100).
        architecture: "mlp" by default, for images too (as in the paper);
            "dcgan" for convolutional networks.
        width: hidden units per layer of both MLPs (the paper: 1200 in G, 240
            maxout units in D).
        generator_options, discriminator_options: builder options, e.g.
            `{"maxout_pieces": 5, "dropout": 0.5}` for the paper's D.
        ema_decay, seed: see `keras_gans.models.GAN`.

    `compile` takes `loss="non_saturating"` (default) or `"minimax"` (with
    optional `label_smoothing` through a config dict or
    `keras_gans.losses.AdversarialLoss`), and `d_steps` (the paper's k, 1).

    Example:

    >>> gan = VanillaGAN(data_shape=(2,), latent_dim=4, width=8,
    ...                  discriminator_options={"maxout_pieces": 5})
    >>> gan.compile(loss="minimax", d_steps=1)
    >>> gan.generate(gan.latents(3)).shape
    (3, 2)
    """

    default_architecture = "mlp"

    options = (
        Option("loss", "non_saturating",
               "'non_saturating' (the paper's practical G loss) or 'minimax' (the game as "
               "written), optionally with label_smoothing", check=vanilla_loss,
               attr="adversarial_loss"),
    )

    def default_optimizers(self):
        # The paper's code starts at learning rate 0.1 with momentum 0.5.
        return (keras.optimizers.SGD(0.1, momentum=0.5),
                keras.optimizers.SGD(0.1, momentum=0.5))
