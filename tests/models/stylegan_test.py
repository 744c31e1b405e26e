import os

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.models import get
from keras_gans.layers.minibatch_std import MinibatchStandardDeviation
from keras_gans.models.karras_common import (
    PSI_MESSAGE,
    ConsecutiveMinibatchStd,
    assert_truncation_psi,
    save_style_mixing_figure,
    slerp,
    truncate,
)
from keras_gans.models.stylegan import StyleGAN
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.style import StyleExportContract, with_noise


def tiny(**kwargs):
    return StyleGAN(**{"resolution": 8, "latent_dim": 8, "mapping_layers": 2,
                       "channel_base": 64, "channel_max": 8, **kwargs})


class TestStyleGAN(StyleExportContract, GANFamilyTests):
    def make_model(self):
        return tiny()


def _z(n=3, dim=8, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")


def test_truncation_psi_endpoints():
    gan = tiny(truncation_cutoff=None)
    gan.generator_ema.w_avg.assign(np.linspace(-1, 1, 8).astype("float32"))
    z = _z(4)
    ws = np.repeat(gan.mapping(z)[:, None], gan.num_ws, axis=1)
    w_avg = gan.inference_generator.w_avg.numpy()
    # psi = 0: every z maps to the average w, hence to one image.
    np.testing.assert_allclose(truncate(ws, w_avg, 0.0), np.broadcast_to(w_avg, ws.shape),
                               atol=1e-6)
    images = gan.generate(z, truncation_psi=0.0)
    np.testing.assert_allclose(images, np.broadcast_to(images[:1], images.shape), atol=1e-6)
    np.testing.assert_allclose(images, gan.synthesis(np.tile(w_avg, (4, 1))), atol=1e-5)
    # psi = 1 is the identity.
    np.testing.assert_allclose(truncate(ws, w_avg, 1.0), ws, atol=1e-6)
    np.testing.assert_allclose(gan.generate(z, truncation_psi=1.0), gan.generate(z), atol=1e-6)
    # Per-sample psi: each sample gets its own.
    per_sample = gan.generate(z[:2], truncation_psi=[0.0, 1.0])
    np.testing.assert_allclose(per_sample[0], images[0], atol=1e-5)
    np.testing.assert_allclose(per_sample[1], gan.generate(z[1:2])[0], atol=1e-5)


def test_truncation_cutoff_keeps_fine_layers():
    w_avg = np.zeros(3, np.float32)
    ws = np.ones((2, 4, 3), np.float32)
    out = np.asarray(truncate(ws, w_avg, 0.5, cutoff=2))
    np.testing.assert_allclose(out[:, :2], 0.5)
    np.testing.assert_allclose(out[:, 2:], 1.0)
    assert tiny().truncation_cutoff == 8  # the paper's default


def test_bad_psi_is_rejected_in_python_and_in_graph():
    gan = tiny()
    for bad in (1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match=r"truncation_psi must lie in \[0, 1\]") as info:
            gan.generate(_z(2), truncation_psi=bad)
        assert str(bad) in str(info.value)
    with pytest.raises(ValueError, match="2.0"):
        gan.sample(2, truncation_psi=[0.5, 2.0])
    check = tf.function(assert_truncation_psi, autograph=False)
    np.testing.assert_array_equal(check(tf.constant([0.0, 1.0])), [0.0, 1.0])
    for bad in ([0.5, 1.5], [np.nan]):
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            check(tf.constant(bad, tf.float32))
        assert PSI_MESSAGE in str(info.value)
    # The exported serving function itself (traced with autograph off).
    serve = dict((n, (f, s)) for n, f, s in gan.export_endpoints())["serving_default"]
    fn = tf.function(serve[0], input_signature=serve[1], autograph=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="truncation_psi must lie"):
        fn(tf.constant(_z(2)), tf.constant([0.5, 1.5]))


def test_style_mixing_crossover_endpoints():
    gan = with_noise(tiny())
    z1, z2 = _z(3, seed=1), _z(3, seed=2)
    np.testing.assert_allclose(gan.style_mixing(z1, z2, 0), gan.generate(z2), atol=1e-5)
    np.testing.assert_allclose(gan.style_mixing(z1, z2, gan.num_ws), gan.generate(z1),
                               atol=1e-5)
    np.testing.assert_allclose(gan.style_mixing(z1, z2, 100), gan.generate(z1), atol=1e-5)
    mid = gan.style_mixing(z1, z2, 2)
    assert not np.allclose(mid, gan.generate(z1), atol=1e-4)
    assert not np.allclose(mid, gan.generate(z2), atol=1e-4)


def test_mix_styles_grid(tmp_path):
    gan = tiny()
    rows, cols = _z(2, seed=3), _z(3, seed=4)
    grid = gan.mix_styles(rows, cols, layers=range(gan.num_ws))
    assert grid.shape == (3, 4, 8, 8, 1) and grid.dtype == np.uint8
    assert not grid[0, 0].any()
    for i in range(2):  # all layers from the row source: the row source's image
        for j in range(3):
            np.testing.assert_array_equal(grid[i + 1, j + 1], grid[i + 1, 0])
    none = gan.mix_styles(rows, cols, layers=[])
    for i in range(2):  # no layer from the row source: the column source's image
        np.testing.assert_array_equal(none[i + 1, 1:], none[0, 1:])
    path = save_style_mixing_figure(gan.mix_styles(rows, cols), os.path.join(tmp_path, "m.png"))
    assert os.path.getsize(path) > 0


def test_interpolation_endpoints_and_files(tmp_path):
    gan = tiny()
    z0, z1 = _z(1, seed=5)[0], _z(1, seed=6)[0]
    ends = gan.sample(1, seed=0)  # warm-up of the numpy path
    assert ends.shape == (1, 8, 8, 1)
    png, gif = os.path.join(tmp_path, "strip.png"), os.path.join(tmp_path, "strip.gif")
    for space in ("z", "w"):
        frames = gan.interpolate(z0, z1, steps=5, space=space, path=png, gif_path=gif)
        assert frames.shape == (5, 8, 8, 1) and frames.dtype == np.uint8
        exact = gan.generate(np.stack([z0, z1]))
        np.testing.assert_allclose(frames[[0, -1]].astype(int),
                                   np.rint((exact + 1) * 127.5), atol=1)
    assert os.path.getsize(png) > 0 and os.path.getsize(gif) > 0
    from PIL import Image

    assert Image.open(gif).n_frames == 8  # forward and back
    with pytest.raises(ValueError, match="space"):
        gan.interpolate(z0, z1, space="x")


def test_slerp_keeps_endpoints_and_norm_path():
    a, b = np.array([[3.0, 0.0]]), np.array([[0.0, 1.0]])
    np.testing.assert_allclose(slerp(a, b, 0.0), a, atol=1e-6)
    np.testing.assert_allclose(slerp(a, b, 1.0), b, atol=1e-6)
    mid = slerp(a, b, 0.5)[0]
    np.testing.assert_allclose(mid / np.linalg.norm(mid), [np.sqrt(0.5)] * 2, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(mid), 2.0, atol=1e-6)


def test_noise_modes():
    gan = with_noise(tiny())
    z = _z(2)
    const = gan.generate(z)
    np.testing.assert_array_equal(const, gan.generate(z))  # deterministic
    assert not np.allclose(const, gan.generate(z, noise_mode="none"), atol=1e-4)
    a = gan.generate(z, noise_mode="random", noise_seed=[1, 2])
    np.testing.assert_array_equal(a, gan.generate(z, noise_mode="random", noise_seed=[1, 2]))
    assert not np.allclose(a, gan.generate(z, noise_mode="random", noise_seed=[3, 4]), atol=1e-4)
    # A sample's noise depends on its own seed only, not on the batch.
    np.testing.assert_allclose(gan.generate(z[1:], noise_mode="random", noise_seed=[2]),
                               a[1:], atol=1e-5)
    np.testing.assert_array_equal(gan.sample(2, seed=3, noise_mode="random"),
                                  gan.sample(2, seed=3, noise_mode="random"))
    with pytest.raises(ValueError, match="noise_seed"):
        gan.generate(z, noise_mode="random")
    with pytest.raises(ValueError, match="noise_mode"):
        gan.generate(z, noise_mode="fresh")


def test_w_avg_tracks_the_mapped_w_with_beta():
    gan = tiny()
    gan.compile()
    gan.generator.w_avg.assign(np.full(8, 2.0, np.float32))
    z = tf.constant(_z(4))
    gan.generate_for_training(z)
    w = np.asarray(gan.generator.mapping(z))
    gan.after_generator_update()
    expected = 0.995 * 2.0 + 0.005 * w.mean(axis=0)
    np.testing.assert_allclose(gan.generator.w_avg.numpy(), expected, rtol=1e-5)


def test_style_mixing_regularization_switches_once():
    gan = tiny(style_mixing_prob=1.0)
    z = tf.constant(_z(8))
    w, ws = gan.training_ws(z)
    w, ws = np.asarray(w), np.asarray(ws)
    for i in range(8):
        own = np.all(np.isclose(ws[i], w[i]), axis=1)
        k = int(np.argmin(own))  # first layer not from the sample's own w
        assert 1 <= k < gan.num_ws and own[:k].all() and not own[k:].any()
        np.testing.assert_allclose(ws[i, k:], np.broadcast_to(ws[i, -1], ws[i, k:].shape))
    _, ws = tiny(style_mixing_prob=0.0).training_ws(z)
    np.testing.assert_allclose(ws, np.broadcast_to(ws[:, :1], ws.shape))


def test_architecture_follows_the_paper_and_registry():
    assert get("stylegan") is StyleGAN
    gan = StyleGAN(resolution=16, latent_dim=16, channel_base=256, channel_max=16)
    assert gan.num_ws == 6  # two style layers per resolution, 4..16
    mapping = gan.generator.mapping
    dense = [layer for layer in mapping.layers if layer.name.startswith("dense")]
    assert len(dense) == 8 and all(layer.lr_multiplier == 0.01 for layer in dense)
    assert type(mapping.layers[1]).__name__ == "PixelNormalization"
    synthesis = gan.generator.synthesis
    assert all(layer.per_channel for layer in synthesis.noises)
    const = synthesis.const.numpy()  # N(0, 1): not a constant map (see the module)
    assert const.shape == (1, 4, 4, 16) and const.std() > 0.5
    assert gan.style_mixing_prob == 0.9 and gan.w_avg_beta == 0.995


def test_minibatch_std_groups_consecutive_samples():
    # Samples 0-3 are equal, and so are samples 4-7: consecutive groups of 4
    # have zero spread; the official grouping (n mod 2) mixes the two halves.
    x = np.concatenate([np.zeros((4, 2, 2, 3)), np.ones((4, 2, 2, 3))]).astype("float32")
    ours = np.asarray(ConsecutiveMinibatchStd(group_size=4)(x))[..., -1]
    strided = np.asarray(MinibatchStandardDeviation(group_size=4)(x))[..., -1]
    np.testing.assert_allclose(ours, 1e-4, rtol=1e-3)  # sqrt(epsilon)
    np.testing.assert_allclose(strided, 0.5, rtol=1e-3)
    # On a permuted batch it equals the official layer on the regrouped batch.
    y = np.random.default_rng(0).standard_normal((8, 2, 2, 3)).astype("float32")
    order = np.arange(8).reshape(2, 4).T.reshape(-1)
    expected = np.asarray(MinibatchStandardDeviation(group_size=4)(y[order]))
    np.testing.assert_allclose(np.asarray(ConsecutiveMinibatchStd(group_size=4)(y))[order],
                               expected, atol=1e-6)
    with pytest.raises(ValueError, match="multiple"):
        ConsecutiveMinibatchStd(group_size=4)(y[:6])


# ----------------------------------------------- the official v1 layout options
def test_layout_options_round_trip_through_the_config():
    from keras_gans.models.stylegan import StyleGAN as Family

    gan = tiny(synthesis_options={"use_pixel_norm": True, "const_input_layer": False,
                                  "nonlinearity": "relu", "use_noise": False,
                                  "blur_kernel": None, "fused_scale": True},
               discriminator_options={"mbstd_grouping": "strided", "nonlinearity": "relu",
                                      "fused_scale": True, "blur_kernel": (1, 3, 3, 1)})
    config = gan.get_config()
    assert config["synthesis_options"]["blur_kernel"] is None
    assert config["discriminator_options"]["blur_kernel"] == [1, 3, 3, 1]
    clone = Family.from_config(config)
    clone.set_weights(gan.get_weights())
    z = _z(4)
    np.testing.assert_array_equal(clone.generate(z), gan.generate(z))
    images = gan.generate(z)
    np.testing.assert_array_equal(clone.discriminator(images), gan.discriminator(images))
    syn = clone.generator.synthesis
    assert syn.noise_shapes == [] and syn.const is None and syn.pixel_norm is not None
    assert [type(c).__name__ for c in syn.convs].count("FusedUpsampleConv2D") == 1  # 8x8
    head = clone.discriminator.get_layer("epilogue")
    assert type(head.mbstd).__name__ == "MinibatchStandardDeviation"  # NVIDIA's strided groups


def test_bad_layout_options_are_refused_at_the_door():
    with pytest.raises(ValueError, match=r"unknown keys \['use_skip'\]; supported: "):
        tiny(synthesis_options={"use_skip": True})
    with pytest.raises(ValueError, match=r"fused_scale must be one of \[True, False, 'auto'\]"):
        tiny(synthesis_options={"fused_scale": "yes"})
    with pytest.raises(ValueError, match="mbstd_grouping must be one of"):
        tiny(discriminator_options={"mbstd_grouping": "random"})
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        tiny(discriminator_options={"nonlinearity": "elu"})


def test_auto_fused_scale_switches_on_at_128_px():
    gan = StyleGAN(resolution=128, latent_dim=8, mapping_layers=1, channel_base=256,
                   channel_max=4, ema_decay=None)
    kinds = [type(c).__name__ for c in gan.generator.synthesis.convs]
    assert kinds.count("FusedUpsampleConv2D") == 1 and kinds[-2] == "FusedUpsampleConv2D"
    blocks = {res: gan.discriminator.get_layer(f"block{res}").fused for res in (128, 64, 8)}
    assert blocks == {128: True, 64: False, 8: False}
    assert gan.discriminator.get_layer("epilogue").dense_units == 4  # channels_at(2): nf(0)


def test_without_styles_the_network_takes_one_w():
    gan = tiny(synthesis_options={"use_styles": False, "const_input_layer": False})
    assert gan.num_ws == 1 and gan.generator.synthesis.affines == []
    z = _z(2)
    a, b = gan.generate(z), gan.generate(z[::-1])
    assert a.shape == (2, 8, 8, 1) and not np.allclose(a[0], a[1], atol=1e-4)
    np.testing.assert_allclose(b, a[::-1], atol=1e-6)  # the dense input reads w


def test_blur_same_is_the_official_correlation():
    from keras_gans.models.stylegan import blur_same

    x = np.random.default_rng(1).standard_normal((1, 5, 6, 2))
    taps = (1.0, 2.0, 3.0, 1.0)  # asymmetric and even: orientation and padding matter
    f = np.outer(taps, taps) / np.outer(taps, taps).sum()
    xp = np.pad(x, ((0, 0), (1, 2), (1, 2), (0, 0)))  # TF 'same': the extra one after
    expected = sum(xp[:, i:i + 5, j:j + 6] * f[i, j] for i in range(4) for j in range(4))
    np.testing.assert_allclose(blur_same(tf.constant(x), taps), expected, atol=1e-12)
