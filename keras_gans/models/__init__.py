"""GAN families: one module each, registered by key.

Importing this package registers every family; `list_families()` lists them
and `get(key)` returns the class.
"""

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

# The classic unconditional families.
from keras_gans.models.vanilla import VanillaGAN  # noqa: F401,E402
from keras_gans.models.wgan import WGAN  # noqa: F401,E402
from keras_gans.models.wgan_gp import WGANGP, WGANLP  # noqa: F401,E402
from keras_gans.models.dragan import DRAGAN  # noqa: F401,E402
from keras_gans.models.lsgan import LSGAN  # noqa: F401,E402
from keras_gans.models.sngan import SNGAN  # noqa: F401,E402
from keras_gans.models.began import BEGAN  # noqa: F401,E402
from keras_gans.models.ebgan import EBGAN  # noqa: F401,E402
from keras_gans.models.unrolled import UnrolledGAN  # noqa: F401,E402
from keras_gans.models.improvements import ImprovedGAN  # noqa: F401,E402

# Conditional and auxiliary-task families.
from keras_gans.models.cgan import CGAN  # noqa: F401,E402
from keras_gans.models.acgan import ACGAN  # noqa: F401,E402
from keras_gans.models.projection import SNGANProjection  # noqa: F401,E402
from keras_gans.models.ssgan import SemiSupervisedGAN  # noqa: F401,E402
from keras_gans.models.rotation import SelfSupervisedGAN  # noqa: F401,E402
from keras_gans.models.spheregan import SphereGAN  # noqa: F401,E402

# The Karras family.
from keras_gans.models.progan import ProGAN  # noqa: F401,E402
from keras_gans.models.stylegan import StyleGAN  # noqa: F401,E402
from keras_gans.models.stylegan2 import StyleGAN2  # noqa: F401,E402
from keras_gans.models.sagan import SAGAN  # noqa: F401,E402
from keras_gans.models.biggan import BigGAN  # noqa: F401,E402

# Image-to-image translation (keras_gans.models.translation).
from keras_gans.models.pix2pix import Pix2Pix  # noqa: F401,E402
from keras_gans.models.cyclegan import CycleGAN  # noqa: F401,E402
from keras_gans.models.stargan import StarGAN  # noqa: F401,E402
from keras_gans.models.stargan_v2 import StarGANv2  # noqa: F401,E402
