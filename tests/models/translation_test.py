"""The translation base pieces: schedule, image pool, padding, PatchGAN, tiling, losses."""

import numpy as np
import keras
import pytest
import tensorflow as tf

from keras_gans.layers.padding import ReflectionPadding2D
from keras_gans.layers.stateless_dropout import ReplicaExactDropout
from keras_gans.losses import translation as losses
from keras_gans.models.cyclegan import ImageHistoryPool
from keras_gans.models.translation import HoldThenLinearDecay, translation_families
from keras_gans.models.translation_networks import (DomainTiling, build_patchgan_discriminator,
                                                    build_resnet_generator, instance_norm,
                                                    patchgan_layers_for,
                                                    patchgan_receptive_field)
from keras_gans.testing.distribute import two_device_strategy


def test_families_are_registered_apart_from_the_sampling_ones():
    import keras_gans.models as models

    assert {"pix2pix", "cyclegan"} <= set(translation_families())
    assert "pix2pix" not in models.list_families()


def test_hold_then_linear_decay():
    lr = HoldThenLinearDecay(2e-4, hold_steps=100, decay_steps=100)
    values = [float(lr(s)) for s in (0, 99, 100, 150, 200, 1000)]
    np.testing.assert_allclose(values, [2e-4, 2e-4, 2e-4, 1e-4, 0.0, 0.0], atol=1e-12)
    clone = HoldThenLinearDecay.from_config(lr.get_config())
    assert float(clone(150)) == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="decay_steps"):
        HoldThenLinearDecay(1e-3, 10, 0)


def _pool_query(pool, images, seed):
    return pool.query(tf.constant(images, tf.float32), tf.constant(seed, tf.int64)).numpy()


def test_pool_fills_then_swaps_half_the_time_conserving_images():
    pool = ImageHistoryPool(4, (1, 1, 1))
    first = np.arange(1, 5, dtype=np.float32).reshape(4, 1, 1, 1)
    np.testing.assert_array_equal(_pool_query(pool, first, [0, 0]), first)  # filling
    assert int(pool.count.numpy()) == 4
    swaps, total = 0, 0
    for step in range(1, 60):
        before = pool.images.numpy().ravel().tolist()
        new = np.arange(100 * step, 100 * step + 2, dtype=np.float32).reshape(2, 1, 1, 1)
        out = _pool_query(pool, new, [0, step]).ravel().tolist()
        after = pool.images.numpy().ravel().tolist()
        # Every image is kept somewhere: returned or stored, none lost or copied.
        assert sorted(before + new.ravel().tolist()) == sorted(out + after)
        swaps += sum(v not in new.ravel() for v in out)
        total += 2
    # Binomial(118, 0.5): outside [35, 83] has probability < 1e-5.
    assert 35 <= swaps <= 83, f"{swaps} swaps in {total} queries"


def test_pool_of_size_zero_passes_images_through():
    pool = ImageHistoryPool(0, (1, 1, 1))
    x = np.ones((3, 1, 1, 1), np.float32)
    np.testing.assert_array_equal(_pool_query(pool, x, [0, 0]), x)


def test_pool_and_dropout_on_two_replicas_match_one_device():
    strategy = two_device_strategy()
    batch = np.arange(1, 9, dtype=np.float32).reshape(8, 1, 1, 1)
    single = ImageHistoryPool(3, (1, 1, 1))
    expected = [_pool_query(single, batch, [5, s]) for s in range(3)]
    with strategy.scope():
        mirrored = ImageHistoryPool(3, (1, 1, 1))
    dist = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices(batch).batch(8))
    x = next(iter(dist))
    for s in range(3):
        out = strategy.run(tf.function(lambda v: mirrored.query(v, tf.constant([5, s],
                                                                               tf.int64))),
                           args=(x,))
        got = np.concatenate([t.numpy() for t in strategy.experimental_local_results(out)])
        np.testing.assert_array_equal(got, expected[s])
    # Each query's output depends on the pool the previous ones left: equal
    # outputs over three queries mean equal pool states; the stored pool too.
    np.testing.assert_array_equal(mirrored.images.numpy(), single.images.numpy())

    ones = np.ones((8, 5), np.float32)
    single_drop = ReplicaExactDropout(0.5, seed=3)
    want = single_drop(ones, training=True).numpy()
    with strategy.scope():
        drop = ReplicaExactDropout(0.5, seed=3)
        drop.build((None, 5))
    dist = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices(ones).batch(8))
    out = strategy.run(tf.function(lambda v: drop(v, training=True)), args=(next(iter(dist)),))
    got = np.concatenate([t.numpy() for t in strategy.experimental_local_results(out)])
    np.testing.assert_array_equal(got, want)
    assert 0 < (want == 0).mean() < 1


