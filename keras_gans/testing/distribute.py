"""One two-replica MirroredStrategy per process, shared by every test.

Collective instance keys are allocated per strategy object: a second
MirroredStrategy in the same process reuses keys the first one already
resolved with other tensor shapes, and its first all-reduce aborts with
"Shape mismatch in the collective instance 100" (tensorflow/tensorflow#62790;
measured here: a DCGAN fit, then an LSGAN fit, each under its own strategy).
Tests therefore share one strategy; a user script should likewise create its
strategy once and reuse it for every model it trains.
"""

import functools

import tensorflow as tf


@functools.lru_cache(maxsize=None)
def two_device_strategy():
    """The process's MirroredStrategy over its first two logical CPU devices.

    Example:

    >>> strategy = two_device_strategy()  # doctest: +SKIP
    >>> with strategy.scope():  # doctest: +SKIP
    ...     model = keras_gans.models.DCGAN(resolution=8, width=4)
    """
    devices = tf.config.list_logical_devices("CPU")
    if len(devices) < 2:
        raise RuntimeError(
            f"Two logical CPU devices are needed, found {len(devices)}: call "
            "tf.config.set_logical_device_configuration(cpu, [LogicalDeviceConfiguration()] * 2) "
            "before TensorFlow initializes its devices (tests/conftest.py does).")
    return tf.distribute.MirroredStrategy([d.name for d in devices[:2]])


def _one_batch(model, global_batch):
    import numpy as np

    shape = (global_batch,) + tuple(int(s) for s in model.discriminator.inputs[0].shape[1:])
    x = np.tanh(np.random.default_rng(0).standard_normal(shape)).astype("float32")
    if getattr(model, "num_classes", None):
        y = (np.arange(global_batch) % model.num_classes).astype("int32")
        return tf.data.Dataset.from_tensor_slices((x, y)).batch(global_batch)
    return tf.data.Dataset.from_tensor_slices(x).batch(global_batch)


def _tiny_compiled(cls, compile_kwargs=None):
    import keras

    keras.utils.set_random_seed(0)
    model = cls(**cls.example_config)
    # A callable gives each model its own optimizer objects (one optimizer
    # instance cannot serve two models).
    kwargs = compile_kwargs() if callable(compile_kwargs) else dict(compile_kwargs or {})
    model.compile(**kwargs)
    return model


def sgd_compile_kwargs(learning_rate=0.01):
    """Compile arguments with plain SGD for both networks, as a factory for
    `one_step_on_one_and_two_replicas(..., compile_kwargs=...)`.

    Adam and RMSProp divide by the gradient's running scale, so a gradient
    that is N times too large (a per-replica `reduce_mean` on N replicas)
    changes their update only through epsilon; under SGD the update itself
    scales, and the 1-vs-2-replica comparison fails by the learning rate.

    Example:

    >>> run = one_step_on_one_and_two_replicas(DCGAN, compile_kwargs=sgd_compile_kwargs())  # doctest: +SKIP
    """
    import keras

    def make():
        return {"d_optimizer": keras.optimizers.SGD(learning_rate),
                "g_optimizer": keras.optimizers.SGD(learning_rate)}

    return make


def one_step_on_one_and_two_replicas(cls, global_batch=8, strategy=None, compile_kwargs=None):
    """Trains `cls(**cls.example_config)` for one step on one device and on 2 replicas.

    Both start from the same weights and see the same global batch;
    `compile_kwargs` go to both `compile` calls (default: the family's
    defaults): a dict, or a callable returning one per model (needed for
    optimizer objects, see `sgd_compile_kwargs`).

    Returns:
        dict with "names" (weight paths), "initial", "single" and "mirrored"
        (lists of weight arrays), "single_logs" and "mirrored_logs" (Keras
        histories) and "metric_names" (the family's logged keys).
    """
    if getattr(cls, "example_config", None) is None:
        raise ValueError(
            f"{cls.__name__} needs an `example_config` (a tiny instance) for the checks that "
            "run over every family.")
    strategy = strategy or two_device_strategy()
    single = _tiny_compiled(cls, compile_kwargs)
    initial = single.get_weights()
    h1 = single.fit(_one_batch(single, global_batch), epochs=1, verbose=0)
    with strategy.scope():
        mirrored = _tiny_compiled(cls, compile_kwargs)
        mirrored.set_weights(initial)
    h2 = mirrored.fit(_one_batch(mirrored, global_batch), epochs=1, verbose=0)
    return {"names": [v.path for v in single.weights], "initial": initial,
            "single": single.get_weights(), "mirrored": mirrored.get_weights(),
            "single_logs": h1.history, "mirrored_logs": h2.history,
            "metric_names": single.metric_names()}


def assert_same_step(run, atol=1e-6, log_atol=1e-5):
    """Asserts a `one_step_on_one_and_two_replicas` result: every weight equal
    within `atol`, every logged value within `log_atol`, and the step moved
    some weight (so the comparison is not between two untouched models)."""
    import numpy as np

    for name, a, b in zip(run["names"], run["single"], run["mirrored"]):
        np.testing.assert_allclose(b, a, atol=atol, rtol=0, err_msg=name)
    for key in run["metric_names"]:
        np.testing.assert_allclose(run["mirrored_logs"][key], run["single_logs"][key],
                                   atol=log_atol, err_msg=key)
    assert any(not np.array_equal(a, b) for a, b in zip(run["initial"], run["single"])), \
        "the step changed no weight"
