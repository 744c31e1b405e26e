"""Writes docs/serving/<preset>/<signature>.{instances,inputs}[.response].json.

The REST `predict` request of every endpoint of every shipped SavedModel, in
TF Serving's row (`instances`) and columnar (`inputs`) formats, and the
response the SavedModel gives (TF Serving's JSON rules, see
`keras_gans.export.rest`). Seeded: rerunning it on the same exports writes the
same files; tests/export/rest_test.py feeds each request through the
signature and compares with the response file.

    python scripts/make_serving_examples.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gans.export.rest import predict_json, rest_request  # noqa: E402
from keras_gans.zoo.presets import read_table, repo_root  # noqa: E402

BATCH = 2
DECIMALS = 4


def example_inputs(signatures, name, seed=0):
    """Realistic inputs of one endpoint, `BATCH` rows, from `seed`."""
    rng = np.random.default_rng(seed)
    specs = signatures[name].structured_input_signature[1]
    out = {}
    for key, spec in sorted(specs.items()):
        shape = [BATCH] + spec.shape.as_list()[1:]
        if key in ("z", "z1", "z2"):
            value = rng.standard_normal(shape)
        elif key == "truncation_psi":
            value = np.array([0.7, 1.0])
        elif key in ("noise_seed", "labels", "target_domain"):
            value = np.arange(BATCH)
        elif key == "crossover":
            value = np.full([BATCH], 4)
        elif key == "w" and "mapping" in signatures:
            z = tf.constant(rng.standard_normal([BATCH, signatures["mapping"]
                            .structured_input_signature[1]["z"].shape[-1]]), tf.float32)
            value = signatures["mapping"](z=z)["w"].numpy()
        elif key == "images" and spec.dtype.is_floating:
            # Images in [-1, 1]: a smooth blob, as a real garment would be.
            yy, xx = np.mgrid[:shape[1], :shape[2]] / max(shape[1] - 1, 1)
            blob = np.exp(-((yy - 0.5) ** 2 + (xx - 0.5) ** 2) / 0.05) * 2 - 1
            value = np.broadcast_to(blob[None, :, :, None], shape) * np.array([1, 0.5])[:, None,
                                                                                     None, None]
        elif spec.dtype == tf.uint8:
            value = rng.integers(0, 256, shape)
        else:
            raise SystemExit(f"{name}: no example for input {key} ({spec})")
        out[key] = np.asarray(value).astype(spec.dtype.as_numpy_dtype)
    return out


def main():
    root = repo_root()
    table = read_table(os.path.join(root, "zoo"))
    for preset, row in sorted(table.items()):
        if not row.get("savedmodel"):
            continue
        loaded = tf.saved_model.load(os.path.join(root, row["savedmodel"]["path"]))
        signatures = loaded.signatures
        out_dir = os.path.join(root, "docs", "serving", preset)
        os.makedirs(out_dir, exist_ok=True)
        for name in sorted(signatures):
            inputs = example_inputs(signatures, name)
            for fmt in ("instances", "inputs"):
                request = rest_request(inputs, format=fmt, signature_name=name,
                                       decimals=DECIMALS)
                response = predict_json(signatures, request, decimals=DECIMALS)
                base = os.path.join(out_dir, f"{name}.{fmt}")
                with open(base + ".json", "w") as f:
                    json.dump(request, f, separators=(",", ":"))
                    f.write("\n")
                with open(base + ".response.json", "w") as f:
                    json.dump(response, f, separators=(",", ":"))
                    f.write("\n")
                print(base + ".json")


if __name__ == "__main__":
    main()
