import importlib
import pkgutil

import numpy as np
import keras
import pytest
import tensorflow as tf

import keras_gans.models
from keras_gans.losses import AdversarialLoss
from keras_gans.models import registry
from keras_gans.models.improvements import (
    ImprovedGAN,
    MinibatchDiscrimination,
    add_minibatch_features,
    feature_matching_loss,
)
from keras_gans.models.architectures import ConfigurableGAN, build_mlp_discriminator
from keras_gans.testing import GANFamilyTests
from keras_gans.testing.distribute import two_device_strategy


class TestImprovedGAN(GANFamilyTests):
    """Minibatch discrimination, historical averaging on both players, feature matching."""

    compile_kwargs = {"feature_matching": True}

    def make_model(self):
        return ImprovedGAN(data_shape=(2,), latent_dim=4, width=8, d_historical_weight=0.5,
                           g_historical_weight=0.5,
                           discriminator_options={"minibatch_discrimination": {
                               "num_kernels": 3, "kernel_dim": 2}, "minibatch_std": 2})


def numpy_minibatch_discrimination(x, kernel, num_kernels, kernel_dim, include_self=True):
    x = np.asarray(x, np.float64)
    m = (x @ np.asarray(kernel, np.float64)).reshape(len(x), num_kernels, kernel_dim)
    o = np.zeros((len(x), num_kernels))
    for i in range(len(x)):
        for j in range(len(x)):
            if i == j and not include_self:
                continue
            o[i] += np.exp(-np.abs(m[i] - m[j]).sum(axis=-1))
    return np.concatenate([x, o], axis=1)


@pytest.mark.parametrize("include_self", [True, False])
def test_minibatch_discrimination_against_formula(include_self):
    layer = MinibatchDiscrimination(num_kernels=4, kernel_dim=3, include_self=include_self,
                                    kernel_initializer=keras.initializers.RandomNormal(stddev=0.5),
                                    dtype="float64")
    x = np.random.default_rng(0).standard_normal((5, 6))
    out = np.asarray(layer(x))
    expected = numpy_minibatch_discrimination(x, layer.kernel.numpy(), 4, 3, include_self)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert out.shape == layer.compute_output_shape((5, 6))


def test_minibatch_discrimination_serializes():
    layer = MinibatchDiscrimination(num_kernels=2, kernel_dim=3, include_self=False)
    layer.build((None, 4))
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(clone, MinibatchDiscrimination)
    assert (clone.num_kernels, clone.kernel_dim, clone.include_self) == (2, 3, False)


def test_minibatch_features_are_inserted_before_the_output_layer():
    d = build_mlp_discriminator((2,), width=6)
    new = add_minibatch_features(d, minibatch_discrimination={"num_kernels": 3, "kernel_dim": 2},
                                 minibatch_std=4)
    names = [layer.name for layer in new.layers]
    assert names[-3:] == ["mbstd_flatten", "minibatch_discrimination", "logit"]
    assert new.get_layer("logit").kernel.shape == (6 + 1 + 3, 1)
    # The std feature: std over the group (biased), averaged over features.
    x = np.random.default_rng(1).standard_normal((4, 2)).astype("float32")
    feats = keras.Model(new.inputs[0], new.get_layer("mbstd_flatten").output)(x).numpy()
    hidden = feats[:, :6]
    np.testing.assert_allclose(feats[:, 6], np.sqrt(hidden.var(axis=0) + 1e-8).mean(),
                               rtol=1e-5)
    assert add_minibatch_features(d) is d


def test_feature_matching_against_formula():
    gan = ImprovedGAN(data_shape=(2,), latent_dim=4, width=8,
                      discriminator_options={"minibatch_discrimination": False})
    gan.compile(feature_matching=True)
    rng = np.random.default_rng(2)
    real = rng.standard_normal((6, 2)).astype("float32")
    fake = rng.standard_normal((6, 2)).astype("float32")
    d = gan.discriminator
    f = keras.Model(d.inputs[0], d.get_layer("dense1_lrelu").output)
    f_real, f_fake = np.asarray(f(real), np.float64), np.asarray(f(fake), np.float64)
    expected = np.sum((f_real.mean(0) - f_fake.mean(0)) ** 2)
    g_loss = gan.compute_generator_loss(tf.constant(fake), real=tf.constant(real))["g_loss"]
    assert g_loss.shape == () and float(g_loss) == pytest.approx(expected, rel=1e-5)
    # A named layer works too.
    gan.compile(feature_matching=True, feature_layer="dense0_lrelu")
    f0 = keras.Model(d.inputs[0], d.get_layer("dense0_lrelu").output)
    expected0 = np.sum((np.mean(f0(real), 0) - np.mean(f0(fake), 0)) ** 2)
    g_loss = gan.compute_generator_loss(tf.constant(fake), real=tf.constant(real))["g_loss"]
    assert float(g_loss) == pytest.approx(float(expected0), rel=1e-5)
    assert float(feature_matching_loss([[1.0, 0.0], [3.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]])) == 5.0


