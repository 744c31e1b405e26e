import math

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.models import registry
from keras_gans.models.spheregan import (
    InverseStereographicProjection,
    SphereGAN,
    moment_distance,
    north_pole_distance,
)
from keras_gans.testing import GANFamilyTests


def tiny(**kwargs):
    return SphereGAN(data_shape=(8, 8, 1), latent_dim=4, width=4, feature_dim=6, **kwargs)


class TestSphereGAN(GANFamilyTests):
    compile_kwargs = {"moments": 2}
    # G is the unchanged DCGAN builder's and export is the base class's (the
    # same path TestDCGAN checks in a fresh process): skip the slow check.
    test_export_reload = None

    def make_model(self):
        return tiny()


def project(p):
    return InverseStereographicProjection(dtype="float64")(p).numpy()


def test_projection_lands_on_the_unit_sphere(rng):
    p = rng.normal(size=(50, 5)) * rng.uniform(0.01, 100, size=(50, 1))
    x = project(p)
    assert x.shape == (50, 6)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, rtol=1e-12)
    # Pi^-1 inverts the stereographic projection from N: p = x_1..n / (1 - x_n+1).
    np.testing.assert_allclose(x[:, :-1] / (1.0 - x[:, -1:]), p, rtol=1e-9)


def test_distance_to_the_north_pole_closed_form():
    # p = 0 -> south pole (d = pi); |p| = 1 -> equator (d = pi/2);
    # in general d = arccos((|p|^2 - 1) / (|p|^2 + 1)) = 2 arctan(1 / |p|).
    p = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, -1.0], [3.0, 4.0], [1e-3, 0.0]])
    x = project(p)
    np.testing.assert_allclose(x[0], [0.0, 0.0, -1.0])
    d = north_pole_distance(x).numpy()
    norm = np.linalg.norm(p, axis=1)
    np.testing.assert_allclose(d[:3], [math.pi, math.pi / 2, math.pi / 2], rtol=1e-12)
    np.testing.assert_allclose(d, np.arccos(x[:, -1]), rtol=1e-7)
    np.testing.assert_allclose(d[1:], 2 * np.arctan(1.0 / norm[1:]), rtol=1e-12)
    # Moments: sum_r d^r.
    np.testing.assert_allclose(moment_distance(x, 3).numpy(), d + d**2 + d**3, rtol=1e-12)
    np.testing.assert_allclose(moment_distance(x[:1], 3).numpy(),
                               math.pi + math.pi**2 + math.pi**3, rtol=1e-12)


def test_distance_gradients_are_finite_at_the_poles():
    p = tf.Variable([[0.0, 0.0], [1e4, 0.0]], dtype=tf.float32)
    with tf.GradientTape() as tape:
        d = tf.reduce_sum(north_pole_distance(InverseStereographicProjection()(p)))
    assert np.isfinite(tape.gradient(d, p).numpy()).all()


def test_losses_follow_the_paper_signs():
    """D: sum_r d(fake)^r - sum_r d(real)^r; G: -sum_r d(fake)^r (maximize E_z d^r)."""
    gan = tiny()
    gan.compile(moments=3)
    real_points = project(np.array([[0.5, 0.0], [0.0, 2.0]]))
    fake_points = project(np.array([[0.0, 0.0], [4.0, 4.0]]))
    table = {0.0: real_points, 1.0: fake_points}
    gan.discriminate = lambda images, labels=None, training=True: tf.constant(
        table[float(np.asarray(images).flat[0])], tf.float32)
    real = np.zeros((2, 8, 8, 1), np.float32)
    fake = np.ones((2, 8, 8, 1), np.float32)

    def moments(points):
        d = np.arccos(points[:, -1])
        return d + d**2 + d**3

    d = gan.compute_discriminator_loss(real, fake)
    np.testing.assert_allclose(d["d_loss"].numpy(), moments(fake_points) - moments(real_points),
                               rtol=1e-5)
    np.testing.assert_allclose(d["d_real"].numpy(), np.arccos(real_points[:, -1]), rtol=1e-5)
    g = gan.compute_generator_loss(fake)
    np.testing.assert_allclose(g["g_loss"].numpy(), -moments(fake_points), rtol=1e-5)


def test_defaults_and_options():
    assert registry.get("spheregan") is SphereGAN
    gan = tiny()
    gan.compile()
    assert gan.moments == 3
    config = gan.d_optimizer.get_config()
    assert (config["beta_1"], config["beta_2"]) == (0.0, 0.9)
    assert math.isclose(config["learning_rate"], 1e-4, rel_tol=1e-6)
    assert tuple(gan.discriminator.output.shape) == (None, 7)
    assert gan.get_compile_config()["moments"] == 3
    with pytest.raises(ValueError, match="own loss"):
        gan.compile(loss="hinge")
    with pytest.raises(ValueError, match="moments"):
        gan.compile(moments=0)
