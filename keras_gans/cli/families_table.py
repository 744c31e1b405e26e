"""The families as `keras-gans families` prints them, without importing TensorFlow.

`tests/cli/families_table_test.py` checks this table against the real registry
(`keras_gans.models.list_families()`): a family registered without a row here,
a row without a family, or a class renamed fails that test.
"""

import difflib

#: key -> (class name, takes class labels, one-line description).
FAMILY_TABLE = {
    "acgan": ("ACGAN", True, "GAN whose discriminator also classifies (Odena et al. 2017)."),
    "biggan": ("BigGAN", True, "Class-conditional BigGAN (Brock et al. 2019)."),
    "began": ("BEGAN", False, "Boundary equilibrium GAN with an autoencoder discriminator."),
    "cgan": ("CGAN", True,
             "Class-conditional GAN with y fed to both G and D (Mirza & Osindero 2014)."),
    "dcgan": ("DCGAN", False, "Deep convolutional GAN (Radford et al. 2016)."),
    "dragan": ("DRAGAN", False,
               "GAN with a gradient penalty around perturbed real data (Kodali et al. 2017)."),
    "ebgan": ("EBGAN", False,
              "Energy-based GAN with an autoencoder discriminator and the pulling-away term."),
    "improved_gan": ("ImprovedGAN", False,
                     "A non-saturating GAN with Salimans et al. (2016)'s techniques."),
    "lsgan": ("LSGAN", False, "Least-squares GAN (Mao et al. 2017)."),
    "progan": ("ProGAN", False, "Progressive growing of GANs (Karras et al. 2018)."),
    "sagan": ("SAGAN", True, "Class-conditional self-attention GAN (Zhang et al. 2019)."),
    "self_supervised_gan": ("SelfSupervisedGAN", False,
                            "GAN whose discriminator also predicts image rotations "
                            "(Chen et al. 2019)."),
    "semi_supervised_gan": ("SemiSupervisedGAN", False,
                            "A GAN whose discriminator is a K-class classifier "
                            "(Odena 2016; Salimans et al. 2016)."),
    "sngan": ("SNGAN", False,
              "GAN with a spectrally normalized discriminator (Miyato et al. 2018)."),
    "sngan_projection": ("SNGANProjection", True,
                         "Conditional SNGAN: projection D, conditional-BN G "
                         "(Miyato & Koyama 2018)."),
    "spheregan": ("SphereGAN", False,
                  "GAN matching geometric moments on a hypersphere (Park & Kwon 2019)."),
    "stylegan": ("StyleGAN", False, "Style-based GAN (Karras et al. 2019)."),
    "stylegan2": ("StyleGAN2", False,
                  "StyleGAN2 (Karras et al. 2020), config E/F style: skip G, residual D."),
    "unrolled": ("UnrolledGAN", False,
                 "A GAN whose generator differentiates through K unrolled D updates."),
    "vanilla": ("VanillaGAN", False,
                "The original GAN of Goodfellow et al. (2014), MLP networks by default."),
    "wgan": ("WGAN", False, "Wasserstein GAN with weight clipping (Arjovsky et al. 2017)."),
    "wgan_gp": ("WGANGP", False, "WGAN with gradient penalty (Gulrajani et al. 2017)."),
    "wgan_lp": ("WGANLP", False,
                "WGAN with the one-sided Lipschitz penalty (Petzka et al. 2018)."),
}


def check_family(key):
    """Returns `key` lower-cased when it names a family; a one-line error otherwise.

    Example:

    >>> check_family("DCGAN")
    'dcgan'
    >>> check_family("dcgna")
    Traceback (most recent call last):
    ...
    ValueError: Unknown GAN family 'dcgna'. Did you mean 'dcgan'? See `keras-gans families`.
    """
    name = str(key).lower()
    if name in FAMILY_TABLE:
        return name
    close = difflib.get_close_matches(name, FAMILY_TABLE, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValueError(f"Unknown GAN family {key!r}.{hint} See `keras-gans families`.")


def family_lines():
    """The lines `keras-gans families` prints: key, class, labels, description."""
    lines = [f"{'key':20} {'class':18} {'labels':6}  description"]
    for key, (cls, conditional, doc) in sorted(FAMILY_TABLE.items()):
        lines.append(f"{key:20} {cls:18} {'yes' if conditional else '':6}  {doc}")
    return lines
