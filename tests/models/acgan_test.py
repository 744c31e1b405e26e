import numpy as np
import pytest
import tensorflow as tf

from keras_gans.models import registry
from keras_gans.models.acgan import ACGAN
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.conditional import (
    check_export_rejects_out_of_range_labels,
    check_label_validation,
)


def tiny(**kwargs):
    return ACGAN(data_shape=(8, 8, 1), latent_dim=4, width=4, num_classes=3, **kwargs)


class TestACGAN(GANFamilyTests):
    compile_kwargs = {"d_class_weight": 0.5, "g_class_weight": 2.0}

    def make_model(self):
        return tiny()


def test_registered_and_compile_options_saved():
    assert registry.get("acgan") is ACGAN
    gan = tiny()
    gan.compile(d_class_weight=0.5, g_class_weight=2.0)
    config = gan.get_compile_config()
    assert (config["d_class_weight"], config["g_class_weight"]) == (0.5, 2.0)
    with pytest.raises(ValueError, match="d_class_weight"):
        gan.compile(d_class_weight=-1.0)


def test_label_validation_and_export(tmp_path):
    gan = tiny()
    gan.compile()
    check_label_validation(gan)
    check_export_rejects_out_of_range_labels(gan, tmp_path)


def test_discriminator_has_source_and_class_heads_and_no_label_input():
    gan = tiny()
    d = gan.discriminator
    assert len(d.inputs) == 1
    assert [tuple(t.shape) for t in d.outputs] == [(None, 1), (None, 3)]


def softplus(x):
    return np.logaddexp(0.0, x)


def cross_entropy(labels, logits):
    logits = logits - logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels]


def test_losses_equal_the_formula_on_fixed_logits():
    """d = -L_S + lambda1 (CE_real + CE_fake), g = -log D(G(z)) + lambda2 CE_fake."""
    lam1, lam2 = 0.7, 1.9
    gan = tiny()
    gan.compile(d_class_weight=lam1, g_class_weight=lam2)
    rng = np.random.default_rng(0)
    real_src, fake_src = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    real_cls, fake_cls = rng.normal(size=(5, 3)) * 2, rng.normal(size=(5, 3)) * 2
    labels = np.array([0, 2, 1, 1, 2])
    real = np.zeros((5, 8, 8, 1), np.float32)
    fake = np.ones((5, 8, 8, 1), np.float32)
    table = {0.0: (real_src, real_cls), 1.0: (fake_src, fake_cls)}

    def fixed_discriminator(images, labels=None, training=True):
        src, cls = table[float(np.asarray(images).flat[0])]
        return tf.constant(src, tf.float32), tf.constant(cls, tf.float32)

    gan.discriminate = fixed_discriminator
    d = gan.compute_discriminator_loss(real, fake, tf.constant(labels))
    ce_real, ce_fake = cross_entropy(labels, real_cls), cross_entropy(labels, fake_cls)
    # -L_S per example: -log sigmoid(s_real) - log(1 - sigmoid(s_fake)).
    expected_d = softplus(-real_src[:, 0]) + softplus(fake_src[:, 0]) + lam1 * (ce_real + ce_fake)
    np.testing.assert_allclose(d["d_loss"].numpy(), expected_d, rtol=1e-5)
    np.testing.assert_allclose(d["d_cls"].numpy(), ce_real + ce_fake, rtol=1e-5)
    np.testing.assert_array_equal(d["d_acc_real"].numpy(),
                                  (real_cls.argmax(1) == labels).astype(np.float32))
    g = gan.compute_generator_loss(fake, tf.constant(labels))
    np.testing.assert_allclose(g["g_loss"].numpy(), softplus(-fake_src[:, 0]) + lam2 * ce_fake,
                               rtol=1e-5)
    np.testing.assert_allclose(g["g_cls"].numpy(), ce_fake, rtol=1e-5)


def test_training_needs_labels():
    gan = tiny()
    gan.compile()
    with pytest.raises(ValueError, match="with_labels=True"):
        gan.fit(np.zeros((4, 8, 8, 1), np.float32), batch_size=4, epochs=1, verbose=0)
