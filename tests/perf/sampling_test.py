"""Sampling from Python runs compiled: one trace per call kind, none per batch size.

`gan.generate`, `sample`, and the style families' `mapping`, `synthesis`,
`style_mixing` run through `run_compiled` (issue 16: the eager Keras calls
were up to 9.5x slower than the exported SavedModel). The checks: the traced
functions give the eager network's outputs, and calls with new batch sizes do
not trace again.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.data.validation import to_uint8
from keras_gans.models import CGAN, DCGAN, StyleGAN2


@pytest.fixture(scope="module")
def dcgan():
    keras.utils.set_random_seed(0)
    return DCGAN(**DCGAN.example_config)


@pytest.fixture(scope="module")
def stylegan2():
    keras.utils.set_random_seed(0)
    return StyleGAN2(**StyleGAN2.example_config)


def test_generate_matches_the_eager_generator_and_traces_once(dcgan):
    z = dcgan.latents(7, seed=3)
    expected = dcgan.inference_generator(tf.constant(z), training=False).numpy()
    np.testing.assert_allclose(dcgan.generate(z), expected, atol=1e-5)
    traces = dcgan.sampling_trace_count()
    assert traces >= 1
    for n in (1, 2, 5, 64):
        out = dcgan.generate(dcgan.latents(n, seed=n))
        assert out.shape[0] == n and out.dtype == np.float32
    # Chunks of a larger call reuse the same trace; sample() (uint8 in the
    # graph) traces once for every batch size.
    assert dcgan.generate(dcgan.latents(10), batch_size=4).shape[0] == 10
    assert dcgan.sampling_trace_count() == traces
    for n in (3, 1, 9):
        images = dcgan.sample(n, seed=1)
        assert images.dtype == np.uint8
        np.testing.assert_array_equal(images, to_uint8(dcgan.generate(dcgan.latents(n, 1))))
    assert dcgan.sampling_trace_count() == traces + 1


def test_sample_is_reproducible(dcgan):
    np.testing.assert_array_equal(dcgan.sample(4, seed=5), dcgan.sample(4, seed=5))


def test_conditional_generate_is_compiled_with_labels():
    keras.utils.set_random_seed(0)
    gan = CGAN(**CGAN.example_config)
    z = gan.latents(4, seed=0)
    labels = np.array([0, 1, 2, 1], np.int32)
    expected = gan.inference_generator([tf.constant(z), tf.constant(labels)],
                                       training=False).numpy()
    np.testing.assert_allclose(gan.generate(z, labels), expected, atol=1e-5)
    traces = gan.sampling_trace_count()
    gan.generate(gan.latents(3, seed=1), labels=[2, 0, 1])
    assert gan.sampling_trace_count() == traces


def test_style_calls_are_compiled_and_do_not_retrace(stylegan2):
    gan = stylegan2
    gen = gan.inference_generator

    def calls(n):
        z1, z2 = gan.latents(n, seed=n), gan.latents(n, seed=n + 1)
        w = gan.mapping(z1)
        return (w, gan.synthesis(w), gan.generate(z1),
                gan.style_mixing(z1, z2, crossover=1), gan.sample(n, seed=n))

    w, images, generated, _, sampled = calls(3)
    z = gan.latents(3, seed=3)
    np.testing.assert_allclose(w, gen.map(tf.constant(z), None).numpy(), atol=1e-5)
    # generate: mapping and synthesis in one compiled call, as the eager network.
    eager = np.clip(gen(tf.constant(z), training=False).numpy(), -1.0, 1.0)
    np.testing.assert_allclose(generated, eager, atol=1e-5)
    np.testing.assert_allclose(images, eager, atol=1e-5)
    # w per layer (n, num_ws, w_dim) is the same as one w broadcast in the graph.
    np.testing.assert_allclose(gan.synthesis(np.repeat(w[:, None], gan.num_ws, axis=1)), eager,
                               atol=1e-5)
    np.testing.assert_array_equal(sampled, to_uint8(eager))
    traces = gan.sampling_trace_count()
    assert traces >= 2  # mapping and synthesis at least
    for n in (1, 5):
        calls(n)
    assert gan.sampling_trace_count() == traces


def test_compiled_calls_take_positional_tensors_only(stylegan2):
    # A defaulted parameter of the traced Python function (mapping's
    # `labels=None`) stays in the concrete function's signature and is bound
    # on every call: 1 ms of a 1.5 ms batch-1 mapping call, measured.
    import inspect

    gan = stylegan2
    z = gan.latents(2, seed=0)
    gan.mapping(z)
    gan.generate(z)
    cache = gan.__dict__["_compiled_sampling"]
    assert cache
    for key, function in cache.items():
        params = list(function.function_type.parameters.values())
        assert len(params) == len(key[-1]), key
        assert all(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in params), (key, params)


@pytest.mark.parametrize("call, bad", [("style_mixing", "z1"), ("style_mixing", "z2"),
                                       ("generate", "z")])
def test_latents_of_the_wrong_shape_are_refused_by_name(stylegan2, call, bad):
    gan = stylegan2
    good = gan.latents(2, seed=0)
    wrong = np.zeros((2, gan.latent_dim + 1), np.float32)
    if call == "generate":
        args = (wrong,)
    else:
        args = (wrong, good, np.full((2,), 1, np.int32)) if bad == "z1" else \
            (good, wrong, np.full((2,), 1, np.int32))
    with pytest.raises(ValueError, match=rf"^{bad} must have shape \(n, {gan.latent_dim}\)"):
        getattr(gan, call)(*args)
