"""`keras-gans train FAMILY` works for every registered family, on images and on points.

In-process (`cli.main`), one step of one epoch on tiny data with each
family's own tiny widths (its `example_config` minus the data arguments the
CLI fills in from the data), so a new family is covered as soon as it is
registered. Conditional families must receive the labels.
"""

import json
import os

import keras
import pytest

from keras_gans import cli, models

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
    argv = ["train", family, "--dataset", dataset, "--epochs", "1", "--steps-per-epoch", "1",
            "--batch-size", "8", "--seed", "1", "--out", out] + tiny_options(family)
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err[-2000:]
    model = keras.saving.load_model(os.path.join(out, "model.keras"))
    assert int(model.g_optimizer.iterations.numpy()) == 1
    if dataset == "digits":  # points make no sample grid
        assert os.listdir(os.path.join(out, "samples")) == ["epoch_0001.png"]
    if getattr(model, "num_classes", None) is not None:
        # The data's classes: digits 0-9, ring8's 8 modes.
        assert model.num_classes == {"digits": 10, "ring8": 8}[dataset]
