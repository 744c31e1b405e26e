import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.models import registry
from keras_gans.models.ssgan import (
    SemiSupervisedGAN,
    feature_matching_loss,
    feature_matching_per_example,
    supervised_loss,
    unsupervised_discriminator_loss,
)
from keras_gans.testing import GANFamilyTests


def tiny(**kwargs):
    return SemiSupervisedGAN(data_shape=(8, 8, 1), latent_dim=4, width=4, num_classes=3,
                             **kwargs)


class TestSemiSupervisedGAN(GANFamilyTests):
    # G is the unchanged DCGAN builder's and export is the base class's (the
    # same path TestDCGAN checks in a fresh process): skip the slow check.
    test_export_reload = None

    def make_model(self):
        return tiny()

    def make_batch(self, model, seed=0):
        # Half labelled, half unlabelled (-1), as keras_gans.data.semisupervised yields.
        images, _ = super().make_batch(model, seed)
        labels = np.array([seed % 3, (seed + 1) % 3, -1, -1], np.int32)
        return images, labels


def logsumexp(x):
    m = x.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))[:, 0]


def test_unlabelled_loss_is_the_salimans_formula():
    """-log D(x) - log(1 - D(G(z))), D(x) = Z(x) / (Z(x) + 1), Z = sum_k exp(l_k)."""
    rng = np.random.default_rng(0)
    real = rng.normal(size=(6, 4)) * 3
    fake = rng.normal(size=(6, 4)) * 3
    z_real, z_fake = np.exp(real).sum(1), np.exp(fake).sum(1)
    expected = -np.log(z_real / (z_real + 1.0)) - np.log(1.0 - z_fake / (z_fake + 1.0))
    np.testing.assert_allclose(unsupervised_discriminator_loss(real, fake).numpy(), expected,
                               rtol=1e-5)
    # It is the K+1-class cross-entropy with the fake logit fixed at 0.
    with_fake = np.concatenate([real, np.zeros((6, 1))], axis=1)
    p_fake_real = np.exp(0 - logsumexp(with_fake))
    np.testing.assert_allclose(-np.log(1 - p_fake_real), -np.log(z_real / (z_real + 1)),
                               rtol=1e-10)
    # And what the model computes through its compiled loss.
    gan = tiny()
    gan.compile()
    table = {0.0: real, 1.0: fake}
    gan.discriminate = lambda images, labels=None, training=True: (
        tf.constant(table[float(np.asarray(images).flat[0])], tf.float32),
        tf.zeros([6, 2]))
    labels = np.array([2, -1, 0, -1, -1, 3])
    terms = gan.compute_discriminator_loss(np.zeros((6, 8, 8, 1), np.float32),
                                           np.ones((6, 8, 8, 1), np.float32), labels)
    np.testing.assert_allclose(terms["d_unsup"].numpy(), expected, rtol=1e-5)
    # Supervised: -log softmax(l)[y] on labelled examples only.
    ce = logsumexp(real) - real[np.arange(6), np.maximum(labels, 0)]
    sup = np.where(labels >= 0, ce, 0.0)
    np.testing.assert_allclose(terms["d_sup"].numpy(), sup, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(terms["d_loss"].numpy(), expected + sup, rtol=1e-5)
    correct = (real.argmax(1) == labels)[labels >= 0]
    np.testing.assert_allclose(terms["d_acc_labelled"].numpy(), correct.mean())


def test_supervised_loss_masks_unlabelled_and_feature_matching():
    logits = np.array([[5.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    sup, mask = supervised_loss(np.array([1, -1]), logits)
    np.testing.assert_allclose(sup.numpy(), [5.0 + np.log(1 + 2 * np.exp(-5.0)), 0.0], rtol=1e-6)
    np.testing.assert_array_equal(mask.numpy(), [1.0, 0.0])
    real = np.array([[1.0, 2.0], [3.0, 4.0]])
    fake = np.array([[0.0, 0.0], [1.0, 0.0]])
    # Batch means [2, 3] and [0.5, 0].
    np.testing.assert_allclose(float(feature_matching_loss(real, fake)), 1.5**2 + 3.0**2)


def test_classifier_and_classify_agree():
    gan = tiny()
    gan.compile()
    images = np.tanh(np.random.default_rng(0).standard_normal((5, 8, 8, 1))).astype(np.float32)
    probs = gan.classify(images)
    assert probs.shape == (5, 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    model = gan.classifier()
    assert isinstance(model, keras.Model)
    np.testing.assert_allclose(model.predict(images, verbose=0), probs, rtol=1e-5, atol=1e-6)
    uint8 = np.clip(np.rint((images + 1) * 127.5), 0, 255).astype(np.uint8)
    np.testing.assert_allclose(gan.classify(uint8), probs, atol=2e-2)


def test_unconditional_generator_and_options():
    assert registry.get("semi_supervised_gan") is SemiSupervisedGAN
    gan = tiny()
    assert gan.num_classes is None and gan.num_label_classes == 3
    assert gan.sample(2).shape == (2, 8, 8, 1)  # no labels needed
    gan.compile(generator_loss="non_saturating", supervised_weight=2.0)
    assert gan.get_compile_config()["generator_loss"] == "non_saturating"
    with pytest.raises(ValueError, match="non_saturating"):
        gan.compile(loss="hinge")
    with pytest.raises(ValueError, match="feature_matching"):
        gan.compile(generator_loss="l2")
    clone = SemiSupervisedGAN.from_config(gan.get_config())
    assert clone.num_label_classes == 3


def test_per_example_feature_matching_has_the_value_and_gradient_of_feature_matching():
    rng = np.random.default_rng(1)
    real = tf.constant(rng.normal(size=(6, 5)), tf.float32)
    fake = tf.Variable(rng.normal(size=(6, 5)), dtype=tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        reference = feature_matching_loss(real, fake)
        per_example = feature_matching_per_example(real, fake)
        reduced = tf.reduce_mean(per_example)
    assert per_example.shape == (6,)
    np.testing.assert_allclose(reduced.numpy(), reference.numpy(), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(reduced, fake).numpy(),
                               tape.gradient(reference, fake).numpy(), rtol=1e-4, atol=1e-6)
    # Float64 reference: |mean(real) - mean(fake)|^2.
    diff = real.numpy().astype(np.float64).mean(0) - fake.numpy().astype(np.float64).mean(0)
    np.testing.assert_allclose(reference.numpy(), (diff ** 2).sum(), rtol=1e-5)


REGULARIZATION = {"input_noise": 0.3, "hidden_noise": 0.5, "input_dropout": 0.2, "dropout": 0.5}


def test_discriminator_regularization_acts_in_training_mode_only():
    """Salimans et al.'s noisy D: noise/dropout in training, the plain D at inference."""
    kwargs = dict(data_shape=(16, 16, 1), latent_dim=4, width=4, num_classes=3)
    gan = SemiSupervisedGAN(discriminator_options=REGULARIZATION, **kwargs)
    plain = SemiSupervisedGAN(**kwargs)
    names = [layer.name for layer in gan.discriminator.layers]
    for name in ("input_dropout", "input_noise", "down0_lrelu_dropout", "down0_lrelu_noise",
                 "features_dropout", "features_noise"):
        assert name in names
    # The last hidden layer (the features G matches) gets no noise of its own
    # before the features output; the class layer sees it after noise/dropout.
    assert "down1_lrelu_dropout" not in names
    plain.discriminator.set_weights(gan.discriminator.get_weights())
    x = np.tanh(np.random.default_rng(0).standard_normal((4, 16, 16, 1))).astype(np.float32)
    for a, b in zip(gan.discriminator(x, training=False), plain.discriminator(x, training=False)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    logits_1, _ = gan.discriminator(x, training=True)
    logits_2, _ = gan.discriminator(x, training=True)
    assert not np.allclose(logits_1.numpy(), logits_2.numpy())
    # classify() and classifier() are deterministic (inference mode).
    np.testing.assert_allclose(gan.classify(x), gan.classify(x))
    np.testing.assert_allclose(gan.classify(x), plain.classify(x), rtol=1e-5, atol=1e-6)
    # Trains, and the options survive get_config.
    gan.compile()
    logs = gan.train_step((tf.constant(x), tf.constant([0, 2, -1, -1], tf.int32)))
    assert all(np.isfinite(float(logs[k])) for k in ("d_loss", "g_loss", "d_sup", "d_unsup"))
    clone = SemiSupervisedGAN.from_config(gan.get_config())
    assert [layer.name for layer in clone.discriminator.layers] == names


def test_discriminator_regularization_on_mlp_and_validation():
    gan = SemiSupervisedGAN(data_shape=(2,), latent_dim=4, width=8, num_classes=3,
                            discriminator_options={"dropout": 0.5, "hidden_noise": 0.1})
    names = [layer.name for layer in gan.discriminator.layers]
    assert "dense0_lrelu_dropout" in names and "features_noise" in names
    assert gan.classify(np.zeros((3, 2), np.float32)).shape == (3, 3)
    with pytest.raises(ValueError, match="dropout"):
        tiny(discriminator_options={"dropout": 1.0})
    with pytest.raises(ValueError, match="input_noise"):
        tiny(discriminator_options={"input_noise": -0.1})
