import os

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.layers.filters import upsample_2d
from keras_gans.losses import penalties
from keras_gans.models import get
from keras_gans.models.stylegan2 import StyleGAN2
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.style import StyleExportContract




def tiny(**kwargs):
    return StyleGAN2(**{"resolution": 8, "latent_dim": 8, "mapping_layers": 2,
                        "channel_base": 64, "channel_max": 8, **kwargs})


class TestStyleGAN2(StyleExportContract, GANFamilyTests):
    def make_model(self):
        return tiny()


def _images(seed, n=4):
    rng = np.random.default_rng(seed)
    return tf.constant(np.tanh(rng.standard_normal((n, 8, 8, 1))), tf.float32)


def test_lazy_r1_term_is_gamma_half_interval_squared_gradient():
    gan = tiny()
    gan.compile(r1_gamma=3.0)  # interval 16 by default
    real, fake = _images(0), _images(1)

    def critic(x):
        return gan.discriminate(x, training=True)

    expected = 0.5 * 3.0 * 16 * np.asarray(penalties.r1_penalty(critic, real))
    assert gan.d_optimizer.iterations.numpy() == 0  # a regularization step
    terms = gan.compute_discriminator_loss(real, fake)
    np.testing.assert_allclose(terms["d_r1"], expected, rtol=1e-5)
    adversarial = gan.adversarial_loss.discriminator_loss(critic(real), critic(fake))
    np.testing.assert_allclose(terms["d_loss"], adversarial + expected, rtol=1e-5)
    # Off-steps skip it entirely; step 32 is due again.
    for step, due in ((1, False), (15, False), (32, True)):
        gan.d_optimizer.iterations.assign(step)
        r1 = np.asarray(gan.compute_discriminator_loss(real, fake)["d_r1"])
        np.testing.assert_allclose(r1, expected if due else 0.0, rtol=1e-5)


def test_lazy_r1_inside_a_graph_matches_eager():
    gan = tiny()
    gan.compile(r1_gamma=10.0, r1_interval=4)
    real, fake = _images(2), _images(3)
    step = tf.function(lambda r, f: gan.compute_discriminator_loss(r, f)["d_r1"])
    eager = np.asarray(gan.compute_discriminator_loss(real, fake)["d_r1"])
    np.testing.assert_allclose(step(real, fake), eager, rtol=1e-5)
    gan.d_optimizer.iterations.assign(2)
    np.testing.assert_allclose(step(real, fake), 0.0)


def test_path_length_mean_and_penalty_follow_the_formula(monkeypatch):
    gan = tiny()
    gan.compile(pl_batch_shrink=2)
    gan.pl_mean.assign(0.5)
    synthesis = gan.generator.synthesis
    rng = np.random.default_rng(7)
    ws = tf.constant(rng.standard_normal((2, gan.num_ws, 8)), tf.float32)
    noise = [tf.constant(rng.standard_normal((2, h, w, 1)), tf.float32)
             for h, w in synthesis.noise_shapes]
    y = tf.constant(rng.standard_normal((2, 8, 8, 1)), tf.float32)
    monkeypatch.setattr(gan, "path_length_inputs", lambda batch: (ws, noise, y))
    # Independent computation of a_i = sqrt(mean_layers ||(J^T y / sqrt(HW))_layer||^2).
    with tf.GradientTape() as tape:
        tape.watch(ws)
        images = synthesis(ws, noise=noise)
        projected = tf.reduce_sum(images * y / np.sqrt(64.0))
    grads = np.asarray(tape.gradient(projected, ws))
    lengths = np.sqrt(np.mean(np.sum(grads ** 2, axis=2), axis=1))
    new_mean = 0.5 + 0.01 * (lengths.mean() - 0.5)
    terms = gan.generator_step(4)  # iterations 0: a regularization step
    np.testing.assert_allclose(float(gan.pl_mean.numpy()), new_mean, rtol=1e-5)
    np.testing.assert_allclose(float(terms["pl_mean"]), new_mean, rtol=1e-5)
    # Applied per batch: weight 2 x interval 4 x the mean over the 2 samples.
    penalty = (lengths - new_mean) ** 2
    np.testing.assert_allclose(np.mean(terms["g_pl"]), 2.0 * 4 * penalty.mean(), rtol=1e-4)
    assert terms["g_pl"].shape == (4,)
    # Not due at G step 1: the mean stays and no penalty is applied.
    terms = gan.generator_step(4)
    np.testing.assert_allclose(float(gan.pl_mean.numpy()), new_mean, rtol=1e-5)
    np.testing.assert_allclose(terms["g_pl"], 0.0)


