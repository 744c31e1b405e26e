"""Every shipped export loads with `tensorflow_hub.load` and `keras.layers.TFSMLayer`,
in a process that never imports keras_gans (as a user of the SavedModel alone)."""

import json
import os
import subprocess
import sys

from keras_gans.zoo.presets import read_table, repo_root

ROOT = repo_root()
TABLE = read_table(os.path.join(ROOT, "zoo"))
SHIPPED = {n: os.path.join(ROOT, r["savedmodel"]["path"])
           for n, r in sorted(TABLE.items()) if r.get("savedmodel")}

LOAD = r"""
import json, sys
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
import keras

def example(spec, rng, n=3):
    shape = [n] + spec.shape.as_list()[1:]
    if spec.name == "truncation_psi":
        return tf.fill(shape, 0.7)
    if spec.dtype.is_floating:
        return tf.constant(rng.uniform(-1, 1, shape), spec.dtype)
    return tf.zeros(shape, spec.dtype)

report = {}
for name, path in json.loads(sys.argv[1]).items():
    rng = np.random.default_rng(0)
    reference = tf.saved_model.load(path)
    module = hub.load(path)
    checked = []
    for sig_name, fn in reference.signatures.items():
        inputs = {k: example(s, rng) for k, s in fn.structured_input_signature[1].items()}
        want = fn(**inputs)
        got = module.signatures[sig_name](**inputs)
        assert set(got) == set(want), (name, sig_name)
        for key in want:
            np.testing.assert_array_equal(got[key].numpy(), want[key].numpy())
        checked.append(sig_name)
        if sig_name != "serving_default":
            continue
        # Keras 3 wraps the export as a layer (each layer loads the SavedModel
        # again: only the default endpoint); one input: a functional model.
        layer = keras.layers.TFSMLayer(path, call_endpoint=sig_name)
        # The endpoint's positional order (the signature's dict is sorted by name).
        keys = [s.name for s in getattr(reference, sig_name).input_signature]
        if len(keys) == 1:
            spec = fn.structured_input_signature[1][keys[0]]
            x = keras.Input(shape=spec.shape[1:], dtype=spec.dtype.name)
            out = layer(x)
            model = keras.Model(x, out)
            out = model(inputs[keys[0]])
        else:
            out = layer(inputs[keys[0]], **{k: inputs[k] for k in keys[1:]})
        for key in want:
            np.testing.assert_array_equal(np.asarray(out[key]), want[key].numpy())
    report[name] = sorted(checked)
assert "keras_gans" not in sys.modules
print(json.dumps(report))
"""


def test_every_shipped_export_loads_with_hub_and_tfsmlayer():
    assert {"dcgan_fashion_mnist", "stylegan2_fashion_mnist"} <= set(SHIPPED)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", LOAD, json.dumps(SHIPPED)], cwd="/",
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(report) == set(SHIPPED)
    assert report["stylegan2_fashion_mnist"] == sorted(
        ["serving_default", "generate", "generate_seeded", "mapping", "synthesis",
         "style_mixing"])
    assert report["dcgan_fashion_mnist"] == ["generate", "serving_default"]
