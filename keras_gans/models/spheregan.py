"""SphereGAN (Park & Kwon 2019, "Sphere Generative Adversarial Network Based
on Geometric Moment Matching", CVPR 2019).

D ends in a "geometric block": a dense layer gives p in R^n, mapped onto
the unit hypersphere S^n in R^(n+1) by the inverse stereographic projection

    Pi^-1(p) = (2p / (|p|^2 + 1), (|p|^2 - 1) / (|p|^2 + 1)).

Distances are measured on the sphere from the north pole N = (0, ..., 0, 1),
d_s(x, N) = arccos(x . N), and the objective matches the geometric moments
r = 1..R of that distance (the paper's Eq. 7):

    min_G max_D  sum_r E_x[d_s^r(N, D(x))] - sum_r E_z[d_s^r(N, D(G(z)))].

D pushes real points away from N (towards the south pole, d = pi) and fake
points towards N; G pushes its points away from N. As minimized
per-example losses (the official code's signs: D's loss weights the real
distances by -1 and the fake ones by +1, G's weights the fake ones by -1):

    d_loss = sum_r d(fake)^r - sum_r d(real)^r,   g_loss = -sum_r d(fake)^r.

Distances are bounded by pi, so the objective needs no Lipschitz
constraint or gradient penalty (the paper's point). Defaults: R = 3
moments (the paper; the official code's comment: "[3] is suggested but [1]
is enough"), a 1024-d geometric block, layer normalization in D (the
paper's and the official code's D), Adam(1e-4, beta_1=0, beta_2=0.9) (the
official code).

The distance is computed as atan2(|x_1..n|, x_n+1), which equals
arccos(x_n+1) on the sphere but keeps finite gradients at the poles
(arccos' is infinite at +-1).
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_gans.losses import adversarial
from keras_gans.models.architectures import ConfigurableGAN, build_networks
from keras_gans.models.conditioning import build_feature_extractor, dense
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, positive_int


@keras.saving.register_keras_serializable(package="keras_gans")
class InverseStereographicProjection(keras.layers.Layer):
    """Maps p in R^n onto the unit sphere S^n in R^(n+1), from the north pole.

    Pi^-1(p) = (2p / (|p|^2 + 1), (|p|^2 - 1) / (|p|^2 + 1)): p = 0 goes to
    the south pole (0, ..., 0, -1), |p| = 1 to the equator, and |p| -> inf
    to the north pole N = (0, ..., 0, 1).

    Example:

    >>> InverseStereographicProjection()(np.zeros((1, 2), "float32")).numpy()
    array([[ 0.,  0., -1.]], dtype=float32)
    """

    def call(self, inputs):
        square = ops.sum(ops.square(inputs), axis=-1, keepdims=True)
        return ops.concatenate([2.0 * inputs / (square + 1.0), (square - 1.0) / (square + 1.0)],
                               axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + 1,)


def north_pole_distance(points):
    """Geodesic distance d_s(x, N) = arccos(x . N) of sphere points x [B, n+1] to N: [B].

    Computed as atan2(|x_1..n|, x_n+1) (equal on the sphere; finite
    gradients at the poles).

    Example:

    >>> float(north_pole_distance(np.array([[0.0, 0.0, -1.0]]))[0])  # south pole
    3.141592653589793
    """
    points = tf.convert_to_tensor(points)
    square = tf.reduce_sum(tf.square(points[:, :-1]), axis=-1)
    tiny = np.finfo(points.dtype.as_numpy_dtype).tiny
    return tf.atan2(tf.sqrt(tf.maximum(square, tiny)), points[:, -1])


def moment_distance(points, moments=3):
    """sum_{r=1..R} d_s(x, N)^r per example: [B].

    Example:

    >>> round(float(moment_distance(np.array([[1.0, 0.0]]), moments=2)[0]), 6)  # pi/2 + pi^2/4
    4.037175
    """
    d = north_pole_distance(points)
    return tf.add_n([d ** r for r in range(1, int(moments) + 1)])


def build_sphere_discriminator(architecture, data_shape, width, feature_dim, d_opts=None,
                               name="discriminator"):
    """D(x) = Pi^-1(Dense(feature_dim)(phi(x))): points on S^feature_dim.

    Example:

    >>> d = build_sphere_discriminator("dcgan", (8, 8, 1), 4, feature_dim=6)
    >>> tuple(d.output.shape)
    (None, 7)
    """
    phi = build_feature_extractor(architecture, data_shape, width, d_opts)
    x = keras.Input(tuple(data_shape), name=phi.inputs[0].name)
    p = dense(int(feature_dim), "geometric_dense", init="glorot_uniform")(phi(x))
    points = InverseStereographicProjection(dtype="float32", name="to_sphere")(p)
    return keras.Model(x, points, name=name)


def _own_loss(loss):
    if loss is not None and adversarial.get(loss).get_config() != {"name": "non_saturating"}:
        raise ValueError(
            f"SphereGAN has its own loss (geometric moments on the sphere); do not pass "
            f"loss= (got {loss!r}).")
    return adversarial.get("non_saturating")


@register_family("spheregan")
class SphereGAN(ConfigurableGAN):
    """GAN matching geometric moments on a hypersphere (Park & Kwon 2019).

    Args:
        data_shape, latent_dim, architecture, width, generator_options,
            discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`. D options default to
            layer normalization (`{"normalization": "layer"}`) for "dcgan".
        feature_dim: n, the dimension of p (D's points lie on S^n in R^(n+1)).

    `compile` takes `moments` (R, default 3); the adversarial `loss` does not
    apply (`None`, or the base default, which is ignored).

    Logs `d_real` and `d_fake`: the mean distance d_s(., N) of real and fake
    points.

    Example:

    >>> gan = SphereGAN(data_shape=(8, 8, 1), latent_dim=4, width=4, feature_dim=8)
    >>> gan.compile(moments=3)
    >>> tuple(gan.discriminator.output.shape)
    (None, 9)
    """

    default_discriminator_options = {"dcgan": {"normalization": "layer"}}

    example_config = {"data_shape": (2,), "latent_dim": 4, "width": 8, "feature_dim": 4,
                      "ema_decay": 0.5}

    default_latent_dim = 128
    constructor_options = (
        Option("feature_dim", 1024, "dimension of D's features before the sphere",
               check=positive_int),
    )

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        generator, _ = build_networks(architecture, data_shape, latent_dim, width, g_opts, {})
        discriminator = build_sphere_discriminator(architecture, data_shape, width,
                                                   self.feature_dim, d_opts)
        return generator, discriminator


    options = (
        Option("loss", None, "SphereGAN has its own loss (geometric moments on the sphere); "
               "only None is accepted", check=_own_loss, attr="adversarial_loss"),
        Option("moments", 3, "R, the number of moments matched", check=positive_int),
    )

    def default_optimizers(self):
        return (keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9))

    def compute_discriminator_loss(self, real, fake, labels=None):
        real_points = self.discriminate(real, labels, training=True)
        fake_points = self.discriminate(fake, labels, training=True)
        return {
            "d_loss": moment_distance(fake_points, self.moments)
            - moment_distance(real_points, self.moments),
            "d_real": north_pole_distance(real_points),
            "d_fake": north_pole_distance(fake_points),
        }

    def compute_generator_loss(self, fake, labels=None, real=None):
        fake_points = self.discriminate(fake, labels, training=True)
        return {"g_loss": -moment_distance(fake_points, self.moments)}
