"""Modulated convolution against explicit per-sample weights in float64 numpy."""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import signal

from keras_gans.layers.modulated import ModulatedConv2D, ToRGB

BINOMIAL = np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64.0


def modulated_weights_reference(w, styles, demodulate, eps=1e-8):
    """StyleGAN2 eqs. 1 and 3, one weight tensor per sample: [B, k, k, I, O]."""
    ww = w[None] * styles[:, None, None, :, None]
    if demodulate:
        ww = ww / np.sqrt((ww**2).sum(axis=(1, 2, 3), keepdims=True) + eps)
    return ww


def conv_same(x, w):
    """Direct "same" correlation of one image [H, W, I] with w [k, k, I, O]."""
    k = w.shape[0]
    h, wd = x.shape[:2]
    xp = np.pad(x, ((k // 2, k // 2), (k // 2, k // 2), (0, 0)))
    out = np.zeros((h, wd, w.shape[3]))
    for dy in range(k):
        for dx in range(k):
            out += np.einsum("hwi,io->hwo", xp[dy : dy + h, dx : dx + wd], w[dy, dx])
    return out


def upsample_conv_same(x, w):
    """FIR-upsample one image by 2 ([1,3,3,1]), then "same" correlation with
    w, without truncating in between (see filters_test for the offsets)."""
    k = w.shape[0]
    h = x.shape[0]
    u = np.zeros((2 * h, 2 * h, x.shape[2]))
    u[::2, ::2] = x
    out = np.zeros((2 * h, 2 * h, w.shape[3]))
    for o in range(w.shape[3]):
        acc = 0
        for i in range(x.shape[2]):
            up = signal.convolve2d(u[:, :, i], 4 * BINOMIAL, mode="full")
            acc = acc + signal.correlate2d(up, w[:, :, i, o], mode="full")
        start = 1 + k // 2
        out[:, :, o] = acc[start : start + 2 * h, start : start + 2 * h]
    return out


def make_layer(x, styles, rng=None, **kwargs):
    layer = ModulatedConv2D(dtype="float64", **kwargs)
    layer.build((x.shape, styles.shape))
    if rng is not None:
        layer.kernel.assign(rng.normal(size=layer.kernel.shape))
    return layer


@pytest.mark.parametrize("demodulate", [True, False])
@pytest.mark.parametrize("kernel_size", [3, 1])
def test_matches_explicit_per_sample_weights(rng, demodulate, kernel_size):
    x = rng.normal(size=(3, 5, 5, 4))
    styles = rng.normal(size=(3, 4)) + 1.0
    layer = make_layer(x, styles, rng, filters=2, kernel_size=kernel_size, demodulate=demodulate)
    w = layer.kernel.numpy() / math.sqrt(kernel_size * kernel_size * 4)  # gain 1
    ww = modulated_weights_reference(w, styles, demodulate)
    expected = np.stack([conv_same(x[b], ww[b]) for b in range(3)])
    np.testing.assert_allclose(layer([x, styles]).numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(layer.modulated_kernel(styles).numpy(), ww, atol=1e-12)


def test_upsampling_matches_explicit_per_sample_weights(rng):
    x = rng.normal(size=(2, 4, 4, 3))
    styles = rng.normal(size=(2, 3)) + 1.0
    layer = make_layer(x, styles, rng, filters=2, kernel_size=3, up=2)
    ww = modulated_weights_reference(layer.runtime_kernel().numpy(), styles, True)
    expected = np.stack([upsample_conv_same(x[b], ww[b]) for b in range(2)])
    y = layer([x, styles]).numpy()
    assert y.shape == (2, 8, 8, 2)
    np.testing.assert_allclose(y, expected, atol=1e-12)


def test_without_demodulation_unit_styles_give_a_plain_conv(rng):
    x = rng.normal(size=(2, 6, 6, 3))
    styles = np.ones((2, 3))
    layer = make_layer(x, styles, rng, filters=4, kernel_size=3, demodulate=False,
                       lr_multiplier=0.5, gain=2.0)
    runtime = layer.kernel.numpy() * 2.0 / math.sqrt(27) * 0.5
    np.testing.assert_allclose(layer.runtime_kernel().numpy(), runtime, rtol=1e-14)
    plain = tf.nn.conv2d(x, runtime, strides=1, padding="SAME").numpy()
    np.testing.assert_allclose(layer([x, styles]).numpy(), plain, atol=1e-12)


def test_demodulated_weights_have_unit_norm_per_output_channel(rng):
    x = np.zeros((4, 4, 4, 8))
    styles = rng.lognormal(sigma=1.0, size=(4, 8))
    layer = make_layer(x, styles, rng, filters=5, kernel_size=3)
    ww = layer.modulated_kernel(styles).numpy()
    energy = (ww**2).sum(axis=(1, 2, 3))  # [B, O]
    # sum w''^2 = e / (e + eps) for the undemodulated energy e: 1 up to eps.
    undemodulated = modulated_weights_reference(layer.runtime_kernel().numpy(), styles, False)
    e = (undemodulated**2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(energy, e / (e + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(energy, 1.0, rtol=1e-6)
    # The weights of each output channel have variance 1 / fan_in ("unit").
    np.testing.assert_allclose(ww.var(axis=(1, 2, 3)) * 72, 1.0, atol=0.2)


def test_demodulation_restores_unit_output_variance(rng):
    # Section 2.2: for i.i.d. N(0, 1) inputs a demodulated output pixel is a
    # unit-norm combination of them, hence N(0, 1), whatever the styles.
    x = rng.normal(size=(2, 64, 64, 16)).astype("float32")
    styles = rng.lognormal(sigma=1.0, size=(2, 16)).astype("float32") * 3
    demod = ModulatedConv2D(8, 3)
    plain = ModulatedConv2D(8, 3, demodulate=False)
    y = demod([x, styles]).numpy()[:, 1:-1, 1:-1]  # borders see zero padding
    plain([x, styles])
    plain.set_weights(demod.get_weights())
    var = y.var(axis=(1, 2))  # [B, O], 3844 pixels each
    # Neighbouring outputs share inputs, but with a 3x3 kernel at most 9 of
    # them overlap, so >= 3844 / 9 effective samples: SE(var) <= 7%, pooled
    # over 16 maps <= 2%. 8% pooled / 30% per map are > 4 SE.
    assert abs(var.mean() - 1) < 0.08
    assert np.all(np.abs(var - 1) < 0.3)
    # Without demodulation the variance follows the styles, far from 1.
    assert abs(plain([x, styles]).numpy()[:, 1:-1, 1:-1].var() - 1) > 1


def test_to_rgb_is_modulated_1x1_conv_plus_bias_without_demodulation(rng):
    x = rng.normal(size=(2, 4, 4, 6))
    styles = rng.normal(size=(2, 6))
    layer = ToRGB(3, dtype="float64", clamp=0.7)
    layer.build((x.shape, styles.shape))
    w, b = rng.normal(size=(1, 1, 6, 3)), rng.normal(size=(3,))
    layer.set_weights([w, b])
    assert not layer.demodulate
    expected = np.einsum("bhwi,bi,io->bhwo", x, styles, w[0, 0] / math.sqrt(6)) + b
    np.testing.assert_allclose(layer([x, styles]).numpy(), np.clip(expected, -0.7, 0.7), atol=1e-12)


def test_gradients_reach_kernel_and_styles(rng):
    x = tf.constant(rng.normal(size=(2, 4, 4, 3)), tf.float32)
    styles = tf.constant(rng.normal(size=(2, 3)) + 1, tf.float32)
    layer = ModulatedConv2D(4, 3, up=2)
    with tf.GradientTape() as tape:
        tape.watch(styles)
        loss = tf.reduce_sum(tf.square(layer([x, styles])))
    grads = tape.gradient(loss, [layer.kernel, styles])
    assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in grads)


def test_rejects_mismatched_styles_and_even_kernels():
    with pytest.raises(ValueError, match="one scale per input channel"):
        ModulatedConv2D(4)([np.zeros((1, 4, 4, 3), "float32"), np.zeros((1, 5), "float32")])
    with pytest.raises(ValueError, match="odd"):
        ModulatedConv2D(4, 2)


def test_functional_model_shapes():
    x = keras.Input((4, 4, 8))
    s = keras.Input((8,))
    y = ModulatedConv2D(6, 3, up=2)([x, s])
    rgb = ToRGB(3)([y, keras.layers.Dense(6)(s)])
    assert keras.Model([x, s], rgb).output_shape == (None, 8, 8, 3)


@pytest.mark.parametrize(
    "layer",
    [
        ModulatedConv2D(4, 3, up=2, resample_kernel=[1, 2, 1], lr_multiplier=0.5, epsilon=1e-6),
        ModulatedConv2D(4, 1, demodulate=False, down=2, resample_kernel=None, gain=2.0),
        ToRGB(3, bias_init=0.5, clamp=256.0),
    ],
)
def test_config_round_trip(rng, layer):
    x = rng.normal(size=(2, 4, 4, 3)).astype("float32")
    styles = rng.normal(size=(2, 3)).astype("float32")
    layer([x, styles])
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    y = layer([x, styles]).numpy()
    config = layer.get_config()
    json.dumps(config)
    for clone in (
        type(layer).from_config(config),
        keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer)),
    ):
        if not clone.built:
            clone([x, styles])
        clone.set_weights(layer.get_weights())
        np.testing.assert_array_equal(clone([x, styles]).numpy(), y)
