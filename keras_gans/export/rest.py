"""TF Serving's REST `predict` JSON, built and answered without a model server.

`POST /v1/models/<name>[/versions/<N>]:predict` takes either the row format
(`{"signature_name": ..., "instances": [{"z": [...], ...}, ...]}`, one object
per example) or the columnar format (`{"inputs": {"z": [[...], ...], ...}}`).
The answer is `{"predictions": [...]}` for rows and `{"outputs": ...}` for
columns; with one named output (all keras_gans endpoints) the name is
omitted. uint8 images come back as JSON integers.

`predict_json` applies those rules to a loaded signature, so the examples in
docs/serving.md are checked against the SavedModel itself (tests/export/
rest_test.py) on a machine without `tensorflow_model_server`.

Example:

>>> body = rest_request({"z": np.zeros([2, 100], np.float32)})  # doctest: +SKIP
>>> predict_json(loaded.signatures, body)["predictions"][0]  # 28 x 28 x 1 ints  # doctest: +SKIP
"""

import numpy as np


def _to_json(value, decimals=None):
    value = np.asarray(value)
    if decimals is not None and np.issubdtype(value.dtype, np.floating):
        value = np.round(value.astype(np.float64), decimals)
    return value.tolist()


def rest_request(inputs, format="instances", signature_name="serving_default", decimals=None):
    """The JSON body (a dict) of a REST `predict` request.

    Args:
        inputs: `{input name: array with a batch dimension}`.
        format: `"instances"` (row format) or `"inputs"` (columnar).
        signature_name: the endpoint; omitted from the body for
            `serving_default`.
        decimals: round float inputs (shorter documents).
    """
    if format not in ("instances", "inputs"):
        raise ValueError(f"format must be 'instances' or 'inputs'; got {format!r}.")
    body = {} if signature_name == "serving_default" else {"signature_name": signature_name}
    if format == "inputs":
        body["inputs"] = {k: _to_json(v, decimals) for k, v in inputs.items()}
        return body
    sizes = {k: len(v) for k, v in inputs.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"The row format needs one batch size for every input; got {sizes}: "
                         "use format='inputs'.")
    n = next(iter(sizes.values()))
    body["instances"] = [{k: _to_json(v[i], decimals) for k, v in inputs.items()}
                         for i in range(n)]
    return body


def parse_rest_request(body, input_specs):
    """`(signature_name, {input: numpy array})` of a REST `predict` body."""
    if not isinstance(body, dict):
        raise ValueError("A predict body is a JSON object with 'instances' or 'inputs'.")
    signature = body.get("signature_name", "serving_default")
    if ("instances" in body) == ("inputs" in body):
        raise ValueError("A predict body holds exactly one of 'instances' and 'inputs'.")
    specs = input_specs(signature)
    if "inputs" in body:
        columns = body["inputs"]
        if not isinstance(columns, dict):
            if len(specs) != 1:
                raise ValueError(f"'inputs' must name the inputs {sorted(specs)}.")
            columns = {next(iter(specs)): columns}
    else:
        rows = body["instances"]
        if not rows:
            raise ValueError("'instances' is empty.")
        if isinstance(rows[0], dict):
            columns = {k: [row[k] for row in rows] for k in rows[0]}
        elif len(specs) == 1:
            columns = {next(iter(specs)): rows}
        else:
            raise ValueError(f"Each instance must be an object naming {sorted(specs)}.")
    if set(columns) != set(specs):
        raise ValueError(f"Signature {signature!r} takes {sorted(specs)}; got {sorted(columns)}.")
    return signature, {k: np.asarray(v, dtype=specs[k].dtype.as_numpy_dtype)
                       for k, v in columns.items()}


def predict_json(signatures, body, decimals=None):
    """Answers a REST `predict` body as TF Serving would, from loaded signatures.

    Args:
        signatures: `tf.saved_model.load(path).signatures`.
        body: the request (dict or JSON string).
        decimals: round float outputs.
    """
    import json

    import tensorflow as tf

    if isinstance(body, str):
        body = json.loads(body)

    def specs(name):
        if name not in signatures:
            raise ValueError(f"No signature {name!r}; the model has {sorted(signatures)}.")
        return signatures[name].structured_input_signature[1]

    signature, inputs = parse_rest_request(body, specs)
    outputs = signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
    outputs = {k: v.numpy() for k, v in outputs.items()}
    if "inputs" in body:
        if len(outputs) == 1:
            return {"outputs": _to_json(next(iter(outputs.values())), decimals)}
        return {"outputs": {k: _to_json(v, decimals) for k, v in outputs.items()}}
    n = len(next(iter(outputs.values())))
    if len(outputs) == 1:
        return {"predictions": _to_json(next(iter(outputs.values())), decimals)}
    return {"predictions": [{k: _to_json(v[i], decimals) for k, v in outputs.items()}
                            for i in range(n)]}
