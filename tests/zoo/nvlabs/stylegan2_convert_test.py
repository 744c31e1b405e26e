"""StyleGAN2 converters against NVIDIA's own outputs on the reference fixtures.

The fixtures (`../shared/fixtures/nvlabs/`) hold small random-weight
networks written by NVIDIA's code and the outputs that code computed; every
array must be reproduced within 1e-3 (independent float32 implementations
agree to ~1e-5; one unconverted tensor moves the images by 0.06 to 7).
"""

import dataclasses
import importlib.util
import math
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.data.validation import to_uint8
from keras_gans.zoo.nvlabs.reader import read_snapshot
from keras_gans.zoo.nvlabs.stylegan2 import (
    ConversionError,
    convert_stylegan2,
    stylegan2_config,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
TOLERANCE = 1e-3


def _check_script():
    path = os.path.join(REPO, "scripts", "check_nvlabs_fixtures.py")
    spec = importlib.util.spec_from_file_location("_check_nvlabs_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECK = _check_script()


@pytest.fixture(scope="module")
def pytorch_case(nvlabs_file):
    snap = read_snapshot(nvlabs_file("sg2ada_A.pkl"))
    return snap, convert_stylegan2(snap), np.load(nvlabs_file("sg2ada_A_ref.npz"))


@pytest.fixture(scope="module")
def tf_case(nvlabs_file):
    snap = read_snapshot(nvlabs_file("stylegan2_small.pkl"))
    return snap, convert_stylegan2(snap), np.load(nvlabs_file("stylegan2_small_ref.npz"))


def _assert_all_close(ours, ref):
    assert set(ref.files) - {"z", "c"} == set(ours)
    worst = {k: float(np.max(np.abs(np.asarray(ours[k], np.float64) - ref[k]))) for k in ours}
    bad = {k: v for k, v in worst.items() if not v <= TOLERANCE}
    assert not bad, bad
    return worst


def test_pytorch_snapshot_reproduces_every_reference_array(pytorch_case):
    _, gan, ref = pytorch_case
    worst = _assert_all_close(CHECK.sg2ada_outputs(gan, ref), ref)
    # The images are O(1): the tolerance is not vacuous.
    assert np.abs(ref["img_psi1_const"]).max() > 1.0 and worst["img_psi1_const"] < 1e-4


def test_tf_snapshot_reproduces_every_reference_array(tf_case):
    _, gan, ref = tf_case
    _assert_all_close(CHECK.tf_stylegan2_outputs(gan, ref), ref)


def test_architecture_and_truncation_defaults_come_from_the_files(pytorch_case, tf_case):
    pt, tf_gan = pytorch_case[1], tf_case[1]
    assert (pt.resolution, pt.channels, pt.latent_dim, pt.mapping_layers, pt.num_ws) == \
        (32, 1, 64, 2, 8)
    assert pt.synthesis_options["conv_clamp"] == 256.0
    assert pt.discriminator_options["mbstd_grouping"] == "strided"
    assert [pt.generator.synthesis.widths[k] for k in range(4)] == [64, 64, 64, 32]
    assert (tf_gan.channels, tf_gan.mapping_layers, tf_gan.channel_base) == (3, 8, 1024)
    # TF G_main's defaults: psi 0.5 on every layer.
    assert tf_gan.truncation_psi == 0.5 and tf_gan.truncation_cutoff is None
    assert pt.truncation_psi == 1.0


def test_public_sampling_api_matches_the_references(tf_case, pytorch_case):
    _, gan, ref = tf_case
    z = ref["z"]
    nhwc = (lambda x: np.transpose(x, (0, 2, 3, 1)))
    # The default psi is the file's (0.5); generate clips to [-1, 1].
    np.testing.assert_allclose(gan.generate(z), np.clip(nhwc(ref["img_psi05"]), -1, 1),
                               atol=TOLERANCE)
    np.testing.assert_allclose(gan.generate(z, truncation_psi=1.0),
                               np.clip(nhwc(ref["img_psi1"]), -1, 1), atol=TOLERANCE)
    np.testing.assert_allclose(gan.mapping(z), ref["dlatents_psi1"][:, 0], atol=TOLERANCE)
    np.testing.assert_allclose(gan.discriminate(nhwc(ref["img_psi07"])), ref["d_img_psi07"],
                               atol=TOLERANCE)
    _, pt, pref = pytorch_case
    np.testing.assert_allclose(
        pt.generate(pref["z"], truncation_psi=0.7, noise_mode="none"),
        np.clip(nhwc(pref["img_psi07_none"]), -1, 1), atol=TOLERANCE)
    assert np.abs(pt.generate(pref["z"], noise_mode="none")
                  - pt.generate(pref["z"], noise_mode="const")).max() > 1e-2


def test_minibatch_groups_are_the_official_strided_ones(pytorch_case):
    _, gan, ref = pytorch_case
    images = np.transpose(ref["img_psi1_const"], (0, 2, 3, 1))
    logits = np.asarray(gan.discriminate(images))
    # Swapping two samples of one group {0, 2, 4, 6} only permutes the logits...
    swapped = np.asarray(gan.discriminate(images[[2, 1, 0, 3, 4, 5, 6, 7]]))
    np.testing.assert_allclose(swapped, logits[[2, 1, 0, 3, 4, 5, 6, 7]], atol=1e-5)
    # ...moving a sample into the other group changes them.
    moved = np.asarray(gan.discriminate(images[[1, 0, 2, 3, 4, 5, 6, 7]]))
    assert np.abs(moved - logits[[1, 0, 2, 3, 4, 5, 6, 7]]).max() > 1e-4


def test_which_selects_the_training_generator(tf_case, pytorch_case):
    snap, gan, ref = tf_case
    training = convert_stylegan2(snap, which="G", ema_decay=None)
    img = training.inference_generator(tf.constant(ref["z"]), noise_mode="const")
    np.testing.assert_allclose(np.transpose(img, (0, 3, 1, 2)), ref["img_G_psi1"], atol=TOLERANCE)
    # The model's own training G is the file's G in both conversions.
    for a, b in zip(gan.generator.weights, training.generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    pt_snap = pytorch_case[0]
    np.testing.assert_array_equal(pytorch_case[1].generator.mapping.get_layer("dense0").kernel,
                                  pt_snap["G"].tensors["mapping.fc0.weight"].T)
    with pytest.raises(ConversionError, match="which must be 'G_ema'"):
        convert_stylegan2(pt_snap, which="D")


def test_one_fit_step_trains_the_converted_g_and_d(pytorch_case, nvlabs_file):
    gan = convert_stylegan2(read_snapshot(nvlabs_file("sg2ada_A.pkl")))
    # Eager: one step, so tracing the regularized graph (R1 and path length
    # are both due at step 0) would cost ten times the step itself.
    gan.compile(run_eagerly=True)
    before_g = [w.numpy().copy() for w in gan.generator.trainable_weights]
    before_d = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    data = np.tanh(np.random.default_rng(0).standard_normal((8, 32, 32, 1))).astype("float32")
    history = gan.fit(tf.data.Dataset.from_tensor_slices(data).batch(8), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])
    moved_g = max(np.abs(a - w.numpy()).max()
                  for a, w in zip(before_g, gan.generator.trainable_weights))
    moved_d = max(np.abs(a - w.numpy()).max()
                  for a, w in zip(before_d, gan.discriminator.trainable_weights))
    assert moved_g > 1e-6 and moved_d > 1e-6


def test_unsupported_kwargs_are_refused_with_the_supported_list(pytorch_case, tf_case):
    snap = pytorch_case[0]

    def with_kwargs(record, **changes):
        return dataclasses.replace(record, kwargs={**record.kwargs, **changes})

    odd = dict(snap, G_ema=with_kwargs(snap["G_ema"], synthesis_kwargs={
        **snap["G_ema"].kwargs["synthesis_kwargs"], "architecture": "spiral"}))
    with pytest.raises(ConversionError, match=r"architecture='spiral'.*'skip', 'orig'") as info:
        stylegan2_config(odd)
    assert "\n" not in str(info.value)
    unknown = dict(snap, G_ema=with_kwargs(snap["G_ema"], magic_kwarg=1))
    with pytest.raises(ConversionError, match=r"unsupported kwargs \['magic_kwarg'\].*z_dim"):
        stylegan2_config(unknown)
    tf_snap = tf_case[0]
    tf_odd = dict(tf_snap, D=with_kwargs(tf_snap["D"], fmap_decay=0.5))
    with pytest.raises(ConversionError, match="fmap_decay=0.5"):
        stylegan2_config(tf_odd)


def test_a_leftover_or_missing_tensor_is_an_error(pytorch_case):
    snap = pytorch_case[0]
    extra = dataclasses.replace(snap["D"], tensors={**snap["D"].tensors,
                                                    "b8.mystery.weight": np.zeros(3)})
    with pytest.raises(ConversionError, match="no place in the Keras model.*b8.mystery"):
        convert_stylegan2(dict(snap, D=extra))
    tensors = dict(snap["G_ema"].tensors)
    del tensors["synthesis.b16.conv0.noise_strength"]
    with pytest.raises(ConversionError, match="b16.conv0.noise_strength' is missing"):
        convert_stylegan2(dict(snap, G_ema=dataclasses.replace(snap["G_ema"], tensors=tensors)))


# ----------------------------------------------------------- conditional
def _lrelu(x):
    return np.where(x >= 0, x, 0.2 * x) * math.sqrt(2.0)


def _normalize(x):
    return x / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + 1e-8)


def _fc(x, weight, bias, lr=1.0, act=False):
    y = x @ (weight.astype(np.float64) * lr / math.sqrt(weight.shape[1])).T + bias * lr
    return _lrelu(y) if act else y


def _conditional_snapshot(snap, classes=3, seed=0):
    """sg2ada_A made conditional (c_dim = classes): embed + wider fc0 in G, a label
    mapping and a cmap-wide output in D, all random."""
    rng = np.random.default_rng(seed)

    def add(record, tensors, **kwargs):
        return dataclasses.replace(record, kwargs={**record.kwargs, "c_dim": classes, **kwargs},
                                   tensors={**record.tensors, **tensors})

    g_extra = {"mapping.embed.weight": rng.standard_normal((64, classes)),
               "mapping.embed.bias": rng.standard_normal(64),
               "mapping.fc0.weight": rng.standard_normal((64, 128)) * 10}
    d_extra = {"mapping.embed.weight": rng.standard_normal((64, classes)),
               "mapping.embed.bias": rng.standard_normal(64),
               "b4.out.weight": rng.standard_normal((64, 64)),
               "b4.out.bias": rng.standard_normal(64)}
    for i in range(2):
        d_extra[f"mapping.fc{i}.weight"] = rng.standard_normal((64, 64)) * 10
        d_extra[f"mapping.fc{i}.bias"] = rng.standard_normal(64) * 10
    d_kwargs = {"mapping_kwargs": {"num_layers": 2}}
    return dict(snap, G=add(snap["G"], g_extra), G_ema=add(snap["G_ema"], g_extra),
                D=add(snap["D"], d_extra, **d_kwargs))


@pytest.fixture(scope="module")
def conditional_case(pytorch_case):
    snap = _conditional_snapshot(pytorch_case[0])
    return snap, convert_stylegan2(snap)


def test_conditional_mapping_matches_a_float64_reference(conditional_case):
    snap, gan = conditional_case
    t = snap["G_ema"].tensors
    z = np.random.default_rng(1).standard_normal((4, 64))
    labels = np.array([0, 2, 1, 2])
    c = np.eye(3)[labels]
    x = np.concatenate([_normalize(z), _normalize(_fc(c, t["mapping.embed.weight"],
                                                      t["mapping.embed.bias"]))], axis=1)
    for i in range(2):
        x = _fc(x, t[f"mapping.fc{i}.weight"], t[f"mapping.fc{i}.bias"], lr=0.01, act=True)
    np.testing.assert_allclose(gan.mapping(z.astype(np.float32), labels), x, rtol=1e-4,
                               atol=1e-4)
    assert gan.num_classes == 3
    assert gan.generate(z.astype(np.float32), labels=labels).shape == (4, 32, 32, 1)
    with pytest.raises(ValueError, match="is conditional: pass labels"):
        gan.generate(z.astype(np.float32))


def test_conditional_discriminator_projects_on_the_mapped_label(conditional_case):
    snap, gan = conditional_case
    t = snap["D"].tensors
    labels = np.array([0, 1, 2, 1, 0, 2, 2, 1])
    images = np.tanh(np.random.default_rng(2).standard_normal((8, 32, 32, 1))).astype("float32")
    logits = np.asarray(gan.discriminate(images, labels))
    cmap = _normalize(_fc(np.eye(3)[labels], t["mapping.embed.weight"], t["mapping.embed.bias"]))
    for i in range(2):
        cmap = _fc(cmap, t[f"mapping.fc{i}.weight"], t[f"mapping.fc{i}.bias"], lr=0.01, act=True)
    disc = gan.discriminator
    np.testing.assert_allclose(disc.get_layer("mapping")(np.eye(3)[labels].astype("float32")),
                               cmap, rtol=1e-4, atol=1e-4)
    # The epilogue's output features, before the projection.
    epilogue = disc.get_layer("epilogue")
    trunk = keras.Model(disc.inputs[0], disc.get_layer("block8_scale").output)
    h = epilogue.mbstd(trunk(images))
    h = epilogue.conv(h)
    out = np.asarray(epilogue.out(epilogue.dense(tf.reshape(h, [8, -1]))), np.float64)
    expected = np.sum(out * cmap, axis=1, keepdims=True) / math.sqrt(64)
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)
    # Another label changes the logit.
    assert np.abs(np.asarray(gan.discriminate(images, (labels + 1) % 3)) - logits).max() > 1e-3


