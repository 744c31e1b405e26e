import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.models import registry
from keras_gans.models.biggan import (BigGAN, SharedEmbeddingBatchNorm, resample_beyond,
                                      seeded_truncated_latents)
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.conditional import check_label_validation


# The same mixin as in sagan_test.py (test files do not import each other);
# it belongs in the shared harness as a flag.
def unchanged_up_to_spectral_renormalization(model, before):
    """G's weights after a D step: untouched, except spectrally normalized kernels,
    which G's own training-mode forward pass rescales by 1 / sigma (a scalar)."""
    for v, b in zip(model.trainable_variables, before):
        a = v.numpy()
        if np.array_equal(a, b):
            continue
        scale = np.sum(a * b) / np.sum(b * b)
        np.testing.assert_allclose(a, scale * b, rtol=1e-4, atol=1e-6, err_msg=v.path)
        assert "kernel" in v.path, f"{v.path} changed in a D step"


class SpectralGeneratorTests(GANFamilyTests):
    """The harness, for families with spectral norm in G AND D.

    Keras's SpectralNormalization assigns W / sigma to the wrapped kernel on
    every training-mode call: a G step renormalizes D's kernels, and a D step
    (which runs G in training mode to make its fakes) renormalizes G's. The D
    step test then checks that G's weights changed only by those scalings.
    """

    generator_step_may_change_discriminator = True

    def test_discriminator_step_changes_only_discriminator(self):
        from keras_gans.testing.harness import changed, trainable_snapshot
        import tensorflow as tf

        model = self.build()
        real, labels = self.make_batch(model)
        g0, d0 = trainable_snapshot(model.generator), trainable_snapshot(model.discriminator)
        model.discriminator_step(tf.constant(real), tf.constant(labels))
        unchanged_up_to_spectral_renormalization(model.generator, g0)
        assert any(changed(d0, trainable_snapshot(model.discriminator))), "D unchanged"


class TestBigGAN(SpectralGeneratorTests):
    compile_kwargs = {"d_steps": 1}

    def make_model(self):
        return BigGAN(**BigGAN.example_config)


@pytest.fixture(scope="module")
def gan():
    keras.utils.set_random_seed(0)
    gan = BigGAN(resolution=16, latent_dim=9, width=8, num_classes=3, shared_dim=4,
                 attention_resolution=8, ortho_beta=1e-4)
    gan.compile(d_steps=1)
    return gan


def test_defaults(gan):
    assert registry.get("biggan") is BigGAN
    fresh = BigGAN(**BigGAN.example_config)
    fresh.compile()
    assert fresh.adversarial_loss.name == "hinge" and fresh.d_steps == 2
    lrs = [o.get_config()["learning_rate"] for o in (fresh.d_optimizer, fresh.g_optimizer)]
    np.testing.assert_allclose(lrs, [2e-4, 5e-5], rtol=1e-6)


def test_shared_embedding_bn_is_one_plus_linear_gain_and_linear_bias():
    layer = SharedEmbeddingBatchNorm(spectral_norm=False, epsilon=1e-5)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 2, 2, 3)).astype(np.float32)
    c = rng.normal(size=(4, 5)).astype(np.float32)
    layer([x, c], training=True)
    wg, wb = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    layer.gain.kernel.assign(wg.astype(np.float32))
    layer.bias.kernel.assign(wb.astype(np.float32))
    out = layer([x, c], training=True).numpy()
    x64 = x.astype(np.float64)
    normalized = (x64 - x64.mean((0, 1, 2))) / np.sqrt(x64.var((0, 1, 2)) + 1e-5)
    ref = normalized * (1 + c @ wg)[:, None, None] + (c @ wb)[:, None, None]
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


