"""Mixed precision in every family: bfloat16 compute, float32 variables, losses and logs.

`compile(mixed_precision="bfloat16")` (keras_gans.mixed_precision) sets the
networks' Keras policy to `mixed_bfloat16`. That every registered family
trains a step in bfloat16 with finite float32 logs and float32 variables is
checked by `tests/cli/train_every_family_test.py` (`--mixed-precision
bfloat16`, one run per family). Here: bfloat16 and
float32 losses on one fixed batch agree within a stated tolerance, `.keras`
files keep the precision, float16 is loss-scaled and an overflowing float16
step is skipped (weights untouched) while its scale halves.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans.models as models
from keras_gans import mixed_precision

#: bfloat16 keeps 8 significant bits (relative rounding 2^-8 = 0.4% per op):
#: on the tiny example networks the losses of one fixed batch differed from
#: float32 by up to ~2% (measured); the bound leaves room for other seeds.
LOSS_RTOL = 0.08


def tiny_batch(model, n=8):
    """A fixed batch shaped for the model's discriminator (and labels)."""
    shape = (n,) + tuple(int(s) for s in model.discriminator.inputs[0].shape[1:])
    x = np.tanh(np.random.default_rng(0).standard_normal(shape)).astype("float32")
    if getattr(model, "num_classes", None):
        y = (np.arange(n) % model.num_classes).astype("int32")
        return tf.data.Dataset.from_tensors((x, y))
    return tf.data.Dataset.from_tensors(x)


def build(family, **compile_kwargs):
    cls = models.get(family)
    keras.utils.set_random_seed(0)
    model = cls(**cls.example_config)
    model.compile(**compile_kwargs)
    return model


@pytest.mark.parametrize("family", ["dcgan", "wgan_gp", "stylegan2"])
def test_bfloat16_losses_track_float32_on_a_fixed_batch(family):
    # WGAN-GP adds the gradient penalty, StyleGAN2 R1 (test_step evaluates the
    # D terms with its lazy regularizer due at iteration 0).
    model = build(family)
    batch = tiny_batch(model)
    full = model.evaluate(batch, verbose=0, return_dict=True)
    model.compile(mixed_precision="bfloat16")
    half = model.evaluate(batch, verbose=0, return_dict=True)
    assert model.mixed_precision == "bfloat16"
    for key in ("d_loss", "g_loss"):
        assert np.isfinite(half[key])
        assert abs(half[key] - full[key]) <= LOSS_RTOL * max(1.0, abs(full[key])), (
            key, full[key], half[key])


def test_keras_file_keeps_the_precision(tmp_path):
    model = build("dcgan", mixed_precision="bfloat16")
    z = model.latents(3, seed=0)
    before = model.generate(z)
    path = str(tmp_path / "bf16.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.mixed_precision == "bfloat16"
    assert mixed_precision.precision_of(loaded.generator) == "bfloat16"
    assert before.dtype == np.float32
    np.testing.assert_array_equal(loaded.generate(z), before)


def test_global_policy_is_read_and_saved():
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = build("dcgan")
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert model.mixed_precision == "bfloat16"
    assert model.get_compile_config()["mixed_precision"] == "bfloat16"


def test_bad_precision_is_refused_at_the_door():
    with pytest.raises(ValueError, match="mixed_precision must be None, 'float32', 'bfloat16'"):
        build("dcgan", mixed_precision="int8")
    model = models.get("dcgan")(**models.DCGAN.example_config)
    for layer in model.generator.layers:
        layer.dtype_policy = "bfloat16"  # bfloat16 variables: updates vanish
    with pytest.raises(ValueError, match="float32 variables"):
        model.compile()


def test_float16_is_loss_scaled_and_an_overflow_skips_the_step():
    model = build("dcgan", mixed_precision="float16")
    assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    batch = tiny_batch(model)
    history = model.fit(batch, epochs=2, verbose=0).history
    assert np.all(np.isfinite(history["d_loss"])) and history["skipped_steps"][-1] == 0
    # A scale of 2^40 overflows float16 (max 65504): both updates must be
    # skipped, leaving every weight as it was, and both scales halve.
    for optimizer in (model.d_optimizer, model.g_optimizer):
        optimizer.dynamic_scale.assign(2.0 ** 40)
    weights = [w.numpy() for w in model.trainable_weights]
    model.fit(batch, epochs=1, verbose=0)
    for before, w in zip(weights, model.trainable_weights):
        np.testing.assert_array_equal(w.numpy(), before, err_msg=w.path)
    assert int(model.skipped_steps.numpy()) == 2
    for optimizer in (model.d_optimizer, model.g_optimizer):
        assert float(optimizer.dynamic_scale.numpy()) == 2.0 ** 39


def _conv_dtypes(graph):
    graph = graph.as_graph_def()
    ops = list(graph.node) + [op for f in graph.library.function for op in f.node_def]
    return {op.attr["T"].type for op in ops if "Conv" in op.op}


@pytest.mark.parametrize("precision, expected", [("float32", tf.float32.as_datatype_enum),
                                                 ("bfloat16", tf.bfloat16.as_datatype_enum)])
def test_a_bfloat16_model_exports_the_precision_asked_for(tmp_path, precision, expected):
    # The export's precision scope must cover every trace, the ones `write_out`
    # makes included: traced outside it, the graphs computed in the training
    # policy.
    from keras_gans.export import export_savedmodel

    keras.utils.set_random_seed(0)
    gan = models.DCGAN(width=4, latent_dim=8)
    gan.compile(mixed_precision="bfloat16")
    path = export_savedmodel(gan, str(tmp_path / "m"), version=1, write_config=False,
                             precision=precision)
    saved = tf.saved_model.load(path)
    # Both ways in: the signature (TF Serving) and the callable attribute
    # (`saved.generate(z)`, what keras.layers.TFSMLayer calls).
    assert _conv_dtypes(saved.signatures["generate"].graph) == {expected}
    (attribute,) = saved.generate._list_all_concrete_functions()
    assert _conv_dtypes(attribute.graph) == {expected}
    z = gan.latents(3, seed=0)
    images = saved.signatures["generate"](z=tf.constant(z))["images"]
    if precision == "float32":
        assert images.dtype == tf.float32
    # The model itself is left in its training precision.
    assert gan.generator.layers[-1].compute_dtype == "bfloat16"