def test_feature_matching_uses_global_batch_means_on_two_replicas():
    strategy = two_device_strategy()
    real = np.arange(8, dtype="float32").reshape(4, 2)
    fake = np.zeros((4, 2), "float32")
    rv = strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.constant(real[2 * ctx.replica_id_in_sync_group:][:2]))
    fv = strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.constant(fake[:2]))
    out = strategy.run(feature_matching_loss, args=(rv, fv))
    expected = np.sum(real.mean(0) ** 2)
    for value in strategy.experimental_local_results(out):
        assert float(value) == pytest.approx(expected)


def test_historical_averaging_keeps_the_mean_of_past_weights():
    keras.utils.set_random_seed(0)
    gan = ImprovedGAN(data_shape=(2,), latent_dim=4, width=8, d_historical_weight=2.0,
                      discriminator_options={"minibatch_discrimination": False})
    gan.compile(d_optimizer=keras.optimizers.SGD(0.5), g_optimizer=keras.optimizers.SGD(0.5))
    real = tf.constant(np.random.default_rng(3).standard_normal((8, 2)).astype("float32"))
    history = [[v.numpy().astype(np.float64) for v in gan.discriminator.trainable_variables]]
    for step in range(3):
        mean = [np.mean([h[i] for h in history], axis=0) for i in range(len(history[0]))]
        current = history[-1]
        expected = 2.0 * sum(np.sum((c - m) ** 2) for c, m in zip(current, mean))
        terms = gan.discriminator_step(real)
        assert float(terms["d_hist"]) == pytest.approx(expected, rel=1e-4, abs=1e-9)
        history.append([v.numpy().astype(np.float64)
                        for v in gan.discriminator.trainable_variables])
        if step:
            assert float(terms["d_hist"]) > 0
    averages, count = gan._d_history
    assert float(count.numpy()) == 4.0
    for avg, i in zip(averages, range(len(averages))):
        np.testing.assert_allclose(avg.numpy(), np.mean([h[i] for h in history], axis=0),
                                   rtol=1e-5, atol=1e-7)
    assert "d_hist" in gan.metric_names() and "g_hist" not in gan.metric_names()


def _all_families():
    for info in pkgutil.iter_modules(keras_gans.models.__path__):
        try:
            importlib.import_module(f"keras_gans.models.{info.name}")
        except Exception:  # noqa: BLE001 (a module being written elsewhere)
            pass
    return registry.list_families()


def _tiny(cls):
    # Every family declares a tiny instance (the equivalence test needs it too).
    return cls(**cls.example_config)


@pytest.mark.parametrize("family", _all_families())
def test_one_sided_label_smoothing_from_every_family(family):
    cls = registry.get(family)
    gan = _tiny(cls)
    loss = AdversarialLoss("non_saturating", label_smoothing=0.1)
    try:
        gan.compile(loss=loss)
    except ValueError as e:  # families with their own loss must say so
        assert "loss" in str(e)
        return
    assert gan.adversarial_loss.get_config() == {"name": "non_saturating",
                                                 "label_smoothing": 0.1}
    shape = (4,) + tuple(gan.discriminator.inputs[0].shape[1:])
    real = tf.constant(np.tanh(np.random.default_rng(4).standard_normal(shape)), tf.float32)
    labels = None if gan.num_classes is None else tf.zeros([4], tf.int32)
    d_terms = gan.discriminator_step(real, labels)
    assert np.isfinite(np.asarray(d_terms["d_loss"])).all()
    # It survives a config round trip of the compile options.
    clone = cls.from_config(gan.get_config())
    clone.compile_from_config(gan.get_compile_config())
    assert clone.adversarial_loss.get_config()["label_smoothing"] == 0.1


def test_one_sided_label_smoothing_changes_only_the_real_term():
    gan = ImprovedGAN(data_shape=(2,), latent_dim=4, width=8,
                      discriminator_options={"minibatch_discrimination": False})
    gan.compile(loss=AdversarialLoss("non_saturating", label_smoothing=0.1))
    rng = np.random.default_rng(5)
    real = rng.standard_normal((4, 2)).astype("float32")
    fake = rng.standard_normal((4, 2)).astype("float32")
    r = np.asarray(gan.discriminator(real), np.float64)[:, 0]
    f = np.asarray(gan.discriminator(fake), np.float64)[:, 0]

    def softplus(x):
        return np.log1p(np.exp(x))

    expected = 0.9 * softplus(-r) + 0.1 * softplus(r) + softplus(f)
    d_loss = gan.compute_discriminator_loss(tf.constant(real), tf.constant(fake))["d_loss"]
    np.testing.assert_allclose(d_loss, expected, rtol=1e-5)


class ImprovedGANWithMinibatchStd(ImprovedGAN):
    example_config = {"data_shape": (2,), "latent_dim": 4, "width": 8,
                      "discriminator_options": {"minibatch_discrimination": False,
                                                "minibatch_std": 2}}


def test_minibatch_std_option_is_the_same_step_on_one_and_two_replicas():
    # Groups of consecutive samples: each replica's half of the batch holds
    # whole groups, the same ones a single device forms.
    from keras_gans.testing.distribute import assert_same_step, one_step_on_one_and_two_replicas

    run = one_step_on_one_and_two_replicas(ImprovedGANWithMinibatchStd, global_batch=8)
    assert_same_step(run)
