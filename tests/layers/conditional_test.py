"""Conditional BN and the projection output against float64 numpy references."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.layers.conditional import (
    ConditionalBatchNormalization,
    ProjectionOutput,
    projection,
    select_class_rows,
)
from keras_gans.testing.distribute import two_device_strategy


def batch_norm_reference(x, eps):
    mean = x.mean(axis=(0, 1, 2), keepdims=True)
    var = x.var(axis=(0, 1, 2), keepdims=True)  # biased, as BN's batch statistics
    return (x - mean) / np.sqrt(var + eps)


def random_cbn(rng, num_classes=3, channels=4):
    cbn = ConditionalBatchNormalization(num_classes, epsilon=1e-3, dtype="float64")
    cbn.build([(None, 5, 5, channels), (None,)])
    gamma = rng.normal(size=(num_classes, channels))
    beta = rng.normal(size=(num_classes, channels))
    cbn.gamma.assign(gamma)
    cbn.beta.assign(beta)
    return cbn, gamma, beta


def test_one_hot_conditional_bn_is_bn_then_the_selected_gamma_beta(rng):
    cbn, gamma, beta = random_cbn(rng)
    x = rng.normal(size=(6, 5, 5, 4)) * 3 + 1
    y = np.array([0, 2, 1, 2, 0, 1])
    onehot = np.eye(3)[y]
    out = cbn([x, onehot], training=True).numpy()
    expected = (batch_norm_reference(x, 1e-3) * gamma[y][:, None, None, :]
                + beta[y][:, None, None, :])
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    # Integer labels select the same rows.
    np.testing.assert_allclose(cbn([x, y], training=True).numpy(), expected, rtol=1e-10)
    # Each example uses ITS class: swapping two labels changes exactly those two.
    swapped = cbn([x, y[[1, 0, 2, 3, 4, 5]]], training=True).numpy()
    changed = np.abs(swapped - out).reshape(6, -1).max(axis=1) > 1e-9
    assert changed.tolist() == [True, True, False, False, False, False]


def test_inference_mode_uses_moving_statistics(rng):
    cbn, gamma, beta = random_cbn(rng)
    x = rng.normal(size=(6, 5, 5, 4)) + 2
    y = np.array([1, 1, 0, 2, 0, 1])
    cbn([x, y], training=True)  # one update of the moving statistics
    mean = cbn.batch_norm.moving_mean.numpy()
    var = cbn.batch_norm.moving_variance.numpy()
    np.testing.assert_allclose(mean, 0.1 * x.mean(axis=(0, 1, 2)), rtol=1e-10)  # momentum 0.9
    out = cbn([x, y], training=False).numpy()
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma[y][:, None, None, :] \
        + beta[y][:, None, None, :]
    np.testing.assert_allclose(out, expected, rtol=1e-10)


def test_untrained_conditional_bn_is_plain_bn_and_soft_labels_interpolate(rng):
    cbn = ConditionalBatchNormalization(3, dtype="float64")
    x = rng.normal(size=(4, 2, 2, 3))
    out = cbn([x, np.array([0, 1, 2, 0])], training=True).numpy()
    np.testing.assert_allclose(out, batch_norm_reference(x, 1e-5), rtol=1e-10)
    assert cbn.batch_norm.synchronized and not cbn.batch_norm.center and not cbn.batch_norm.scale
    table = rng.normal(size=(3, 2))
    weights = np.array([[0.25, 0.75, 0.0]])
    np.testing.assert_allclose(select_class_rows(table, weights, 3).numpy(),
                               0.25 * table[:1] + 0.75 * table[1:2])


def test_conditional_bn_config_roundtrip(rng):
    cbn, _, _ = random_cbn(rng)
    clone = ConditionalBatchNormalization.from_config(json.loads(json.dumps(cbn.get_config())))
    assert clone.num_classes == 3 and clone.epsilon == 1e-3 and clone.synchronized


def test_conditional_bn_synchronizes_statistics_across_replicas(rng):
    """Under MirroredStrategy the batch statistics are those of the global batch."""
    x = (rng.normal(size=(4, 3, 3, 2)) + np.array([0.0, 0.0, 5.0, 5.0])[:, None, None, None])
    x = x.astype(np.float32)
    y = np.array([0, 1, 1, 0], np.int32)
    strategy = two_device_strategy()
    with strategy.scope():
        cbn = ConditionalBatchNormalization(2)
        cbn.build([(None, 3, 3, 2), (None,)])
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    batch = next(iter(strategy.experimental_distribute_dataset(ds)))
    # Inside a tf.function, as in training: eager replicas run in threads whose
    # separate collectives (sum, squared sum, count) may be issued out of order.
    step = tf.function(lambda a, b: strategy.run(lambda u, v: cbn([u, v], training=True),
                                                 args=(a, b)))
    result = step(*batch)
    out = np.concatenate([t.numpy() for t in strategy.experimental_local_results(result)])
    # Replicas see examples {0, 1} and {2, 3}, whose means differ by 5: only
    # global statistics give the global-batch normalization.
    np.testing.assert_allclose(out, batch_norm_reference(x.astype(np.float64), 1e-5), atol=1e-4)


def test_projection_logits_equal_the_formula(rng):
    k, f = 4, 6
    layer = ProjectionOutput(k, dtype="float64")
    layer.build([(None, f), (None,)])
    V = rng.normal(size=(k, f))
    w, b = rng.normal(size=(f, 1)), rng.normal(size=(1,))
    layer.embedding.kernel.assign(V)
    layer.psi.kernel.assign(w)
    layer.psi.bias.assign(b)
    phi = rng.normal(size=(5, f))
    y = np.array([3, 0, 1, 3, 2])
    expected = (np.eye(k)[y] @ V * phi).sum(axis=1, keepdims=True) + phi @ w + b
    np.testing.assert_allclose(layer([phi, y]).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(layer([phi, np.eye(k)[y]]).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(projection(phi, y, V).numpy(), expected - phi @ w - b,
                               rtol=1e-12)
    # The class term is what depends on y: D(x, y) - D(x, y') = (V[y] - V[y']) . phi(x).
    other = layer([phi, (y + 1) % k]).numpy()
    np.testing.assert_allclose(expected - other,
                               ((V[y] - V[(y + 1) % k]) * phi).sum(1, keepdims=True),
                               rtol=1e-10)


def test_spectrally_normalized_projection_uses_the_normalized_embeddings(rng):
    k, f = 3, 8
    layer = ProjectionOutput(k, spectral_norm=True)
    phi = rng.normal(size=(4, f)).astype(np.float32)
    y = np.array([0, 1, 2, 1])
    for _ in range(40):  # power iterations converge; each call renormalizes
        out = layer([phi, y], training=True).numpy()
    assert isinstance(layer.embedding, keras.layers.SpectralNormalization)
    assert isinstance(layer.psi, keras.layers.SpectralNormalization)
    V = layer.embeddings.numpy()
    np.testing.assert_allclose(np.linalg.svd(V, compute_uv=False)[0], 1.0, rtol=1e-3)
    w, b = layer.psi.layer.kernel.numpy(), layer.psi.layer.bias.numpy()
    np.testing.assert_allclose(out, (V[y] * phi).sum(1, keepdims=True) + phi @ w + b,
                               rtol=1e-4, atol=1e-5)


def test_rejects_wrong_class_weights():
    with pytest.raises(ValueError, match=r"\[batch, 3\]"):
        select_class_rows(np.zeros((3, 2)), np.zeros((2, 4), np.float32), 3)
