"""A corrupt shipped classifier is an error everywhere, never swapped for another network."""

import json
import os
import shutil

import keras
import pytest

from keras_gans import cli, zoo
from keras_gans.metrics import classifier, ppl
from keras_gans.models import DCGAN

NAME = "fashion_mnist_classifier"


@pytest.fixture
def corrupt_zoo(tmp_path, monkeypatch):
    real = zoo.zoo_dir()
    row = zoo.read_table()[NAME]
    (tmp_path / "zoo" / NAME).mkdir(parents=True)
    for f in ("config.json", "model.weights.h5"):
        shutil.copy(os.path.join(real, NAME, f), tmp_path / "zoo" / NAME / f)
    with open(tmp_path / "zoo" / "presets.json", "w") as f:
        json.dump({NAME: row}, f)
    weights = tmp_path / "zoo" / NAME / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of the weights
    weights.write_bytes(bytes(data))
    monkeypatch.setenv("KERAS_GANS_ZOO_DIR", str(tmp_path / "zoo"))
    monkeypatch.delenv(classifier.CLASSIFIER_ENV, raising=False)
    # A readable local copy where the loader used to fall back to: it must stay unused.
    monkeypatch.chdir(tmp_path)
    local = tmp_path / classifier.DEFAULT_CLASSIFIER_PATH
    local.parent.mkdir(parents=True)
    classifier.build_fashion_mnist_classifier().save(local)
    return tmp_path


def test_loader_reraises_corrupt_artifact(corrupt_zoo):
    with pytest.raises(zoo.CorruptArtifactError, match="sha256"):
        classifier.load_fashion_mnist_classifier()


def test_ppl_does_not_fall_back_to_pixels(corrupt_zoo):
    with pytest.raises(zoo.CorruptArtifactError):
        ppl.default_feature_fn()


def test_eval_exits_2_naming_the_corrupt_file(corrupt_zoo, capsys):
    keras.utils.set_random_seed(0)
    gan = DCGAN(width=4, latent_dim=8)
    gan.compile()
    path = str(corrupt_zoo / "tiny.keras")
    gan.save(path)
    assert cli.main(["eval", path, "--metrics", "fid", "--n", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Refusing" in err and "model.weights.h5" in err


def test_a_missing_preset_still_falls_back_to_the_local_copy(corrupt_zoo, monkeypatch):
    with open(corrupt_zoo / "zoo" / "presets.json", "w") as f:
        json.dump({}, f)
    model = classifier.load_fashion_mnist_classifier()
    assert model.name == "fashion_mnist_classifier"