def test_reflection_padding_matches_numpy():
    x = np.random.default_rng(0).standard_normal((2, 5, 4, 3)).astype(np.float32)
    want = np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="reflect")
    np.testing.assert_array_equal(ReflectionPadding2D(2)(x).numpy(), want)
    with pytest.raises(ValueError, match="spatial sizes above 3"):
        ReflectionPadding2D(3)(np.zeros((1, 3, 3, 1), np.float32))


def test_instance_norm_is_group_norm_with_one_group_per_channel():
    x = np.random.default_rng(1).standard_normal((2, 6, 6, 3)) * 3 + 1
    layer = instance_norm()
    y = layer(x.astype(np.float32)).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    want = (x - mean) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, want, atol=1e-5)


@pytest.mark.parametrize("n_layers", [1, 2])
def test_patchgan_receptive_field_is_measured_by_the_gradient(n_layers):
    keras.utils.set_random_seed(0)
    d = build_patchgan_discriminator(64, 1, width=2, n_layers=n_layers, norm="none")
    x = tf.Variable(np.random.default_rng(0).standard_normal((1, 64, 64, 1)), dtype=tf.float32)
    with tf.GradientTape() as tape:
        logits = d(x)
        centre = logits[0, logits.shape[1] // 2, logits.shape[2] // 2, 0]
    rows = np.nonzero(np.abs(tape.gradient(centre, x).numpy()[0, :, :, 0]).sum(axis=1))[0]
    assert rows.max() - rows.min() + 1 == patchgan_receptive_field(n_layers)


def test_patchgan_depth_adapts_and_resnet_blocks_follow_the_paper():
    assert patchgan_receptive_field(3) == 70 and patchgan_layers_for(256) == 3
    assert patchgan_layers_for(32) == 1 and patchgan_layers_for(128) == 2
    nine = build_resnet_generator(256, 3, width=2)
    six = build_resnet_generator(128, 3, width=2)
    count = lambda m: sum(layer.name.endswith("_add") for layer in m.layers)  # noqa: E731
    assert (count(nine), count(six)) == (9, 6)
    assert any(isinstance(layer, ReflectionPadding2D) for layer in six.layers)


def test_domain_tiling_is_a_one_hot_map():
    out = DomainTiling(3)([np.zeros((2, 2, 2, 1), np.float32), np.array([2, 0])]).numpy()
    np.testing.assert_array_equal(out[0, 1, 1], [0, 0, 0, 1])
    np.testing.assert_array_equal(out[1, 0, 1], [0, 1, 0, 0])


def test_losses_against_float64_references():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4, 4, 1))
    np.testing.assert_allclose(losses.l1_distance(a, b).numpy(), np.abs(a - b).mean(axis=(1, 2, 3)))
    real, fake = rng.standard_normal((2, 3, 2, 2, 1))
    np.testing.assert_allclose(losses.least_squares_discriminator(real, fake).numpy(),
                               ((real - 1) ** 2).mean(axis=(1, 2, 3))
                               + (fake ** 2).mean(axis=(1, 2, 3)))
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    np.testing.assert_allclose(losses.non_saturating_generator(fake).numpy(),
                               -np.log(sig(fake)).mean(axis=(1, 2, 3)), rtol=1e-6)
    logits = rng.standard_normal((3, 4))
    want = -np.log(np.exp(logits) / np.exp(logits).sum(1, keepdims=True))[np.arange(3), [0, 3, 1]]
    np.testing.assert_allclose(losses.domain_classification(logits, [0, 3, 1]).numpy(), want,
                               rtol=1e-6)
    with pytest.raises(ValueError, match="Unknown translation loss"):
        losses.adversarial_pair("hinge2")