def test_hierarchical_chunks_reach_their_blocks(gan):
    # 16x16: 2 blocks, z of 9 in 3 chunks: chunk 0 -> projection, chunk i+1 -> block i.
    g = gan.generator
    for layer in g._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, SharedEmbeddingBatchNorm):  # zero init: give the maps weight
            for v in (layer.gain.kernel, layer.bias.kernel):
                v.assign(np.random.default_rng(1).normal(size=v.shape).astype(np.float32) * 0.3)
    z = tf.constant(gan.latents(4, seed=0))
    labels = tf.constant([0, 1, 2, 0])
    used = []
    for name in ("reshape", "up0", "up1"):
        probe = keras.Model(g.inputs, g.get_layer(name).output)
        with tf.GradientTape() as tape:
            tape.watch(z)
            out = probe([z, labels], training=False)
            total = tf.reduce_sum(out ** 2)
        used.append(np.abs(tape.gradient(total, z).numpy()).reshape(4, 3, 3).sum((0, 2)))
    assert used[0][0] > 0 and used[0][1] == 0 and used[0][2] == 0   # projection: chunk 0
    assert used[1][0] > 0 and used[1][1] > 0 and used[1][2] == 0    # block 0: + chunk 1
    assert all(used[2] > 0)                                          # block 1: + chunk 2


def test_orthogonal_regularization_matches_numpy_and_excludes_the_embedding(gan):
    weights = gan.orthogonal_weights()
    embedding = gan.generator.get_layer("shared_embedding").kernel
    assert all(w is not embedding for w in weights) and len(weights) > 5
    expected = 0.0
    for w in weights:
        m = np.asarray(w).astype(np.float64).reshape(-1, w.shape[-1])
        gram = m.T @ m
        expected += 1e-4 * np.sum((gram * (1 - np.eye(len(gram)))) ** 2)
    labels = tf.constant([0, 1, 2, 0])
    fake = gan.generator([tf.constant(gan.latents(4)), labels], training=False)
    terms = gan.compute_generator_loss(fake, labels)
    np.testing.assert_allclose(float(terms["g_ortho"]), expected, rtol=1e-4)


def test_truncation_bounds_and_infinity_is_identity(gan):
    for t in (0.25, 1.0, 2.0):
        assert np.abs(gan.truncated_latents(64, seed=3, threshold=t)).max() <= t
    np.testing.assert_array_equal(gan.truncated_latents(8, seed=3, threshold=np.inf),
                                  gan.latents(8, seed=3))
    z = tf.constant(gan.latents(16, seed=4))
    np.testing.assert_array_equal(resample_beyond(z, np.inf, [0, 1]), z)
    out = resample_beyond(z, 0.5, [0, 1]).numpy()
    assert np.abs(out).max() <= 0.5
    keep = np.abs(z.numpy()) <= 0.5
    np.testing.assert_array_equal(out[keep], z.numpy()[keep])
    rows = seeded_truncated_latents([5, 6, 5], [np.inf, 0.3, 0.3], 9).numpy()
    assert np.abs(rows[1:]).max() <= 0.3
    np.testing.assert_array_equal(rows[0], tf.random.stateless_normal([9], [5, 0]).numpy())
    with pytest.raises(ValueError, match="positive"):
        gan.truncated_latents(2, threshold=0.0)


def test_label_validation_and_truncated_endpoint(gan, tmp_path):
    from keras_gans.export import export_savedmodel

    check_label_validation(gan)
    path = export_savedmodel(gan, os.path.join(str(tmp_path), "sm", "biggan"))
    loaded = tf.saved_model.load(path)
    fn = loaded.signatures["truncated"]
    seeds = tf.constant([1, 2, 3], tf.int32)
    labels = tf.constant([0, 1, 2], tf.int32)
    plain = fn(seeds=seeds, truncation=tf.fill([3], np.inf), labels=labels)
    z = plain["z"].numpy()
    np.testing.assert_array_equal(z[0], tf.random.stateless_normal([9], [1, 0]).numpy())
    ref = np.clip(np.rint((gan.generate(z, labels.numpy()) + 1) * 127.5), 0, 255)
    assert np.abs(plain["images"].numpy().astype(int) - ref).max() <= 1
    cut = fn(seeds=seeds, truncation=tf.constant([0.5, 0.5, 0.5]), labels=labels)
    assert np.abs(cut["z"].numpy()).max() <= 0.5
    with pytest.raises(tf.errors.InvalidArgumentError, match="positive"):
        fn(seeds=seeds, truncation=tf.zeros([3]), labels=labels)
