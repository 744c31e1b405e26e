"""`keras-gans train FAMILY` works for every registered family, on images and on points.

In-process (`cli.main`), one step of one epoch on tiny data with each
family's own tiny widths (its `example_config` minus the data arguments the
CLI fills in from the data), so a new family is covered as soon as it is
registered. Conditional families must receive the labels.

The image runs train with `--mixed-precision bfloat16`: this is also the
check that every family trains in bfloat16 with finite float32 logs and
float32 variables (EMA included), and that the `.keras` file keeps the
precision (`tests/perf/mixed_precision_test.py` has the rest). The points
runs train in float32.
"""

import csv

import json
import os

import keras
import numpy as np
import pytest

from keras_gans import cli, mixed_precision, models

#: Constructor arguments that come from the data, never from the test.
DATA_ARGUMENTS = ("data_shape", "resolution", "channels", "num_classes")


def tiny_options(family):
    config = dict(models.get(family).example_config)
    sets = []
    for key, value in config.items():
        if key not in DATA_ARGUMENTS:
            sets += ["--set", f"{key}={json.dumps(value)}"]
    return sets


#: The points pipeline (2-D mixtures) through one unconditional, one conditional and one
#: penalized family; every family that takes vectors goes through the same code.
POINTS_FAMILIES = ("vanilla", "cgan", "wgan_gp")

CASES = [(f, "digits") for f in models.list_families()]
CASES += [(f, "ring8") for f in POINTS_FAMILIES]


@pytest.mark.parametrize("family,dataset", CASES, ids=[f"{f}-{d}" for f, d in CASES])
def test_train_one_step(family, dataset, tmp_path, capsys):
    out = str(tmp_path / "run")
    images = dataset == "digits"
    argv = ["train", family, "--dataset", dataset, "--epochs", "1", "--steps-per-epoch", "1",
            "--batch-size", "8", "--seed", "1", "--out", out] + tiny_options(family)
    if images:
        argv += ["--mixed-precision", "bfloat16"]
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err[-2000:]
    model = keras.saving.load_model(os.path.join(out, "model.keras"))
    assert int(model.g_optimizer.iterations.numpy()) == 1
    with open(os.path.join(out, "log.csv")) as f:
        (logs,) = list(csv.DictReader(f))
    for key in model.metric_names():
        assert np.isfinite(float(logs[key])), (key, logs[key])
    assert float(logs["skipped_steps"]) == 0
    if images:  # points make no sample grid
        assert os.listdir(os.path.join(out, "samples")) == ["epoch_0001.png"]
        assert model.mixed_precision == "bfloat16"
        assert mixed_precision.precision_of(model.generator) == "bfloat16"
        assert mixed_precision.precision_of(model.discriminator) == "bfloat16"
        floats = [v for v in model.weights if "float" in str(v.dtype)]
        if model.generator_ema is not None:
            floats += [v for v in model.generator_ema.weights if "float" in str(v.dtype)]
        assert floats and all(v.dtype == "float32" for v in floats)
    if getattr(model, "num_classes", None) is not None:
        # The data's classes: digits 0-9, ring8's 8 modes.
        assert model.num_classes == {"digits": 10, "ring8": 8}[dataset]
