import json
import os

import h5py
import numpy as np
import keras
import pytest

from keras_gans import zoo
from keras_gans.models import DCGAN


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_GANS_ZOO_DIR", str(tmp_path / "zoo"))
    monkeypatch.setenv("KERAS_GANS_SAVEDMODELS_DIR", str(tmp_path / "savedmodels"))
    keras.utils.set_random_seed(0)
    gan = DCGAN(width=4, latent_dim=8, ema_decay=0.9)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(2e-3))
    # One step, so both optimizers hold slots the preset must leave out.
    gan.fit(np.zeros((4, 28, 28, 1), np.float32), batch_size=4, epochs=1, verbose=0)
    row = zoo.write_preset("dcgan_tiny", gan, dataset="noise", resolution=28,
                           recipe="python make_tiny.py", metrics={"fid": {"value": 1.5,
                                                                  "protocol": "test"}})
    return gan, row, tmp_path


def test_load_returns_the_trained_model(tiny_zoo):
    gan, row, _ = tiny_zoo
    loaded = zoo.load("dcgan_tiny")
    np.testing.assert_array_equal(loaded.sample(4, seed=2), gan.sample(4, seed=2))
    # Compiled with the recipe's optimizers, so fit continues training.
    assert float(loaded.g_optimizer.learning_rate) == pytest.approx(2e-3)
    x = np.zeros((4, 28, 28, 1), np.float32)
    loaded.fit(x, batch_size=4, epochs=1, verbose=0)
    assert int(loaded.g_optimizer.iterations.numpy()) == 1


def test_a_bfloat16_recipe_loads_in_float32_unless_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_GANS_ZOO_DIR", str(tmp_path / "zoo"))
    monkeypatch.setenv("KERAS_GANS_SAVEDMODELS_DIR", str(tmp_path / "savedmodels"))
    keras.utils.set_random_seed(0)
    gan = DCGAN(width=4, latent_dim=8)
    gan.compile(mixed_precision="bfloat16")
    zoo.write_preset("dcgan_bf16_tiny", gan, dataset="noise", resolution=28,
                     recipe="python make_tiny.py --mixed-precision bfloat16", metrics={})
    assert gan.generator.layers[-1].compute_dtype == "bfloat16"
    fp32 = zoo.load("dcgan_bf16_tiny")
    assert fp32.mixed_precision == "float32"
    assert {layer.compute_dtype for layer in fp32.generator.layers} == {"float32"}
    recipe = zoo.load("dcgan_bf16_tiny", precision="recipe")
    assert recipe.mixed_precision == "bfloat16"
    assert recipe.generator.layers[-1].compute_dtype == "bfloat16"
    # The float32 copy reproduces the bfloat16 model up to bfloat16 rounding.
    z = gan.latents(4, seed=1)
    np.testing.assert_allclose(fp32.generate(z), recipe.generate(z), atol=0.05)
    with pytest.raises(ValueError, match="precision must be one of .*got 'bf16'"):
        zoo.load("dcgan_bf16_tiny", precision="bf16")


def test_table_row_records_hashes_and_savedmodel(tiny_zoo):
    _, row, tmp = tiny_zoo
    assert zoo.list_presets() == ["dcgan_tiny"]
    assert set(row["files"]) == {"config.json", "model.weights.h5"}
    assert row["savedmodel"]["path"].endswith(os.path.join("dcgan_tiny", "1"))
    assert "saved_model.pb" in row["savedmodel"]["files"]
    card = open(tmp / "zoo" / "dcgan_tiny" / "README.md").read()
    assert "python make_tiny.py" in card and "1.5" in card
    table = json.load(open(tmp / "zoo" / "presets.json"))
    assert table["dcgan_tiny"]["files"] == row["files"]


def test_weights_hold_one_copy_and_no_optimizer_state(tiny_zoo):
    gan, _, tmp = tiny_zoo
    size = os.path.getsize(tmp / "zoo" / "dcgan_tiny" / "model.weights.h5")
    model_bytes = sum(w.numpy().nbytes for w in gan.generator.weights + gan.discriminator.weights
                      + gan.generator_ema.weights)
    assert gan.d_optimizer.variables and gan.g_optimizer.variables
    assert size < model_bytes + 200 * 1024
    with h5py.File(tmp / "zoo" / "dcgan_tiny" / "model.weights.h5", "r") as f:
        assert not [k for k in f.keys() if "optimizer" in k]


def test_corrupt_weights_are_refused_with_both_hashes(tiny_zoo):
    _, row, tmp = tiny_zoo
    path = tmp / "zoo" / "dcgan_tiny" / "model.weights.h5"
    with open(path, "r+b") as f:
        f.seek(100)
        f.write(b"\x00corrupt")
    with pytest.raises(zoo.CorruptArtifactError) as e:
        zoo.load("dcgan_tiny")
    message = str(e.value)
    assert "model.weights.h5" in message and row["files"]["model.weights.h5"] in message
    assert "git checkout" in message and "python make_tiny.py" in message


def test_unknown_name_lists_close_matches(tiny_zoo):
    with pytest.raises(ValueError, match=r"Did you mean 'dcgan_tiny'.*Available: dcgan_tiny"):
        zoo.load("dcgan_tiyn")


def test_missing_file_says_how_to_restore(tiny_zoo):
    _, _, tmp = tiny_zoo
    os.remove(tmp / "zoo" / "dcgan_tiny" / "config.json")
    with pytest.raises(FileNotFoundError, match="git checkout -- zoo/dcgan_tiny"):
        zoo.load("dcgan_tiny")