def test_skip_generator_sums_upsampled_rgb():
    gan = tiny()
    syn = gan.generator.synthesis
    rng = np.random.default_rng(0)
    ws = tf.constant(rng.standard_normal((2, gan.num_ws, 8)), tf.float32)
    x = tf.tile(syn.const, [2, 1, 1, 1])
    x = syn._conv(0, x, ws, None, "const", None)
    rgb4 = syn._rgb(0, x, ws)
    x = syn._conv(2, syn._conv(1, x, ws, None, "const", None), ws, None, "const", None)
    expected = upsample_2d(rgb4) + syn._rgb(1, x, ws)
    np.testing.assert_allclose(syn(ws), expected, atol=1e-5)
    assert syn.num_ws == 4 and len(syn.to_rgbs) == 2


def test_defaults_follow_the_paper_and_registry():
    assert get("stylegan2") is StyleGAN2
    gan = tiny()
    gan.compile()
    assert (gan.r1_gamma, gan.r1_interval) == (10.0, 16)
    assert (gan.pl_weight, gan.pl_interval, gan.pl_decay, gan.pl_batch_shrink) == (2.0, 4, 0.01, 2)
    assert gan.truncation_cutoff is None and gan.style_mixing_prob == 0.9
    assert float(gan.g_optimizer.learning_rate.numpy()) == pytest.approx(0.002)
    assert gan.g_optimizer.beta_1 == 0.0 and gan.g_optimizer.beta_2 == 0.99
    names = [layer.name for layer in gan.discriminator.layers]
    assert "block8_skip" in names and "block8_scale" in names  # residual D
    assert all(not layer.per_channel for layer in gan.generator.synthesis.noises)
    config = gan.get_compile_config()
    assert config["pl_interval"] == 4 and config["r1_interval"] == 16


# ------------------------------------------- official layout options (issue 12)
def _ws(gan, seed=0, n=2):
    rng = np.random.default_rng(seed)
    return tf.constant(rng.standard_normal((n, gan.num_ws, gan.w_dim)), tf.float32)


def test_resnet_generator_adds_an_fir_upsampled_1x1_skip():
    gan = tiny(synthesis_options={"architecture": "resnet"})
    syn = gan.generator.synthesis
    assert len(syn.to_rgbs) == 1 and len(syn.skips) == 1
    ws = _ws(gan)
    x = syn._conv(0, tf.tile(syn.const, [2, 1, 1, 1]), ws, None, "const", None)
    # The skip: a 1x1 conv (no bias) then the [1, 3, 3, 1] FIR upsampling.
    skip = upsample_2d(tf.nn.conv2d(x, syn.skips[0].runtime_kernel(), 1, "SAME"))
    np.testing.assert_allclose(syn.skips[0](x), skip, atol=1e-5)
    main = syn._conv(2, syn._conv(1, x, ws, None, "const", None), ws, None, "const", None)
    expected = syn._rgb(1, (skip + main) / np.sqrt(2.0), ws)
    np.testing.assert_allclose(syn(ws), expected, atol=1e-5)


