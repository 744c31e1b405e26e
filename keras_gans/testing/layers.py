"""The shared layer test, in the spirit of Keras's `run_layer_test`.

Every layer of the zoo is checked for the same contract:

* it builds on `input_shape` and returns `expected_output_shape` (eager call
  and `compute_output_shape`, when the layer defines it);
* it owns exactly the expected numbers of trainable and non-trainable weights;
* `get_config` -> `from_config` gives a layer that, with the same weights,
  computes the same output, and the layer survives a `.keras` round trip
  inside a functional model (registered for serialization);
* training and inference calls agree, or differ, as declared (dropout, noise
  and batch statistics make them differ).

Example:

>>> run_layer_test(PixelNormalization, {}, input_shape=(2, 4, 4, 3),
...                expected_output_shape=(2, 4, 4, 3))  # doctest: +SKIP
"""

import os
import tempfile

import keras
import numpy as np


def _as_inputs(input_shape, input_dtype, seed):
    rng = np.random.default_rng(seed)
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    dtypes = input_dtype if isinstance(input_dtype, list) else [input_dtype] * len(shapes)
    arrays = []
    for shape, dtype in zip(shapes, dtypes):
        if np.issubdtype(np.dtype(dtype), np.integer):
            arrays.append(rng.integers(0, 2, shape).astype(dtype))
        else:
            arrays.append(rng.standard_normal(shape).astype(dtype))
    return arrays if isinstance(input_shape, list) else arrays[0]


def _shape_of(output):
    if isinstance(output, (list, tuple)):
        return [tuple(o.shape) for o in output]
    return tuple(output.shape)


def _numpy(output):
    if isinstance(output, (list, tuple)):
        return [np.asarray(o) for o in output]
    return np.asarray(output)


def run_layer_test(layer_cls, init_kwargs, input_shape, expected_output_shape,
                   expected_num_trainable_weights=None, expected_num_non_trainable_weights=None,
                   training_changes_output=False, input_dtype="float32", call_kwargs=None,
                   atol=1e-6, seed=0):
    """Checks a layer's build, shapes, weights, config and saving contracts.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments.
        input_shape: the input's full shape (with batch), or a list of shapes
            for a layer with several inputs.
        expected_output_shape: the output's shape (or a list of shapes).
        expected_num_trainable_weights, expected_num_non_trainable_weights:
            weight counts after building (None: not checked).
        training_changes_output: True when `training=True` must give another
            output than `training=False` (dropout, noise); False when both
            must agree.
        input_dtype: dtype of the random inputs (or a list, per input).
        call_kwargs: extra call arguments.
        atol: tolerance of the round-trip comparisons.

    Returns:
        The built layer.
    """
    call_kwargs = dict(call_kwargs or {})
    keras.utils.set_random_seed(seed)
    layer = layer_cls(**init_kwargs)
    inputs = _as_inputs(input_shape, input_dtype, seed)
    output = layer(inputs, training=False, **call_kwargs)
    assert _shape_of(output) == (
        [tuple(s) for s in expected_output_shape] if isinstance(expected_output_shape, list)
        else tuple(expected_output_shape)), (
        f"{layer_cls.__name__} output shape {_shape_of(output)}, expected {expected_output_shape}")
    if type(layer).compute_output_shape is not keras.layers.Layer.compute_output_shape:
        computed = layer.compute_output_shape(input_shape)
        computed = [tuple(c) for c in computed] if isinstance(computed, list) else tuple(computed)
        expected = ([tuple(s) for s in expected_output_shape]
                    if isinstance(expected_output_shape, list) else tuple(expected_output_shape))
        assert computed == expected, (
            f"{layer_cls.__name__}.compute_output_shape gave {computed}, expected {expected}")
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights, (
            f"{layer_cls.__name__} has {len(layer.trainable_weights)} trainable weights, "
            f"expected {expected_num_trainable_weights}")
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights, (
            f"{layer_cls.__name__} has {len(layer.non_trainable_weights)} non-trainable "
            f"weights, expected {expected_num_non_trainable_weights}")

    reference = _numpy(layer(inputs, training=False, **call_kwargs))
    # Config round trip: same class, same config, same output with the same weights.
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    clone(inputs, training=False, **call_kwargs)
    assert clone.get_config() == config, f"{layer_cls.__name__} config changes on a round trip"
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(
        _numpy(clone(inputs, training=False, **call_kwargs)), reference, atol=atol,
        err_msg=f"{layer_cls.__name__} from_config computes something else")

    # .keras round trip inside a functional model (only for plain tensor calls).
    if not call_kwargs:
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        dtypes = input_dtype if isinstance(input_dtype, list) else [input_dtype] * len(shapes)
        model_inputs = [keras.Input(tuple(s[1:]), batch_size=s[0], dtype=d)
                        for s, d in zip(shapes, dtypes)]
        fresh = layer_cls.from_config(config)
        model = keras.Model(model_inputs, fresh(model_inputs if len(shapes) > 1
                                                else model_inputs[0]))
        fresh.set_weights(layer.get_weights())
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "layer.keras")
            model.save(path)
            loaded = keras.saving.load_model(path)
        np.testing.assert_allclose(
            _numpy(loaded(inputs, training=False)), reference, atol=atol,
            err_msg=f"{layer_cls.__name__} changes through a .keras round trip")

    trained = _numpy(layer(inputs, training=True, **call_kwargs))
    same = all(np.allclose(a, b, atol=atol) for a, b in zip(
        trained if isinstance(trained, list) else [trained],
        reference if isinstance(reference, list) else [reference]))
    if training_changes_output:
        assert not same, f"{layer_cls.__name__}: training=True should change the output"
    else:
        assert same, f"{layer_cls.__name__}: training=True changed the output"
    return layer
