"""TF Serving warmup records: `assets.extra/tf_serving_warmup_requests`.

TF Serving replays these `PredictionLog` records when it loads a version,
before it reports the version available, so the first user request does not
pay for graph initialization. One `PredictRequest` per endpoint, built with
the `tensorflow-serving-api` protos, its inputs made by `example_inputs`
from the endpoint's input signature (valid values: psi inside [0, 1],
labels, domains and crossovers 0, uint8 images).

Example:

>>> from keras_gans.export.warmup import read_warmup_requests
>>> for signature, inputs in read_warmup_requests("savedmodels/m/1"):  # doctest: +SKIP
...     loaded.signatures[signature](**inputs)
"""

import os

import numpy as np

WARMUP_DIR = "assets.extra"
WARMUP_FILE = "tf_serving_warmup_requests"


def _serving_apis():
    try:
        from tensorflow_serving.apis import predict_pb2, prediction_log_pb2
    except ImportError as e:  # a declared dependency: the install is incomplete
        raise ImportError(
            "Writing TF Serving warmup records needs tensorflow-serving-api; "
            "install it with `pip install 'tensorflow-serving-api>=2.21,<2.22'`.") from e
    return predict_pb2, prediction_log_pb2


def example_inputs(specs, batch=2, seed=0, size=None):
    """Valid numpy inputs of a signature: {name: array} for its `tf.TensorSpec`s.

    Floats are standard normal, except `truncation_psi` (0.7) and float
    images (rank 4: uniform in [-1, 1]); integers are 0
    (a valid label, domain, crossover or seed); uint8 (images) a seeded
    pattern. Unknown non-batch dimensions take `size` (default 32).
    """
    rng = np.random.default_rng(seed)
    out = {}
    for spec in specs:
        name = spec.name
        shape = [batch] + [d if d is not None else (size or 32)
                           for d in spec.shape.as_list()[1:]]
        dtype = spec.dtype.as_numpy_dtype
        if name == "truncation_psi":
            value = np.full(shape, 0.7, dtype)
        elif spec.dtype.is_floating and len(shape) == 4:
            # Float images: inside [-1, 1], or an in-graph range check fails
            # the warmup, and with it the version's load in TF Serving.
            value = rng.uniform(-1.0, 1.0, shape).astype(dtype)
        elif spec.dtype.is_floating:
            value = rng.standard_normal(shape).astype(dtype)
        elif dtype == np.uint8:
            value = rng.integers(0, 256, shape).astype(np.uint8)
        elif spec.dtype.is_integer:
            value = np.zeros(shape, dtype)
        elif spec.dtype.is_bool:
            value = np.zeros(shape, bool)
        else:
            raise ValueError(
                f"Cannot make a warmup value for input {name!r} of dtype {spec.dtype.name}; "
                "pass warmup_inputs= to export_savedmodel.")
        out[name] = value
    return out


def write_warmup_requests(version_dir, model_name, requests):
    """Writes `version_dir/assets.extra/tf_serving_warmup_requests`.

    Args:
        version_dir: the SavedModel directory (`<model>/<N>`).
        model_name: the model's name in TF Serving (`ModelSpec.name`).
        requests: list of `(signature_name, {input: numpy array})`.

    Returns:
        The path of the written file.
    """
    import tensorflow as tf

    predict_pb2, prediction_log_pb2 = _serving_apis()
    directory = os.path.join(version_dir, WARMUP_DIR)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, WARMUP_FILE)
    with tf.io.TFRecordWriter(path) as writer:
        for signature, inputs in requests:
            request = predict_pb2.PredictRequest()
            request.model_spec.name = model_name
            request.model_spec.signature_name = signature
            for key, value in inputs.items():
                request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return path


def read_warmup_requests(version_dir):
    """`[(signature_name, {input: numpy array})]` from a version's warmup records."""
    import tensorflow as tf

    _, prediction_log_pb2 = _serving_apis()
    path = os.path.join(version_dir, WARMUP_DIR, WARMUP_FILE)
    out = []
    for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
        log = prediction_log_pb2.PredictionLog.FromString(record)
        request = log.predict_log.request
        out.append((request.model_spec.signature_name,
                    {k: tf.make_ndarray(v) for k, v in request.inputs.items()}))
    return out