def test_orig_generator_has_one_to_rgb_and_conv_clamp_bounds_it():
    free = tiny(synthesis_options={"architecture": "orig"})
    clamped = tiny(synthesis_options={"architecture": "orig", "conv_clamp": 0.01})
    clamped.set_weights(free.get_weights())
    assert [layer.name for layer in free.generator.synthesis.to_rgbs] == ["to_rgb1"]
    ws = _ws(free, 1)
    assert np.abs(free.generator.synthesis(ws)).max() > 0.05
    assert np.abs(clamped.generator.synthesis(ws)).max() <= 0.01 + 1e-7


def test_discriminator_architectures_have_the_official_layers():
    names = {arch: {layer.name for layer in
                    tiny(discriminator_options={"architecture": arch}).discriminator.layers}
             for arch in ("resnet", "orig", "skip")}
    assert "block8_skip" in names["resnet"] and "block8_skip" not in names["orig"]
    assert {"block8_skip", "block8_from_rgb"}.isdisjoint(names["orig"])
    assert {"epilogue_from_rgb", "block8_downsample"} <= names["skip"]
    with pytest.raises(ValueError, match="d_architecture must be one of"):
        tiny(discriminator_options={"architecture": "spiral"})
    with pytest.raises(ValueError, match=r"unknown keys \['bogus'\]"):
        tiny(synthesis_options={"bogus": 1})


def test_options_and_labels_round_trip_through_a_keras_file(tmp_path):
    import keras

    gan = tiny(num_classes=3, truncation_psi=0.6,
               synthesis_options={"architecture": "resnet", "conv_clamp": 2.0},
               discriminator_options={"architecture": "skip", "mbstd_grouping": "strided",
                                      "mapping_layers": 2})
    path = os.path.join(tmp_path, "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    z, labels = gan.latents(4, seed=3), [0, 1, 2, 1]
    np.testing.assert_allclose(loaded.generate(z, labels), gan.generate(z, labels), atol=1e-6)
    images = gan.generate(z, labels, truncation_psi=1.0)
    np.testing.assert_allclose(loaded.discriminate(images, labels),
                               gan.discriminate(images, labels), atol=1e-6)
    assert loaded.truncation_psi == 0.6 and loaded.num_classes == 3
    # The label reaches G: another label, another image.
    assert np.abs(gan.generate(z, [2, 2, 2, 2]) - gan.generate(z, labels)).max() > 1e-3


def test_conditional_stylegan2_trains_and_its_endpoints_take_labels():
    gan = tiny(num_classes=3)
    gan.compile(run_eagerly=True)
    rng = np.random.default_rng(0)
    images = np.tanh(rng.standard_normal((4, 8, 8, 1))).astype("float32")
    labels = np.array([0, 1, 2, 0], np.int32)
    before = [w.numpy().copy() for w in gan.generator.trainable_weights]
    gan.fit(tf.data.Dataset.from_tensor_slices((images, labels)).batch(4), epochs=1, verbose=0)
    assert max(np.abs(a - w.numpy()).max()
               for a, w in zip(before, gan.generator.trainable_weights)) > 0
    # The export endpoints (what export_savedmodel traces), called eagerly.
    endpoints = {name: (fn, spec) for name, fn, spec in gan.export_endpoints()}
    assert [s.name for s in endpoints["serving_default"][1]] == ["z", "truncation_psi", "labels"]
    assert endpoints["style_mixing"][1][-1].name == "labels"
    z = gan.latents(4, seed=1)
    served = endpoints["serving_default"][0](tf.constant(z), tf.ones([4]), tf.constant(labels))
    expected = (np.clip(gan.generate(z, labels, truncation_psi=1.0), -1, 1) + 1) * 127.5
    assert np.abs(served["images"].numpy().astype(int) - np.rint(expected)).max() <= 1
    w = endpoints["mapping"][0](tf.constant(z), tf.constant(labels))["w"].numpy()
    np.testing.assert_allclose(w, gan.mapping(z, labels), atol=1e-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must lie in"):
        endpoints["mapping"][0](tf.constant(z), tf.constant([0, 1, 3, 0]))
