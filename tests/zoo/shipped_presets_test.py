"""The presets shipped in this clone: verified by hash, they load, sample and serve.

Parametrized over `zoo/presets.json`, so a newly published preset is covered
without a new test. The SavedModels are loaded in a subprocess that never
imports keras_gans, as TF Serving (or a user without this package) would.
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from keras_gans import zoo
from keras_gans.utils.files import sha256_of
from keras_gans.zoo.presets import get_preset, read_table, repo_root

ROOT = repo_root()
TABLE = read_table(os.path.join(ROOT, "zoo"))
SHIPPED = sorted(TABLE)
GENERATORS = [n for n in SHIPPED if TABLE[n].get("task", "generation") == "generation"]


@pytest.fixture(autouse=True)
def shipped_dirs(monkeypatch):
    # Read the clone's zoo/ and savedmodels/, whatever the environment points at.
    monkeypatch.delenv("KERAS_GANS_ZOO_DIR", raising=False)
    monkeypatch.delenv("KERAS_GANS_SAVEDMODELS_DIR", raising=False)


def test_something_is_shipped():
    assert {"dcgan_fashion_mnist", "stylegan2_fashion_mnist",
            "fashion_mnist_classifier"} <= set(SHIPPED)


@pytest.mark.parametrize("name", GENERATORS)
def test_shipped_generator_loads_verified_and_samples_reproducibly(name):
    model = zoo.load(name)  # checks both files' sha256 against the table
    row = get_preset(name)
    a, b = model.sample(8, seed=0), model.sample(8, seed=0)
    size = row["resolution"]
    assert a.dtype == np.uint8 and a.shape == (8, size, size, 1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, model.sample(8, seed=1))
    # Not a collapsed or blank generator: samples differ from each other.
    assert a.reshape(8, -1).astype(np.float32).std(axis=0).mean() > 10


@pytest.mark.parametrize("name", SHIPPED)
def test_card_names_the_recipe_hashes_and_its_images(name):
    row = TABLE[name]
    directory = os.path.join(ROOT, "zoo", name)
    card = open(os.path.join(directory, "README.md"), encoding="utf-8").read()
    assert row["recipe"] and row["recipe"] in card
    for filename, digest in row["files"].items():
        assert digest in card
        assert sha256_of(os.path.join(directory, filename)) == digest
    script = re.search(r"python (scripts/\S+\.py)", row["recipe"])
    assert script and os.path.exists(os.path.join(ROOT, script.group(1))), row["recipe"]
    for image in re.findall(r"!\[[^]]*\]\(([^)]+)\)", card):
        assert os.path.exists(os.path.join(directory, image)), image


def test_savedmodels_match_the_table_and_the_serving_config():
    config = open(os.path.join(ROOT, "savedmodels", "models.config")).read()
    served = set(re.findall(r'name: "([^"]+)"', config))
    with_export = {n for n in SHIPPED if TABLE[n].get("savedmodel")}
    assert served == with_export
    for name in with_export:
        sm = TABLE[name]["savedmodel"]
        path = os.path.join(ROOT, sm["path"])
        base = os.path.dirname(path)
        versions = sorted(int(v) for v in os.listdir(base) if v.isdigit())
        # TF Serving serves the highest version: it must be the table's.
        assert os.path.basename(path) == str(versions[-1]), (name, versions)
        for rel, digest in sm["files"].items():
            assert sha256_of(os.path.join(path, rel)) == digest, (name, rel)


SERVE = r"""
import json, sys
import numpy as np
import tensorflow as tf
requests = json.loads(sys.argv[1])
out = {}
for name, (path, z) in requests.items():
    sig = tf.saved_model.load(path).signatures["serving_default"]
    inputs = {}
    for key, spec in sig.structured_input_signature[1].items():
        if key == "z":
            inputs[key] = tf.constant(z, tf.float32)
        elif key == "truncation_psi":
            inputs[key] = tf.ones([len(z)], tf.float32)
        else:
            raise SystemExit(f"unexpected input {key}")
    out[name] = sig(**inputs)["images"].numpy().tolist()
assert "keras_gans" not in sys.modules
print(json.dumps(out))
"""


def test_savedmodels_serve_what_the_keras_model_generates():
    requests, expected = {}, {}
    for name in GENERATORS:
        if not TABLE[name].get("savedmodel"):
            continue
        model = zoo.load(name)
        z = model.latents(4, seed=3)
        requests[name] = (os.path.join(ROOT, TABLE[name]["savedmodel"]["path"]),
                          np.asarray(z).tolist())
        expected[name] = model.sample(4, seed=3)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", SERVE, json.dumps(requests)],
                          capture_output=True, text=True, env=env, cwd="/", timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    served = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(served) == set(expected)
    for name, images in served.items():
        images = np.asarray(images)
        assert images.shape == expected[name].shape, name
        # uint8 from the same float graph: at most one level of rounding apart.
        assert np.abs(images.astype(int) - expected[name].astype(int)).max() <= 1, name
