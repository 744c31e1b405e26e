"""Penalties against independent float64 references (closed forms, finite
differences, explicit Jacobians)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.losses.penalties import (
    dragan_penalty,
    dragan_perturb,
    gradient_penalty,
    interpolate,
    interpolation_shape,
    lipschitz_penalty,
    path_length_penalty,
    r1_penalty,
    r2_penalty,
)

F64 = tf.float64


def linear_critic(v):
    """D(x) = <v, x> per example; its input gradient is v everywhere."""
    v = tf.constant(v, F64)

    def critic(x):
        return tf.reduce_sum(tf.cast(v, x.dtype) * x, axis=list(range(1, x.shape.rank)))

    return critic


class TinyMLP:
    """D(x) = tanh(x W1 + b1) W2, in numpy (reference) and in TensorFlow."""

    def __init__(self, dim=3, hidden=4, seed=0):
        rng = np.random.default_rng(seed)
        self.w1 = rng.normal(size=(dim, hidden))
        self.b1 = rng.normal(size=(hidden,))
        self.w2 = rng.normal(size=(hidden, 1))

    def numpy(self, x, w1=None):
        w1 = self.w1 if w1 is None else w1
        return (np.tanh(x @ w1 + self.b1) @ self.w2)[:, 0]

    def tf(self, w1=None):
        w1 = tf.constant(self.w1) if w1 is None else w1

        def critic(x):
            return tf.tanh(x @ w1 + self.b1) @ self.w2

        return critic


def fd_gradients(fn, x, h=1e-5):
    """Central differences of a per-example scalar function, per example."""
    grads = np.zeros_like(x)
    for idx in np.ndindex(*x.shape[1:]):
        step = np.zeros_like(x)
        step[(slice(None),) + idx] = h
        grads[(slice(None),) + idx] = (fn(x + step) - fn(x - step)) / (2 * h)
    return grads


def fd_norm(fn, x):
    g = fd_gradients(fn, x)
    return np.sqrt((g.reshape(len(x), -1) ** 2).sum(axis=1))


# --- WGAN-GP --------------------------------------------------------------


def test_gp_of_unit_norm_linear_critic_is_zero():
    v = np.array([0.6, 0.8, 0.0])
    real = np.random.default_rng(0).normal(size=(5, 3))
    fake = np.random.default_rng(1).normal(size=(5, 3))
    eps = np.linspace(0.0, 1.0, 5)
    pen = gradient_penalty(linear_critic(v), real, fake, eps)
    assert pen.shape == (5,)
    np.testing.assert_allclose(pen.numpy(), 0.0, atol=1e-12)


def test_gp_of_norm_two_linear_critic_is_one_per_example():
    v = np.array([1.2, 1.6, 0.0])  # ||v|| = 2
    real, fake = np.ones((4, 3)), -np.ones((4, 3))
    pen = gradient_penalty(linear_critic(v), real, fake, np.full([4, 1], 0.3))
    np.testing.assert_allclose(pen.numpy(), np.ones(4), rtol=1e-9)
    # The caller's lambda multiplies it: 10 * 1 per example, nothing reduced.
    np.testing.assert_allclose((10.0 * pen).numpy(), np.full(4, 10.0), rtol=1e-9)


def test_gp_target_and_image_shaped_inputs():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(4, 4, 2))
    real, fake = rng.normal(size=(3, 4, 4, 2)), rng.normal(size=(3, 4, 4, 2))
    norm = np.linalg.norm(v)
    pen = gradient_penalty(linear_critic(v), real, fake, np.full([3, 1, 1, 1], 0.5), target=2.0)
    np.testing.assert_allclose(pen.numpy(), np.full(3, (norm - 2.0) ** 2), rtol=1e-8)


def test_gp_matches_finite_differences_on_tanh_mlp():
    mlp = TinyMLP()
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    eps = rng.uniform(size=(6, 1))
    x_hat = eps * real + (1 - eps) * fake
    expected = (fd_norm(mlp.numpy, x_hat) - 1.0) ** 2
    pen = gradient_penalty(mlp.tf(), real, fake, eps)
    np.testing.assert_allclose(pen.numpy(), expected, rtol=1e-7, atol=1e-10)


def test_gp_weight_gradient_matches_finite_differences():
    """Double back-propagation: d(mean GP)/d(W1[0, 0]) against a numeric one."""
    mlp = TinyMLP()
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    eps = rng.uniform(size=(4, 1))
    x_hat = eps * real + (1 - eps) * fake

    w1 = tf.Variable(mlp.w1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(gradient_penalty(mlp.tf(w1), real, fake, eps))
    grad = tape.gradient(loss, w1).numpy()[0, 0]

    def gp_numpy(w1_value):
        g = fd_gradients(lambda x: mlp.numpy(x, w1_value), x_hat, h=1e-4)
        return np.mean((np.linalg.norm(g, axis=1) - 1.0) ** 2)

    h = 1e-4
    step = np.zeros_like(mlp.w1)
    step[0, 0] = h
    expected = (gp_numpy(mlp.w1 + step) - gp_numpy(mlp.w1 - step)) / (2 * h)
    np.testing.assert_allclose(grad, expected, rtol=1e-4)


def test_epsilon_is_one_value_per_example():
    real = tf.constant(np.random.default_rng(0).normal(size=(3, 4, 4, 1)))
    fake = tf.zeros_like(real)
    assert interpolation_shape(real).numpy().tolist() == [3, 1, 1, 1]
    assert interpolation_shape(tf.zeros([5, 2])).numpy().tolist() == [5, 1]

    eps = np.array([0.0, 0.5, 1.0])
    x_hat = interpolate(real, fake, eps).numpy()
    # Each example is scaled by its own epsilon (fake = 0): x_hat_i = eps_i * real_i.
    np.testing.assert_allclose(x_hat, eps[:, None, None, None] * real.numpy())
    # [batch] and [batch, 1, 1, 1] are the same thing.
    np.testing.assert_array_equal(x_hat, interpolate(real, fake, eps.reshape(3, 1, 1, 1)).numpy())

    # A per-pixel epsilon (the classic bug) is an error, not a broadcast.
    per_pixel = np.random.default_rng(1).uniform(size=(3, 4, 4, 1))
    with pytest.raises(ValueError, match="one value per example"):
        interpolate(real, fake, per_pixel)
    with pytest.raises(ValueError, match="one value per example"):
        gradient_penalty(linear_critic(np.ones((4, 4, 1))), real, fake, per_pixel)
    with pytest.raises(ValueError):
        interpolate(real, fake, np.ones((3, 1)))  # wrong rank for images


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_penalties_in_tf_function_and_dtypes(dtype):
    v = np.array([1.2, 1.6])  # ||v|| = 2
    real = tf.random.stateless_normal([4, 2], seed=[0, 0], dtype=dtype)
    fake = tf.random.stateless_normal([4, 2], seed=[0, 1], dtype=dtype)
    eps = tf.random.stateless_uniform(interpolation_shape(real), seed=[0, 2], dtype=dtype)

    @tf.function
    def all_penalties():
        critic = linear_critic(v)
        return (
            gradient_penalty(critic, real, fake, eps),
            lipschitz_penalty(critic, real, fake, eps),
            dragan_penalty(critic, real, dragan_perturb(real, tf.ones_like(real), eps)),
            r1_penalty(critic, real),
            r2_penalty(critic, fake),
        )

    gp, lp, dragan, r1, r2 = all_penalties()
    for p in (gp, lp, dragan, r1, r2):
        assert p.dtype == dtype and p.shape == (4,)
    tol = 1e-5 if dtype == tf.float32 else 1e-10
    np.testing.assert_allclose(gp.numpy(), 1.0, rtol=tol)
    np.testing.assert_allclose(lp.numpy(), 1.0, rtol=tol)
    np.testing.assert_allclose(dragan.numpy(), 1.0, rtol=tol)
    np.testing.assert_allclose(r1.numpy(), 4.0, rtol=tol)
    np.testing.assert_allclose(r2.numpy(), 4.0, rtol=tol)


def test_penalties_under_xla():
    mlp = TinyMLP()
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    eps = rng.uniform(size=(4, 1))

    @tf.function(jit_compile=True)
    def compiled(real, fake, eps):
        return gradient_penalty(mlp.tf(), real, fake, eps), r1_penalty(mlp.tf(), real)

    gp, r1 = compiled(real, fake, eps)
    np.testing.assert_allclose(gp.numpy(), gradient_penalty(mlp.tf(), real, fake, eps).numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(r1.numpy(), fd_norm(mlp.numpy, real) ** 2, rtol=1e-7)


def test_keras_critic_with_column_logits():
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="tanh"),
                               keras.layers.Dense(1)])
    real = tf.random.stateless_normal([4, 2], seed=[1, 0])
    fake = tf.random.stateless_normal([4, 2], seed=[1, 1])
    eps = tf.random.stateless_uniform([4, 1], seed=[1, 2])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(gradient_penalty(critic, real, fake, eps)) / 4.0
    kernel1, bias1, kernel2, bias2 = tape.gradient(loss, critic.trainable_variables)
    for g in (kernel1, bias1, kernel2):
        assert g is not None and np.isfinite(g.numpy()).all() and np.abs(g.numpy()).sum() > 0
    assert bias2 is None  # the output bias does not change input gradients


# --- WGAN-LP --------------------------------------------------------------


@pytest.mark.parametrize("norm", [0.25, 0.9, 1.0, 1.5, 3.0])
def test_lp_is_one_sided(norm):
    v = np.array([norm, 0.0, 0.0])
    real, fake = np.ones((2, 3)), np.zeros((2, 3))
    pen = lipschitz_penalty(linear_critic(v), real, fake, np.array([0.2, 0.7])).numpy()
    expected = max(norm - 1.0, 0.0) ** 2
    np.testing.assert_allclose(pen, np.full(2, expected), atol=1e-9)


def test_lp_matches_finite_differences_on_tanh_mlp():
    mlp = TinyMLP(seed=4)
    rng = np.random.default_rng(5)
    real, fake = 2 * rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    eps = rng.uniform(size=(8,))
    norms = fd_norm(mlp.numpy, eps[:, None] * real + (1 - eps[:, None]) * fake)
    assert (norms < 1).any() and (norms > 1).any()  # both branches are exercised
    expected = np.maximum(norms - 1.0, 0.0) ** 2
    pen = lipschitz_penalty(mlp.tf(), real, fake, eps).numpy()
    np.testing.assert_allclose(pen, expected, rtol=1e-7, atol=1e-10)


# --- DRAGAN ---------------------------------------------------------------


def test_dragan_perturbation_scale():
    rng = np.random.default_rng(6)
    real = rng.normal(loc=1.0, scale=3.0, size=(4, 5, 5, 1))
    std = real.std()  # one scalar over the whole batch (numpy's X.std(), ddof=0)

    ones = np.ones_like(real)
    delta = dragan_perturb(real, ones, np.ones(4)).numpy()
    np.testing.assert_allclose(delta, np.full(real.shape, 0.5 * std), rtol=1e-12)

    noise = rng.uniform(size=real.shape)
    alpha = rng.uniform(size=(4, 1, 1, 1))
    delta = dragan_perturb(real, noise, alpha, scale=0.25).numpy()
    np.testing.assert_allclose(delta, alpha * 0.25 * std * noise, rtol=1e-12)
    # With noise and alpha in [0, 1], |delta| <= scale * std.
    assert np.abs(delta).max() <= 0.25 * std

    np.testing.assert_array_equal(dragan_perturb(real, noise, np.zeros(4)).numpy(), 0.0)
    delta = dragan_perturb(real, ones, np.ones(4), std=2.0).numpy()
    np.testing.assert_allclose(delta, np.ones_like(real), rtol=1e-12)
    with pytest.raises(ValueError):
        dragan_perturb(real, noise, noise)  # a per-element alpha


def test_dragan_penalty_matches_finite_differences():
    mlp = TinyMLP(seed=7)
    rng = np.random.default_rng(8)
    real = rng.normal(size=(5, 3))
    delta = dragan_perturb(real, rng.uniform(size=real.shape), rng.uniform(size=5)).numpy()
    expected = (fd_norm(mlp.numpy, real + delta) - 1.0) ** 2
    pen = dragan_penalty(mlp.tf(), real, delta).numpy()
    np.testing.assert_allclose(pen, expected, rtol=1e-7, atol=1e-10)


# --- R1 / R2 --------------------------------------------------------------


def conv_critic():
    rng = np.random.default_rng(9)
    kernel = tf.constant(rng.normal(size=(3, 3, 1, 2)))
    dense = tf.constant(rng.normal(size=(4 * 4 * 2, 1)) / 4)

    def critic(x):
        h = tf.tanh(tf.nn.conv2d(x, kernel, strides=1, padding="SAME"))
        return tf.reshape(h, [-1, 4 * 4 * 2]) @ dense

    return critic


def test_r1_matches_squared_finite_difference_norm_on_conv_critic():
    critic = conv_critic()
    real = np.random.default_rng(10).normal(size=(3, 4, 4, 1))
    fd = fd_gradients(lambda x: critic(tf.constant(x)).numpy()[:, 0], real)
    expected = (fd.reshape(3, -1) ** 2).sum(axis=1)
    r1 = r1_penalty(critic, real).numpy()
    assert r1.shape == (3,)
    np.testing.assert_allclose(r1, expected, rtol=1e-7)
    np.testing.assert_allclose(r2_penalty(critic, real).numpy(), expected, rtol=1e-7)


def test_r1_of_flat_critic_is_zero_and_raises_for_constant():
    real = tf.ones([2, 3], F64)
    np.testing.assert_array_equal(r1_penalty(lambda x: 0.0 * x[:, 0], real).numpy(), 0.0)
    with pytest.raises(ValueError, match="does not depend"):
        r1_penalty(lambda x: tf.zeros([2], F64), real)


# --- Path length ----------------------------------------------------------


def tiny_synthesis(num_ws=2, w_dim=3, seed=11):
    a = tf.constant(np.random.default_rng(seed).normal(size=(num_ws, w_dim, 4)))

    def synthesis(w):
        if w.shape.rank == 2:  # broadcast one w to every layer
            w = tf.tile(w[:, None, :], [1, num_ws, 1])
        return tf.reshape(tf.tanh(tf.einsum("bnd,ndk->bk", w, tf.cast(a, w.dtype))), [-1, 2, 2, 1])

    return synthesis


def explicit_lengths(synthesis, w, y):
    """||J_i^T y_i|| per example from the full Jacobian of every output."""
    w = tf.constant(w)
    with tf.GradientTape() as tape:
        tape.watch(w)
        images = synthesis(w)
    jac = tape.jacobian(images, w).numpy()  # [B, 2, 2, 1, B, *w.shape[1:]]
    y = y / np.sqrt(2 * 2)
    lengths = []
    for i in range(w.shape[0]):
        jt_y = np.tensordot(y[i], jac[i, :, :, :, i], axes=3)  # w.shape[1:]
        sq = jt_y ** 2
        lengths.append(np.sqrt(sq.sum(-1).mean() if sq.ndim == 2 else sq.sum()))
    return np.array(lengths)


@pytest.mark.parametrize("w_shape", [(3, 2, 3), (3, 3)])
def test_path_length_matches_explicit_jacobian(w_shape):
    rng = np.random.default_rng(12)
    synthesis = tiny_synthesis()
    w = rng.normal(size=w_shape)
    y = rng.normal(size=(3, 2, 2, 1))
    lengths = explicit_lengths(synthesis, w, y)

    pl_mean, decay = 0.7, 0.1
    pen, new_mean = path_length_penalty(synthesis, w, y, pl_mean, decay)
    expected_mean = pl_mean + decay * (lengths.mean() - pl_mean)
    np.testing.assert_allclose(new_mean.numpy(), expected_mean, rtol=1e-8)
    np.testing.assert_allclose(pen.numpy(), (lengths - expected_mean) ** 2, rtol=1e-7, atol=1e-12)
    assert pen.shape == (3,)


def test_path_length_in_tf_function_with_variable_mean():
    synthesis = tiny_synthesis()
    w = tf.random.stateless_normal([2, 2, 3], seed=[2, 0])
    y = tf.random.stateless_normal([2, 2, 2, 1], seed=[2, 1])
    pl_var = tf.Variable(0.0, trainable=False)

    @tf.function
    def step():
        pen, new_mean = path_length_penalty(synthesis, w, y, pl_var)
        pl_var.assign(new_mean)
        return pen

    first = step()
    assert first.dtype == tf.float32 and first.shape == (2,)
    lengths = explicit_lengths(synthesis, w.numpy().astype(np.float64), y.numpy())
    np.testing.assert_allclose(pl_var.numpy(), 0.01 * lengths.mean(), rtol=1e-4)
    with pytest.raises(ValueError):
        path_length_penalty(synthesis, tf.zeros([2, 1, 2, 3]), y, 0.0)


def test_orthogonal_penalty_and_gradient_match_float64_numpy():
    from keras_gans.losses.penalties import orthogonal_penalty

    rng = np.random.default_rng(3)
    kernel = rng.normal(size=(3, 3, 2, 5))  # a Conv2D kernel: 5 filters of 18 weights
    w = kernel.reshape(-1, 5)
    gram = w.T @ w
    mask = 1.0 - np.eye(5)
    beta = 1e-4
    expected = beta * np.sum((gram * mask) ** 2)
    # d/dW beta ||(W^T W) * M||^2 = 4 beta W ((W^T W) * M) for a symmetric mask.
    expected_grad = (4 * beta * w @ (gram * mask)).reshape(kernel.shape)
    k = tf.constant(kernel, F64)
    with tf.GradientTape() as tape:
        tape.watch(k)
        value = orthogonal_penalty(k, beta=beta)
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(value, k).numpy(), expected_grad, rtol=1e-10)
    # Finite differences on one entry, independently of the closed form.
    eps = 1e-6
    bumped = kernel.copy()
    bumped[1, 2, 0, 3] += eps
    wb = bumped.reshape(-1, 5)
    fd = (beta * np.sum((wb.T @ wb * mask) ** 2) - expected) / eps
    np.testing.assert_allclose(expected_grad[1, 2, 0, 3], fd, rtol=1e-4)
    # Off-diagonal only: scaling orthogonal filters costs nothing.
    assert float(orthogonal_penalty(tf.constant(np.diag([1.0, 3.0, 0.5]), F64))) == 0.0
