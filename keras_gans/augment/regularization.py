"""Consistency regularization as a training option: CR, bCR and zCR.

CR (Zhang et al. 2020) and bCR / zCR (Zhao et al. 2021) do not change what D
sees in its adversarial loss; they add terms (`keras_gans.losses.consistency`)
that compare D's outputs on an image and on a transformed copy (CR on real
images, bCR on real and generated), or G's and D's outputs on z and a nearby
z + dz (zCR). The transformation T is the CR paper's: a random horizontal
flip and an integer translation of up to 1/8 of the size with reflect
padding (ADA's xflip and xint ops at p = 1).

Example:

>>> reg = ConsistencyRegularization("bcr")
>>> reg.get_config()["name"]
'bcr'
"""

import keras
import tensorflow as tf

from keras_gans.augment.ada import AdaptiveAugment
from keras_gans.losses import consistency as terms

MODES = ("cr", "bcr", "zcr", "bcr+zcr")


@keras.saving.register_keras_serializable(package="keras_gans")
class ConsistencyRegularization:
    """Consistency terms added to D's (and, for zCR, G's) loss.

    Args:
        mode: "cr" (real images), "bcr" (real and generated), "zcr" (latent
            consistency) or "bcr+zcr" (both, as the paper's best ICR).
        real_weight, fake_weight: lambda_real, lambda_fake (10, 10; "cr" uses
            real_weight).
        discriminator_weight, generator_weight, sigma: zCR's lambda_dis (5),
            lambda_gen (0.5) and sigma_noise (0.03).

    The model calls `discriminator_terms(model, real, fake, labels)` in its D
    step and `generator_terms(model, batch, labels)` in its G step; each
    returns per-example terms (added to the loss) keyed by log name.
    """

    transforms_inputs = False

    def __init__(self, mode="bcr", real_weight=terms.BCR_REAL_WEIGHT,
                 fake_weight=terms.BCR_FAKE_WEIGHT,
                 discriminator_weight=terms.ZCR_DISCRIMINATOR_WEIGHT,
                 generator_weight=terms.ZCR_GENERATOR_WEIGHT, sigma=terms.ZCR_SIGMA):
        if mode not in MODES:
            raise ValueError(f"Consistency mode must be one of {MODES}; got {mode!r}.")
        self.mode = mode
        self.real_weight = float(real_weight)
        self.fake_weight = float(fake_weight)
        self.discriminator_weight = float(discriminator_weight)
        self.generator_weight = float(generator_weight)
        self.sigma = float(sigma)
        self.transform = AdaptiveAugment(ops={"xflip": 1.0, "xint": 1.0})

    @property
    def metric_names(self):
        names = []
        if self.mode in ("cr", "bcr", "bcr+zcr"):
            names.append("d_cr_real")
        if self.mode in ("bcr", "bcr+zcr"):
            names.append("d_cr_fake")
        if self.mode in ("zcr", "bcr+zcr"):
            names += ["d_zcr", "g_zcr"]
        return tuple(names)

    def _transformed(self, model, images):
        return self.transform.apply(images, 1.0, self.transform.draw(model, tf.shape(images)))

    def _consistency(self, model, images, labels):
        logits = model.discriminate(images, labels, training=True)
        moved = model.discriminate(self._transformed(model, images), labels, training=True)
        return terms.consistency_penalty(logits, moved)

    def discriminator_terms(self, model, real, fake, labels=None):
        out = {}
        if "d_cr_real" in self.metric_names:
            out["d_cr_real"] = self.real_weight * self._consistency(model, real, labels)
        if "d_cr_fake" in self.metric_names:
            out["d_cr_fake"] = self.fake_weight * self._consistency(model, fake, labels)
        if "d_zcr" in self.metric_names:
            batch = tf.shape(real)[0]
            z = model.sample_latents(batch)
            dz = model.random_normal(tf.shape(z))
            fake_z = model.generate_for_training(z, labels)
            fake_dz = model.generate_for_training(terms.perturb_latents(z, dz, self.sigma),
                                                  labels)
            out["d_zcr"] = self.discriminator_weight * terms.consistency_penalty(
                model.discriminate(tf.stop_gradient(fake_z), labels, training=True),
                model.discriminate(tf.stop_gradient(fake_dz), labels, training=True))
        return out

    def generator_terms(self, model, batch, labels=None):
        if "g_zcr" not in self.metric_names:
            return {}
        z = model.sample_latents(batch)
        dz = model.random_normal(tf.shape(z))
        fake_z = model.generate_for_training(z, labels)
        fake_dz = model.generate_for_training(terms.perturb_latents(z, dz, self.sigma), labels)
        return {"g_zcr": terms.zcr_generator_term(fake_z, fake_dz, self.generator_weight)}

    def get_config(self):
        return {"name": self.mode, "real_weight": self.real_weight,
                "fake_weight": self.fake_weight,
                "discriminator_weight": self.discriminator_weight,
                "generator_weight": self.generator_weight, "sigma": self.sigma}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["mode"] = config.pop("name", config.get("mode"))
        return cls(**config)
