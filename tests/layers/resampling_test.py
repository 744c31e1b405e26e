"""Tests for `keras_gans.layers.resampling`.

Every numerical test compares against `keras.layers.Conv2DTranspose` with the
same weights, so a wrong index mapping cannot pass.
"""

import numpy as np
import pytest
import tensorflow as tf

import keras
from keras_gans.layers import resampling
from keras_gans.layers.resampling import SubPixelConv2DTranspose

TOLERANCE = {"float32": 1e-5, "float64": 1e-10}


@pytest.fixture(autouse=True, params=["per_phase", "single_conv"])
def grouping(request, monkeypatch):
    """Tests use few filters: run each with the per-phase convolutions (the
    layout of 16 filters and more) and with all phases in one convolution."""
    monkeypatch.setattr(resampling, "_SINGLE_CONV_BELOW_FILTERS",
                        1 if request.param == "per_phase" else 1000)
    return request.param


def make_pair(rng, filters, kernel_size, input_shape, strides=2, dtype="float32", **kwargs):
    """The new layer and a reference Conv2DTranspose sharing random weights."""
    new = SubPixelConv2DTranspose(filters, kernel_size, strides=strides, dtype=dtype, **kwargs)
    ref = keras.layers.Conv2DTranspose(
        filters, kernel_size, strides=strides, padding="same", dtype=dtype, **kwargs
    )
    new.build(input_shape)
    ref.build(input_shape)
    new.set_weights([rng.normal(size=w.shape) for w in new.get_weights()])
    ref.set_weights(new.get_weights())
    return new, ref


def outputs_and_gradients(layer, x, upstream, graph=False):
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * upstream)
        return [y] + tape.gradient(loss, [x] + layer.trainable_weights)

    # The layer's `tf.custom_gradient`, eagerly and traced: both must match.
    run = tf.function(run) if graph else run
    return [t.numpy() for t in run(tf.convert_to_tensor(x))]


def assert_same_as_reference(new, ref, x, dtype, rng, graph=False):
    upstream = rng.normal(size=ref.compute_output_shape(x.shape)).astype(dtype)
    got = outputs_and_gradients(new, x, upstream, graph)
    want = outputs_and_gradients(ref, x, upstream)
    names = ["output", "d_input"] + [f"d_{w.name}" for w in ref.trainable_weights]
    assert len(got) == len(want)
    for name, g, w in zip(names, got, want):
        assert g.shape == w.shape, name
        np.testing.assert_allclose(
            g, w, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype], err_msg=name
        )


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kernel_size", [3, 4, 5, 6, (3, 4), (5, 2)])
def test_matches_conv2d_transpose(rng, kernel_size, dtype, graph):
    new, ref = make_pair(rng, 4, kernel_size, (2, 5, 6, 3), dtype=dtype)
    x = rng.normal(size=(2, 5, 6, 3)).astype(dtype)
    assert_same_as_reference(new, ref, x, dtype, rng, graph)


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
@pytest.mark.parametrize("strides,kernel_size", [(3, 5), (3, 2), ((4, 4), 6)])
def test_matches_conv2d_transpose_other_strides(rng, strides, kernel_size, graph):
    new, ref = make_pair(rng, 2, kernel_size, (1, 3, 4, 2), strides=strides, dtype="float64")
    x = rng.normal(size=(1, 3, 4, 2))
    assert_same_as_reference(new, ref, x, "float64", rng, graph)


def test_few_filters_share_one_convolution(rng, monkeypatch):
    monkeypatch.setattr(resampling, "_SINGLE_CONV_BELOW_FILTERS", 16)
    new, ref = make_pair(rng, 3, 5, (2, 4, 3, 2))
    x = rng.normal(size=(2, 4, 3, 2)).astype("float32")
    graph = tf.function(new).get_concrete_function(x).graph
    types = [op.type for op in graph.get_operations()]
    # 5x5 stride 2 needs two windows per axis: per phase it would be 4 convs.
    assert types.count("Conv2D") == 1 and "Conv2DBackpropInput" not in types
    assert_same_as_reference(new, ref, x, "float32", rng)


def test_activation_without_bias(rng):
    new, ref = make_pair(rng, 3, 4, (2, 4, 4, 2), activation="relu", use_bias=False)
    assert [w.name for w in new.weights] == ["kernel"]
    x = rng.normal(size=(2, 4, 4, 2)).astype("float32")
    assert_same_as_reference(new, ref, x, "float32", rng)


