"""Mixed precision for the zoo's models: bfloat16 or float16 compute, float32 state.

Every model takes `compile(mixed_precision=...)`:

* `None` (the default): keep the precision the networks were built with, e.g.
  under `keras.mixed_precision.set_global_policy("mixed_bfloat16")`;
* `"float32"`, `"bfloat16"` or `"float16"`: set the networks' Keras dtype
  policy to `float32`, `mixed_bfloat16` or `mixed_float16`.

Under a mixed policy the layers compute in 16 bits while every variable stays
float32 (weights, optimizer slots, the EMA generator's weights, BatchNorm
statistics), and the model keeps in float32 what needs the range or the
resolution: the reduced losses, the gradient penalties (GP, LP, DRAGAN, R1,
path length: gradients are taken with respect to float32 inputs and their
norms summed in float32), logged metrics and exported images. The resolved
policy is a compile option, so a `.keras` file restores it.

float16 has 5 exponent bits: gradients underflow without loss scaling, so under
`"float16"` both optimizers are wrapped in `keras.optimizers.LossScaleOptimizer`
(dynamic scale: halved after a step with non-finite gradients, doubled after
2000 finite ones). The model's own non-finite skip (`skip_nonfinite`) decides
for all replicas alike whether a step is applied, and a skipped float16 step
also halves the scale. bfloat16 has float32's exponent range and needs no
scaling; on CPUs with AMX or AVX512_BF16 it is the fastest choice
(`scripts/bench_train.py` measures it), elsewhere it can be slower than float32.

Example:

>>> gan = keras_gans.models.DCGAN(resolution=28)  # doctest: +SKIP
>>> gan.compile(mixed_precision="bfloat16")  # doctest: +SKIP
>>> gan.generator.dtype_policy.name  # doctest: +SKIP
'mixed_bfloat16'
"""

import contextlib

import keras
import tensorflow as tf

#: The values of `compile(mixed_precision=...)` and the Keras policy each means.
POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}
_ALIASES = {
    "float32": "float32", "fp32": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16", "mixed_bfloat16": "bfloat16",
    "float16": "float16", "fp16": "float16", "mixed_float16": "float16",
}


def precision_name(value):
    """The canonical `mixed_precision` option value: None, "float32", "bfloat16" or "float16".

    Accepts the Keras policy names (`"mixed_bfloat16"`), short forms (`"bf16"`)
    and `keras.DTypePolicy` objects.

    Example:

    >>> precision_name("mixed_bfloat16")
    'bfloat16'
    """
    if value is None:
        return None
    name = getattr(value, "name", value)
    if isinstance(name, str) and name.lower() in _ALIASES:
        return _ALIASES[name.lower()]
    raise ValueError(
        f"must be None, 'float32', 'bfloat16' or 'float16' (Keras policies "
        f"'mixed_bfloat16' / 'mixed_float16'); got {value!r}.")


def layers_of(*models):
    """Every layer inside `models` (recursively, each once, the models included)."""
    seen, out = set(), []
    for model in models:
        if model is None:
            continue
        for layer in model._flatten_layers(include_self=True, recursive=True):
            if id(layer) not in seen:
                seen.add(id(layer))
                out.append(layer)
    return out


def _has_float_variables(layer):
    return any(v.dtype in ("float16", "bfloat16", "float32", "float64") for v in layer.weights)


def precision_of(*models):
    """The precision most layers of `models` compute in: "float32", "bfloat16" or "float16".

    Raises `ValueError` for layers whose variables are not float32: pure 16-bit
    policies (Keras's "bfloat16", "float16") lose the small updates of training.

    Example:

    >>> precision_of(keras.Sequential([keras.layers.Dense(2, dtype="mixed_bfloat16")]))  # doctest: +SKIP
    'bfloat16'
    """
    counts = {}
    for layer in layers_of(*models):
        if not _has_float_variables(layer):
            continue
        policy = layer.dtype_policy
        if policy.variable_dtype != "float32":
            raise ValueError(
                f"layer {layer.name!r} keeps its variables in {policy.variable_dtype}; "
                "train with float32 variables: use the Keras policy 'mixed_bfloat16' or "
                "'mixed_float16' (or compile(mixed_precision='bfloat16')).")
        name = precision_name(policy.compute_dtype)
        counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "float32"
    return max(sorted(counts), key=counts.get)


def set_precision(models, precision):
    """Sets every layer of `models` to the Keras policy of `precision` (variables stay float32)."""
    policy = POLICIES[precision_name(precision)]
    for layer in layers_of(*models):
        if layer.dtype_policy.name != policy:
            layer.dtype_policy = policy


@contextlib.contextmanager
def precision_scope(models, precision):
    """Runs the block with `models` computing in `precision`, then restores each layer."""
    layers = layers_of(*models)
    previous = [layer.dtype_policy for layer in layers]
    set_precision(models, precision)
    try:
        yield
    finally:
        for layer, policy in zip(layers, previous):
            layer.dtype_policy = policy


def to_float32(value):
    """`value` (a tensor or a nest of them) with 16-bit float tensors cast to float32.

    Example:

    >>> to_float32(tf.constant([1.5], tf.bfloat16)).dtype
    tf.float32
    """
    def cast(x):
        x = tf.convert_to_tensor(x)
        if x.dtype in (tf.float16, tf.bfloat16):
            return tf.cast(x, tf.float32)
        return x

    return tf.nest.map_structure(cast, value)


def scaled_optimizer(optimizer, precision):
    """`optimizer` wrapped in `keras.optimizers.LossScaleOptimizer` for float16; as is otherwise."""
    if precision_name(precision) != "float16" or is_loss_scaled(optimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


def is_loss_scaled(optimizer):
    return isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def scale_loss(optimizer, loss):
    """`loss` times the optimizer's dynamic loss scale (float16), or `loss`."""
    return optimizer.scale_loss(loss) if is_loss_scaled(optimizer) else loss


def shrink_loss_scale(optimizer):
    """After a step skipped for non-finite gradients: halve the loss scale and
    restart the count of finite steps (what LossScaleOptimizer does itself when
    it sees such gradients; the model's skip decides first, for all replicas)."""
    if is_loss_scaled(optimizer):
        optimizer.step_counter.assign(0)
        optimizer.dynamic_scale.assign(optimizer.dynamic_scale * 0.5)
