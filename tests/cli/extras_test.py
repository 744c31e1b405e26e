"""`keras-gans translate` and `train --tensorboard` (the subcommands over other helpers' code)."""

import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import cli
from keras_gans.models.pix2pix import Pix2Pix


@pytest.fixture(scope="module")
def pix2pix_file(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = Pix2Pix(**Pix2Pix.example_config)
    model.compile()
    path = str(tmp_path_factory.mktemp("p2p") / "p2p.keras")
    model.save(path)
    return path


def test_translate_an_image_and_a_folder(pix2pix_file, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (16, 16), dtype=np.uint8)).save(folder / f"{i}.png")
    assert cli.main(["translate", pix2pix_file, str(folder / "0.png"), "-o",
                     str(tmp_path / "one.png")]) == 0
    one = np.asarray(Image.open(tmp_path / "one.png"))
    assert one.shape[:2] == (16, 16)
    reference = keras.saving.load_model(pix2pix_file).translate(
        np.asarray(Image.open(folder / "0.png"))[None, ..., None])
    np.testing.assert_array_equal(one.reshape(16, 16), reference[0, ..., 0])
    assert cli.main(["translate", pix2pix_file, str(folder), "-o", str(tmp_path / "all.png")]) == 0
    assert os.path.exists(tmp_path / "all.png")


def test_translate_refuses_a_wrong_size_and_a_sampling_model(pix2pix_file, tmp_path, capsys):
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(tmp_path / "big.png")
    assert cli.main(["translate", pix2pix_file, str(tmp_path / "big.png"), "-o",
                     str(tmp_path / "x.png")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert cli.main(["translate", "dcgan_fashion_mnist", str(tmp_path / "big.png"), "-o",
                     str(tmp_path / "x.png")]) == 2
    assert "not an image-to-image model" in capsys.readouterr().err


def test_train_writes_tensorboard_events(tmp_path):
    logdir = tmp_path / "tb"
    assert cli.main(["train", "dcgan", "--dataset", "digits", "--epochs", "1",
                     "--steps-per-epoch", "1", "--batch-size", "8", "--set", "width=4",
                     "--set", "latent_dim=8", "--out", str(tmp_path / "run"),
                     "--tensorboard", str(logdir)]) == 0
    events = [f for _, _, fs in os.walk(logdir) for f in fs if "tfevents" in f]
    assert events, "no TensorBoard event file written"


FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), "..", "shared", "fixtures", "nvlabs")


def _fixture(name):
    path = os.path.join(FIXTURES, name)
    if not os.path.exists(path):
        if os.environ.get("CI"):
            pytest.fail(f"fixture {path} is missing (CI must have ../shared/fixtures)")
        pytest.skip(f"fixture {path} is missing")
    return path


def test_convert_then_sample(tmp_path):
    out = str(tmp_path / "converted")
    assert cli.main(["convert", _fixture("sg2ada_A.pkl"), "--out", out]) == 0
    assert os.path.exists(os.path.join(out, "model.keras"))
    assert cli.main(["sample", out, "-n", "4", "-o", str(tmp_path / "grid.png")]) == 0


def test_convert_refuses_a_non_pickle_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a pickle at all")
    assert cli.main(["convert", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not os.path.exists(tmp_path / "o" / "model.keras")