def test_conditional_model_config_round_trips(conditional_case, tmp_path):
    from keras_gans.models.stylegan2 import StyleGAN2

    _, gan = conditional_case
    config = gan.get_config()
    assert config["num_classes"] == 3 and config["discriminator_options"]["mapping_layers"] == 2
    clone = StyleGAN2.from_config(config)
    clone.set_weights(gan.get_weights())
    z = gan.latents(3, seed=4)
    np.testing.assert_allclose(clone.generate(z, labels=[0, 1, 2]),
                               gan.generate(z, labels=[0, 1, 2]), atol=1e-6)


# ---------------------------------------------------------------- export
def test_converted_model_exports_and_serves_with_tensorflow_alone(tf_case, tmp_path):
    from keras_gans.export import export_savedmodel

    _, gan, ref = tf_case
    path = export_savedmodel(gan, os.path.join(tmp_path, "sm", "stylegan2_small"))
    z = ref["z"][:4]
    psi = np.array([1.0, 0.7, 0.5, 0.0], np.float32)
    np.save(os.path.join(tmp_path, "z.npy"), z)
    np.save(os.path.join(tmp_path, "psi.npy"), psi)
    np.save(os.path.join(tmp_path, "ref.npy"), to_uint8(gan.generate(z, truncation_psi=psi)))
    np.save(os.path.join(tmp_path, "ref_w.npy"), gan.mapping(z))
    code = textwrap.dedent(f"""
        import sys, numpy as np, tensorflow as tf
        d = {str(tmp_path)!r}
        m = tf.saved_model.load({str(path)!r})
        s = m.signatures
        z, psi = np.load(d + "/z.npy"), np.load(d + "/psi.npy")
        img = s["serving_default"](z=tf.constant(z), truncation_psi=tf.constant(psi))["images"]
        w = s["mapping"](z=tf.constant(z))["w"].numpy()
        mix = s["style_mixing"](z1=tf.constant(z), z2=tf.constant(z[::-1].copy()),
                                crossover=tf.constant([0, 1, 2, 99], tf.int32))["images"]
        syn = s["synthesis"](w=tf.constant(w))["images"]
        print(repr({{"serve": int(np.abs(img.numpy().astype(int)
                                        - np.load(d + "/ref.npy").astype(int)).max()),
                    "w": float(np.abs(w - np.load(d + "/ref_w.npy")).max()),
                    "mix": tuple(mix.shape), "syn": tuple(syn.shape), "dtype": img.dtype.name,
                    "imported": "keras_gans" in sys.modules}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    result = eval(out.stdout.strip().splitlines()[-1])
    assert result == {"serve": result["serve"], "w": result["w"], "mix": (4, 32, 32, 3),
                      "syn": (4, 32, 32, 3), "dtype": "uint8", "imported": False}
    assert result["serve"] <= 1 and result["w"] < 1e-5


@pytest.mark.parametrize("g_arch, d_arch", [("orig", "orig"), ("resnet", "skip")])
def test_other_official_architectures_convert_every_tensor(g_arch, d_arch):
    from keras_gans.zoo.nvlabs.stylegan2 import synthetic_pytorch_snapshot

    snap = synthetic_pytorch_snapshot(16, 8, 8, 2, 64, 16, 3, architecture=g_arch,
                                      d_architecture=d_arch, conv_clamp=None)
    # Conversion fails on a leftover tensor or a Keras variable left unset.
    gan = convert_stylegan2(snap)
    assert gan.synthesis_options["architecture"] == g_arch
    assert gan.discriminator_options["architecture"] == d_arch
    t = snap["G_ema"].tensors
    syn = gan.inference_generator.synthesis
    np.testing.assert_array_equal(syn.to_rgbs[-1].kernel.numpy()[0, 0],
                                  t["synthesis.b16.torgb.weight"][:, :, 0, 0].T)
    if g_arch == "resnet":
        np.testing.assert_array_equal(syn.skips[1].kernel.numpy()[0, 0],
                                      t["synthesis.b16.skip.weight"][:, :, 0, 0].T)
    images = gan.generate(gan.latents(4, seed=0))
    assert images.shape == (4, 16, 16, 3) and np.isfinite(gan.discriminate(images)).all()


def test_tf_defaults_are_read_from_the_embedded_source_without_running_it(tf_case, tmp_path):
    import re

    snap = tf_case[0]
    source = snap["Gs"].source
    official = re.compile(r"truncation_psi(\s*)=(\s*)0\.5,")
    assert len(official.findall(source)) == 1

    def with_default(text):
        return dict(snap, Gs=dataclasses.replace(snap["Gs"], source=official.sub(
            "truncation_psi = " + text + ",", source)))

    assert stylegan2_config(with_default("0.25"))["truncation_psi"] == 0.25
    sentinel = tmp_path / "ran"
    hostile = with_default(f"__import__('os').system('touch {sentinel}')")
    # Not a constant: ignored (G_main's documented default applies), never evaluated.
    assert stylegan2_config(hostile)["truncation_psi"] == 0.5 and not sentinel.exists()


def test_stylegan3_style_flat_synthesis_kwargs_are_accepted(pytorch_case):
    snap = pytorch_case[0]
    kwargs = dict(snap["G_ema"].kwargs)
    flat = {**kwargs.pop("synthesis_kwargs"), "fused_modconv_default": "inference_only"}
    record = dataclasses.replace(snap["G_ema"], kwargs={**kwargs, **flat})
    config = stylegan2_config(dict(snap, G_ema=record))
    assert (config["channel_base"], config["synthesis_options"]["conv_clamp"]) == (1024, 256.0)
