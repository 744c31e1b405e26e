"""Conditional GAN (Mirza & Osindero 2014, "Conditional Generative Adversarial
Nets", arXiv:1411.1784).

Both players see the class label y: G maps (z, y) to an image and D judges
(x, y) pairs, so D(x, y) estimates whether x is a real example OF CLASS y
and G learns p(x | y). The paper's MNIST model is an MLP with y one-hot; here
the networks are the library's builders with y composed in:

* G: a learned embedding of y (size `embedding_dim`, default K) is
  concatenated to z before G's first, linear layer; for
  `embedding_dim >= K` that is the same function class as concatenating
  the one-hot y.
* D (`discriminator_conditioning`):
  - "input" (default): y is an additional input layer of D. For images, K
    one-hot label maps (constant H x W planes) are appended to the image
    channels before D's first convolution; for vectors, the embedding is
    concatenated to x.
  - "features": the embedding is concatenated to D's flattened
    convolutional features, followed by a hidden LeakyReLU layer and the
    logit (a logit that is linear in [phi(x), e(y)] would let y shift it by
    a class constant only, which cannot judge whether x matches y).

The adversarial loss is any of `keras_gans.losses` (default
"non_saturating"); fakes are conditioned on the labels of the real batch,
i.e. classes are drawn from the data's label distribution.
"""

from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.conditioning import (  # noqa: F401 (check_num_classes, require_labels re-exported)
    build_concat_discriminator,
    build_concat_generator,
    check_num_classes,
    require_labels,
)
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, num_classes, optional_positive_int


@register_family("cgan")
class CGAN(ConfigurableGAN):
    """Class-conditional GAN with y fed to both G and D (Mirza & Osindero 2014).

    Args:
        data_shape: (H, W, C) images or (D,) vectors.
        latent_dim: size of z.
        num_classes: number of classes K (labels are integers in [0, K-1]).
        architecture: "dcgan" (images) or "mlp".
        width: base width of both networks.
        embedding_dim: size of the label embedding (default K).
        discriminator_conditioning: "input" or "features" (module docstring).
        generator_options, discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`.

    Example:

    >>> gan = CGAN(data_shape=(8, 8, 1), latent_dim=4, width=4, num_classes=10)
    >>> gan.compile()
    >>> gan.sample(3, labels=[0, 1, 2]).shape
    (3, 8, 8, 1)
    """

    example_config = {"data_shape": (8, 8, 1), "latent_dim": 4, "width": 4, "num_classes": 3,
                      "ema_decay": 0.5}

    constructor_options = (
        Option("num_classes", 10, "number of classes", check=num_classes),
        Option("embedding_dim", None, "size of the learned label embedding; default: one-hot",
               check=optional_positive_int),
        Option("discriminator_conditioning", "input",
               "where D sees the label: 'input' (concatenated to the image) or 'hidden'"),
    )

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        generator = build_concat_generator(architecture, data_shape, latent_dim, width,
                                           self.num_classes, self.embedding_dim, g_opts)
        discriminator = build_concat_discriminator(
            architecture, data_shape, width, self.num_classes, d_opts,
            conditioning=self.discriminator_conditioning, embedding_dim=self.embedding_dim)
        return generator, discriminator

