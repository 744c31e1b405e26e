"""GAN families: one module each, registered by key."""

from keras_gans.models.base import GAN, assign_variables  # noqa: F401
from keras_gans.models.registry import FAMILIES, get, list_families, register_family  # noqa: F401

from keras_gans.models.dcgan import DCGAN  # noqa: F401,E402
from keras_gans.models.architectures import (  # noqa: F401,E402
    ConfigurableGAN,
    Maxout,
    build_mlp_discriminator,
    build_mlp_generator,
    build_networks,
)