def test_weights_interchangeable_both_ways(rng):
    new = SubPixelConv2DTranspose(5, (4, 3))
    ref = keras.layers.Conv2DTranspose(5, (4, 3), strides=2, padding="same")
    new.build((None, 3, 3, 2))
    ref.build((None, 3, 3, 2))
    assert [(w.name, w.shape) for w in new.weights] == [(w.name, w.shape) for w in ref.weights]
    assert new.kernel.shape == (4, 3, 5, 2)

    x = rng.normal(size=(3, 3, 3, 2)).astype("float32")
    ref.set_weights([rng.normal(size=w.shape) for w in ref.get_weights()])
    new.set_weights(ref.get_weights())
    np.testing.assert_allclose(new(x), ref(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_second_order_gradients(rng, graph):
    # E.g. a gradient penalty w.r.t. the generator's input differentiates the
    # kernel gradient again.
    new, ref = make_pair(rng, 3, 4, (2, 3, 4, 2), dtype="float64")
    x = tf.constant(rng.normal(size=(2, 3, 4, 2)))
    upstream = tf.constant(rng.normal(size=(2, 6, 8, 3)))

    def penalty_gradient(layer):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                loss = tf.reduce_sum(layer(x) * upstream)
            d_x, d_kernel = inner.gradient(loss, [x, layer.kernel])
            penalty = tf.reduce_sum(d_kernel**2) + tf.reduce_sum(tf.sin(x) * d_x)
        return outer.gradient(penalty, [x, layer.kernel])

    run = tf.function(penalty_gradient) if graph else penalty_gradient
    for got, want in zip(run(new), penalty_gradient(ref)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_jit_compile_and_dynamic_shapes(rng):
    new, ref = make_pair(rng, 3, 4, (None, None, None, 2))

    def step(layer):
        def fn(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x)
            return [y] + tape.gradient(y, [x, layer.kernel])

        return fn

    spec = [tf.TensorSpec((None, None, None, 2), tf.float32)]
    dynamic = tf.function(step(new), input_signature=spec)
    compiled = tf.function(step(new), jit_compile=True)
    reference = tf.function(step(ref))
    # XLA compiles per input shape, so it gets only the first (the slow part).
    for shape, fns in [((1, 3, 5, 2), (dynamic, compiled)), ((3, 4, 4, 2), (dynamic,))]:
        x = tf.constant(rng.normal(size=shape), tf.float32)
        want = reference(x)
        for fn in fns:
            for got, w in zip(fn(x), want):
                np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-5)


def test_compute_output_shape_and_functional_model():
    layer = SubPixelConv2DTranspose(4, 5)
    assert layer.compute_output_shape((None, 7, 9, 3)) == (None, 14, 18, 4)
    assert layer.compute_output_shape((2, None, None, 3)) == (2, None, None, 4)

    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, SubPixelConv2DTranspose(4, 4, strides=3)(inputs))
    assert tuple(model.output.shape) == (None, None, None, 4)
    assert model(np.zeros((2, 5, 6, 3), "float32")).shape == (2, 15, 18, 4)


def test_regularizer_loss_matches_reference(rng):
    new, ref = make_pair(rng, 3, 4, (1, 3, 3, 2), kernel_regularizer=keras.regularizers.L2(0.1))
    np.testing.assert_allclose(sum(new.losses), sum(ref.losses), rtol=1e-6)


def test_config_round_trip(rng):
    layer = SubPixelConv2DTranspose(
        3,
        (5, 4),
        activation="tanh",
        use_bias=False,
        kernel_initializer="he_normal",
        kernel_regularizer=keras.regularizers.L2(1e-3),
        kernel_constraint=keras.constraints.MaxNorm(2.0),
        name="up",
    )
    x = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    y = layer(x)
    config = layer.get_config()
    clone = SubPixelConv2DTranspose.from_config(config)
    assert clone.get_config() == config
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x), y)


def test_saved_model_round_trip(rng, tmp_path):
    inputs = keras.Input((3, 4, 2))
    hidden = SubPixelConv2DTranspose(4, 4, activation="relu")(inputs)
    outputs = SubPixelConv2DTranspose(1, 5, bias_initializer="ones")(hidden)
    model = keras.Model(inputs, outputs)
    x = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)  # found via the registration alone
    assert isinstance(loaded.layers[1], SubPixelConv2DTranspose)
    np.testing.assert_array_equal(loaded(x), model(x))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"strides": 1}, r"strides >= 2.*strides=\(1, 1\)"),
        ({"strides": (2, 1)}, r"equal strides.*strides=\(2, 1\)"),
        ({"strides": (2, 2, 2)}, r"strides=\(2, 2, 2\)"),
        ({"padding": "valid"}, r"padding=\"same\".*padding='valid'"),
        ({"data_format": "channels_first"}, r"channels_last.*'channels_first'"),
        ({"kernel_size": 0}, r"kernel_size=0"),
        ({"filters": 0}, r"filters=0"),
    ],
)
def test_unsupported_arguments_raise(kwargs, message):
    args = {"filters": 2, "kernel_size": 4, **kwargs}
    with pytest.raises(ValueError, match=message):
        SubPixelConv2DTranspose(**args)


@pytest.mark.parametrize("stride", [2, 3, 4])
@pytest.mark.parametrize("kernel_size", range(1, 9))
def test_phases_have_no_wasted_taps(kernel_size, stride):
    phases = resampling._axis_phases(kernel_size, stride)
    assert len(phases) == stride
    used = []
    for taps, (pad_before, pad_after) in phases:
        assert pad_before >= 0 and pad_after >= 0
        assert len(taps) == pad_before + pad_after + 1
        real = [t for t in taps if t < kernel_size]
        # A window holds only real taps, except the single zero tap of a
        # phase that has none (possible only when kernel_size < stride).
        assert len(real) == len(taps) or (not real and len(taps) == 1)
        used += real
    assert sorted(used) == list(range(kernel_size))  # each tap exactly once


@pytest.mark.parametrize("kernel_size,num_convs", [(2, 1), (3, 4), (4, 4), (6, 1), ((4, 6), 2), ((6, 4), 4)])
def test_phases_share_a_convolution_when_windows_coincide(kernel_size, num_convs, grouping):
    layer = SubPixelConv2DTranspose(8, kernel_size)
    assert len(layer._conv_groups) == (1 if grouping == "single_conv" else num_convs)
