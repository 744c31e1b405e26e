import numpy as np
import keras
import pytest

from keras_gans.models import DCGAN, get, list_families
from keras_gans.models.dcgan import base_resolution, build_dcgan_discriminator, build_dcgan_generator
from keras_gans.testing import GANFamilyTests


class TestDCGAN(GANFamilyTests):
    export_in_fresh_process = True  # one unconditional family (StyleGAN2: its own check)
    def make_model(self):
        return DCGAN(resolution=28, width=4, latent_dim=8, ema_decay=0.9)


class TestDCGANWithoutEMA(GANFamilyTests):
    """The contract also holds without EMA and with Conv2DTranspose upsampling."""

    def make_model(self):
        return DCGAN(resolution=32, channels=3, width=4, latent_dim=8, fast_upsampling=False)

    # One architecture variant is enough for the export check.
    test_export_reload = None


@pytest.mark.parametrize("resolution,start,stages", [(28, 7, 2), (32, 4, 3), (64, 4, 4)])
def test_base_resolution(resolution, start, stages):
    assert base_resolution(resolution) == (start, stages)


def test_bad_resolution_names_value():
    with pytest.raises(ValueError, match="30"):
        DCGAN(resolution=30)


def test_architecture_follows_the_paper():
    g = build_dcgan_generator(64, channels=3, latent_dim=100, width=128)
    d = build_dcgan_discriminator(64, channels=3, width=128)
    assert g.output.shape[1:] == (64, 64, 3)
    # The paper's 64x64 generator: 4x4x1024 -> 8x8x512 -> 16x16x256 -> 32x32x128 -> 64x64x3.
    assert g.get_layer("reshape").output.shape[1:] == (4, 4, 1024)
    kinds = [type(layer).__name__ for layer in g.layers]
    assert "MaxPooling2D" not in kinds and kinds[-1] == "Activation"
    assert g.layers[-1].get_config()["activation"] == "tanh"
    # No BN on D's input layer, BN after every later conv, no pooling.
    conv_names = [layer.name for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    bn_names = [layer.name for layer in d.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert conv_names[0] == "down0" and "down0_bn" not in bn_names
    assert len(bn_names) == len(conv_names) - 1
    lrelus = [layer for layer in d.layers if isinstance(layer, keras.layers.LeakyReLU)]
    assert all(abs(layer.negative_slope - 0.2) < 1e-9 for layer in lrelus)


def test_fast_and_transpose_generators_compute_the_same_function():
    fast = build_dcgan_generator(28, latent_dim=8, width=4, fast_upsampling=True)
    slow = build_dcgan_generator(28, latent_dim=8, width=4, fast_upsampling=False)
    slow.set_weights(fast.get_weights())
    z = np.random.default_rng(0).standard_normal((5, 8)).astype("float32")
    np.testing.assert_allclose(fast(z), slow(z), atol=1e-5)


def test_registry():
    assert "dcgan" in list_families()
    assert get("dcgan") is DCGAN
    with pytest.raises(ValueError, match="dcgan"):
        get("dcgna")


def test_sample_is_uint8_and_reproducible():
    gan = DCGAN(width=4, latent_dim=8)
    a, b = gan.sample(5, seed=3), gan.sample(5, seed=3)
    assert a.dtype == np.uint8 and a.shape == (5, 28, 28, 1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, gan.sample(5, seed=4))
    images = gan.generate(gan.latents(5, 3))
    assert images.min() >= -1 and images.max() <= 1


def test_generate_rejects_wrong_latent_shape():
    gan = DCGAN(width=4, latent_dim=8)
    with pytest.raises(ValueError, match=r"\(n, 8\)"):
        gan.generate(np.zeros((2, 7), np.float32))
    with pytest.raises(ValueError, match="unconditional"):
        gan.sample(2, labels=[0, 1])


def test_compile_rejects_shared_optimizer_and_unknown_loss():
    gan = DCGAN(width=4, latent_dim=8)
    opt = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two optimizer instances"):
        gan.compile(d_optimizer=opt, g_optimizer=opt)
    with pytest.raises(ValueError, match="non_saturating"):
        gan.compile(loss="non_saturatin")


def test_uncompiled_step_says_compile():
    gan = DCGAN(width=4, latent_dim=8)
    with pytest.raises(RuntimeError, match="compile"):
        gan.generator_step(2)


def test_ema_follows_the_ramped_formula():
    import tensorflow as tf

    gan = DCGAN(width=4, latent_dim=8, ema_decay=0.999)
    gan.compile()
    ema0 = [w.numpy() for w in gan.generator_ema.weights]
    x = np.zeros((4, 28, 28, 1), np.float32)
    gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(4), epochs=1, verbose=0)
    decay = min(0.999, 2.0 / 11.0)  # after the first G update, n = 1
    checked = 0
    for e0, ema, g in zip(ema0, gan.generator_ema.weights, gan.generator.weights):
        if g.trainable:
            np.testing.assert_allclose(ema.numpy(), decay * e0 + (1 - decay) * g.numpy(),
                                       atol=1e-6)
            checked += 1
        else:  # moving statistics are copied, not averaged
            np.testing.assert_array_equal(ema.numpy(), g.numpy())
    assert checked == len(gan.generator.trainable_weights) > 0
