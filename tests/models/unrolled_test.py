import numpy as np
import keras
import pytest
import tensorflow as tf

from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.unrolled import UnrolledGAN
from keras_gans.testing import GANFamilyTests, trainable_snapshot
from keras_gans.testing.distribute import two_device_strategy


def tiny(**kwargs):
    return UnrolledGAN(**{"data_shape": (2,), "latent_dim": 4, "width": 8, **kwargs})


class TestUnrolledGAN(GANFamilyTests):
    # One unrolled step keeps the traced graph small (the second-order graph
    # of K steps costs K times the tracing); K = 5 is tested eagerly below.
    compile_kwargs = {"unroll_steps": 1}

    def make_model(self):
        return tiny()


def _inputs(gan, n=8, seed=0):
    rng = np.random.default_rng(seed)
    real = tf.constant(rng.standard_normal((n, 2)).astype("float32"))
    z = tf.constant(gan.latents(n, seed=seed + 1))
    return real, z


def _generator_gradients(gan, real, z, steps):
    gan.unroll_steps = steps
    with tf.GradientTape() as tape:
        fake = gan.generator(z, training=True)
        loss = gan.reduce(gan.compute_generator_loss(fake, real=real)["g_loss"])
    return [g.numpy() for g in tape.gradient(loss, gan.generator.trainable_variables)]


def test_generator_step_leaves_discriminator_and_its_optimizer_unchanged():
    keras.utils.set_random_seed(0)
    gan = tiny()
    gan.compile(unroll_steps=5)
    real, _ = _inputs(gan)
    gan.discriminator_step(real)  # non-zero Adam slots and iterations
    d_before = [v.numpy().copy() for v in gan.discriminator.weights]
    opt_before = [v.numpy().copy() for v in gan.d_optimizer.variables]
    g_before = trainable_snapshot(gan.generator)
    gan.generator_step(8, real=real)
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(d_before, gan.discriminator.weights))
    assert all(np.array_equal(a, b.numpy())
               for a, b in zip(opt_before, gan.d_optimizer.variables))
    assert any(not np.array_equal(a, b) for a, b in
               zip(g_before, trainable_snapshot(gan.generator)))


@pytest.mark.parametrize("unroll_optimizer", ["adam", "sgd"])
def test_unrolled_gradient_differs_from_plain_gradient(unroll_optimizer):
    keras.utils.set_random_seed(1)
    gan = tiny()
    gan.compile(unroll_steps=5, unroll_optimizer=unroll_optimizer, unroll_learning_rate=0.05)
    real, z = _inputs(gan, seed=2)
    plain = _generator_gradients(gan, real, z, 0)
    unrolled = _generator_gradients(gan, real, z, 5)
    diff = max(np.abs(a - b).max() for a, b in zip(plain, unrolled))
    scale = max(np.abs(a).max() for a in plain)
    assert diff > 1e-3 * scale
    assert all(np.isfinite(g).all() for g in unrolled)
    # K = 0 is exactly the plain GAN's generator gradient.
    base = ConfigurableGAN(data_shape=(2,), latent_dim=4, width=8)
    base.set_weights(gan.get_weights()[:len(base.get_weights())])
    for a, b in zip(base.generator.weights + base.discriminator.weights,
                    gan.generator.weights + gan.discriminator.weights):
        a.assign(b)
    base.compile()
    with tf.GradientTape() as tape:
        fake = base.generator(z, training=True)
        loss = base.reduce(base.compute_generator_loss(fake, real=real)["g_loss"])
    for a, b in zip(tape.gradient(loss, base.generator.trainable_variables), plain):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_second_order_term_is_present():
    """With the fakes' path into the unrolled D cut, the gradient changes: G sees
    how D's update depends on it (the point of unrolling)."""
    keras.utils.set_random_seed(2)
    gan = tiny()
    gan.compile(unroll_steps=3, unroll_optimizer="sgd", unroll_learning_rate=0.1)
    real, z = _inputs(gan, seed=3)
    full = _generator_gradients(gan, real, z, 3)
    original = gan.unrolled_discriminator_weights

    def first_order(real, fake, labels=None, steps=None):
        return [tf.stop_gradient(w) for w in original(real, tf.stop_gradient(fake), labels,
                                                      steps)]

    gan.unrolled_discriminator_weights = first_order
    cut = _generator_gradients(gan, real, z, 3)
    assert max(np.abs(a - b).max() for a, b in zip(full, cut)) > 1e-6


def _d_gradients(gan, real, fake):
    with tf.GradientTape() as tape:
        loss = gan.reduce(gan.adversarial_loss.discriminator_loss(
            gan.discriminator(real, training=True), gan.discriminator(fake, training=True)))
    return tape.gradient(loss, gan.discriminator.trainable_variables)


def test_one_unrolled_adam_step_equals_the_real_adam_update():
    keras.utils.set_random_seed(3)
    gan = tiny()
    gan.compile(unroll_steps=1)
    real, z = _inputs(gan, seed=4)
    gan.discriminator_step(real)  # start from non-trivial slots
    fake = gan.generator(z, training=True)
    unrolled = gan.unrolled_discriminator_weights(real, fake, steps=1)
    gan.d_optimizer.apply_gradients(zip(_d_gradients(gan, real, fake),
                                        gan.discriminator.trainable_variables))
    for w, v in zip(unrolled, gan.discriminator.trainable_variables):
        np.testing.assert_allclose(w.numpy(), v.numpy(), rtol=1e-5, atol=1e-7)


def test_one_unrolled_sgd_step_is_a_gradient_step():
    keras.utils.set_random_seed(4)
    gan = tiny()
    gan.compile(unroll_steps=1, unroll_optimizer="sgd")
    real, z = _inputs(gan, seed=5)
    fake = gan.generator(z, training=True)
    unrolled = gan.unrolled_discriminator_weights(real, fake, steps=1)
    lr = float(gan.d_optimizer.learning_rate)
    grads = _d_gradients(gan, real, fake)
    for w, v, g in zip(unrolled, gan.discriminator.trainable_variables, grads):
        np.testing.assert_allclose(w.numpy(), v.numpy() - lr * g.numpy(), rtol=1e-6, atol=1e-8)


def test_compile_validates_options():
    gan = tiny()
    with pytest.raises(ValueError, match="unroll_optimizer='sgd'"):
        gan.compile(d_optimizer=keras.optimizers.SGD(0.1), unroll_optimizer="adam")
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1), unroll_optimizer="sgd")
    with pytest.raises(ValueError, match="unroll_steps"):
        gan.compile(unroll_steps=-1)


def test_unrolled_weights_match_across_replicas_and_one_device():
    """Each replica unrolls with the global-batch gradient (all-reduced)."""
    keras.utils.set_random_seed(5)
    gan = tiny()
    gan.compile(unroll_steps=2)
    real, z = _inputs(gan, n=8, seed=6)
    fake = gan.generator(z, training=False)
    single = gan.unrolled_discriminator_weights(real, fake)
    strategy = two_device_strategy()

    def half(tensor):
        return strategy.experimental_distribute_values_from_function(
            lambda ctx: tensor[4 * ctx.replica_id_in_sync_group:][:4])

    per_replica = strategy.run(lambda r, f: gan.unrolled_discriminator_weights(r, f),
                               args=(half(real), half(fake)))
    for w, replicas in zip(single, per_replica):
        for value in strategy.experimental_local_results(replicas):
            np.testing.assert_allclose(value.numpy(), w.numpy(), rtol=1e-5, atol=1e-7)
