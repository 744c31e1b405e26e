"""The REST examples of docs/serving.md, fed through the SavedModels themselves.

For every endpoint of every shipped export, docs/serving/<preset>/ holds the
`predict` request in the row (`instances`) and columnar (`inputs`) formats and
the response; docs/serving.md links each. The request JSON is parsed with TF
Serving's rules (`keras_gans.export.rest`), fed to the signature, and the
answer must match the documented response: uint8 images as integers.
"""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.export.rest import parse_rest_request, predict_json, rest_request
from keras_gans.zoo.presets import read_table, repo_root

ROOT = repo_root()
TABLE = read_table(os.path.join(ROOT, "zoo"))
EXPORTS = {n: os.path.join(ROOT, r["savedmodel"]["path"])
           for n, r in sorted(TABLE.items()) if r.get("savedmodel")}
DOC = open(os.path.join(ROOT, "docs", "serving.md"), encoding="utf-8").read()


@pytest.fixture(scope="module")
def loaded():
    return {n: tf.saved_model.load(p) for n, p in EXPORTS.items()}


def cases():
    out = []
    for name in EXPORTS:
        folder = os.path.join(ROOT, "docs", "serving", name)
        for fmt in ("instances", "inputs"):
            signatures = sorted(f[:-len(f".{fmt}.json")] for f in os.listdir(folder)
                                if f.endswith(f".{fmt}.json")) if os.path.isdir(folder) else []
            out += [(name, s, fmt) for s in signatures]
    return out


def test_every_endpoint_has_both_formats_documented(loaded):
    documented = {(n, s, f) for n, s, f in cases()}
    for name, model in loaded.items():
        for signature in model.signatures:
            for fmt in ("instances", "inputs"):
                assert (name, signature, fmt) in documented, (name, signature, fmt)
                assert f"docs/serving/{name}/{signature}.{fmt}.json" in DOC, (name, signature)


@pytest.mark.parametrize("name, signature, fmt", cases())
def test_documented_request_gives_the_documented_response(loaded, name, signature, fmt):
    folder = os.path.join(ROOT, "docs", "serving", name)
    request = json.load(open(os.path.join(folder, f"{signature}.{fmt}.json")))
    documented = json.load(open(os.path.join(folder, f"{signature}.{fmt}.response.json")))
    assert request.get("signature_name", "serving_default") == signature
    assert (fmt in request) and len(request) <= 2
    fn = loaded[name].signatures[signature]
    response = predict_json(loaded[name].signatures, request)
    key = "predictions" if fmt == "instances" else "outputs"
    assert set(response) == set(documented) == {key}
    (out_name, spec), = fn.structured_outputs.items()
    served, want = np.asarray(response[key]), np.asarray(documented[key])
    rows = len(request[fmt]) if fmt == "instances" else len(next(iter(request[fmt].values())))
    assert served.shape == want.shape == (rows, *spec.shape[1:]), (served.shape, want.shape)
    if spec.dtype == tf.uint8:
        # uint8 images back: JSON integers in [0, 255].
        assert np.issubdtype(want.dtype, np.integer) and 0 <= want.min() and want.max() <= 255
        assert np.abs(served.astype(int) - want).max() <= 1
    else:
        np.testing.assert_allclose(served, want, atol=2e-4, rtol=0)


def test_row_and_columnar_requests_agree(loaded):
    z = np.random.default_rng(0).standard_normal((3, 100)).astype(np.float32)
    sigs = loaded["dcgan_fashion_mnist"].signatures
    rows = predict_json(sigs, rest_request({"z": z}))["predictions"]
    cols = predict_json(sigs, json.dumps(rest_request({"z": z}, format="inputs")))["outputs"]
    direct = sigs["serving_default"](z=tf.constant(z))["images"].numpy()
    np.testing.assert_array_equal(rows, direct)
    np.testing.assert_array_equal(cols, direct)


def test_bad_requests_are_refused():
    specs = {"z": tf.TensorSpec([None, 2], tf.float32, name="z"),
             "truncation_psi": tf.TensorSpec([None], tf.float32, name="truncation_psi")}
    with pytest.raises(ValueError, match="one batch size"):
        rest_request({"z": np.zeros([2, 2]), "truncation_psi": np.ones([3])})
    with pytest.raises(ValueError, match="exactly one of 'instances' and 'inputs'"):
        parse_rest_request({"instances": [], "inputs": {}}, lambda s: specs)
    with pytest.raises(ValueError, match=r"takes \['truncation_psi', 'z'\]; got \['z'\]"):
        parse_rest_request({"inputs": {"z": [[0, 0]]}}, lambda s: specs)
