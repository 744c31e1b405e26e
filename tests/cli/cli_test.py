import json
import os

import numpy as np
import pytest
from PIL import Image

from keras_gans import cli

TINY = ["--dataset", "digits", "--batch-size", "16", "--steps-per-epoch", "3",
        "--set", "width=4", "--set", "latent_dim=8", "--seed", "1"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("run"))
    assert cli.main(["train", "dcgan", "--epochs", "2", "--out", out, "--ema-decay", "0.9"]
                    + TINY) == 0
    return out


def test_train_writes_grids_checkpoint_log_and_model(run_dir):
    assert sorted(os.listdir(os.path.join(run_dir, "samples"))) == [
        "epoch_0001.png", "epoch_0002.png"]
    state = json.load(open(os.path.join(run_dir, "ckpt", "state.json")))
    assert state["epoch"] == 2
    assert os.path.exists(os.path.join(run_dir, "model.keras"))
    log = open(os.path.join(run_dir, "log.csv")).read().splitlines()
    assert log[0].split(",")[:1] == ["epoch"] and "d_loss" in log[0] and len(log) == 3


def test_train_again_resumes(run_dir, capsys):
    assert cli.main(["train", "dcgan", "--epochs", "3", "--out", run_dir] + TINY) == 0
    assert "Resuming" in capsys.readouterr().out
    state = json.load(open(os.path.join(run_dir, "ckpt", "state.json")))
    assert state["epoch"] == 3
    assert len(os.listdir(os.path.join(run_dir, "samples"))) == 3


def test_sample_is_reproducible(run_dir, tmp_path):
    a, b, c = (str(tmp_path / f"{n}.png") for n in "abc")
    assert cli.main(["sample", run_dir, "-n", "4", "-o", a, "--seed", "3"]) == 0
    assert cli.main(["sample", run_dir, "-n", "4", "-o", b, "--seed", "3"]) == 0
    assert cli.main(["sample", run_dir, "-n", "4", "-o", c, "--seed", "4"]) == 0
    ia, ib, ic = (np.asarray(Image.open(p)) for p in (a, b, c))
    np.testing.assert_array_equal(ia, ib)
    assert not np.array_equal(ia, ic)


def test_export(run_dir, tmp_path):
    out = str(tmp_path / "savedmodels" / "mine")
    assert cli.main(["export", run_dir, "--out", out]) == 0
    assert os.listdir(out) == ["1"]
    assert os.path.exists(os.path.join(out, "1", "saved_model.pb"))
    assert os.path.exists(str(tmp_path / "savedmodels" / "models.config"))


def test_zoo_list_and_families(capsys):
    assert cli.main(["zoo", "list"]) == 0
    out = capsys.readouterr().out
    assert "dcgan_fashion_mnist" in out and "stylegan_ffhq" in out
    assert cli.main(["families"]) == 0
    assert "dcgan" in capsys.readouterr().out


def test_errors_are_one_line_with_the_fix(capsys, tmp_path):
    assert cli.main(["sample", "dcgan_fashon_mnist", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "Unknown preset 'dcgan_fashon_mnist'" in err
    assert cli.main(["train", "dcgna", "--out", str(tmp_path / "r")]) == 2
    assert "Did you mean 'dcgan'" in capsys.readouterr().err


def test_eval_json_lines(capsys):
    from keras_gans import zoo

    assert "fashion_mnist_classifier" in zoo.list_presets(), "the classifier preset is shipped"
    # An untrained tiny model: the numbers are bad, the records must be complete.
    from keras_gans.models import DCGAN
    import keras, os, tempfile

    path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
    gan = DCGAN(width=4, latent_dim=8)
    gan.compile()
    gan.save(path)
    assert cli.main(["eval", path, "--metrics", "fid,coverage,modes", "--n", "300",
                     "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()
             if line.startswith("{")]
    assert [r["protocol"] for r in lines] == ["fid10k_test", "dc10k_test", "modes10k"]
    for r in lines:
        assert r["n"] == 300 and r["feature_network"] == "fashion_mnist_classifier"
        assert r["feature_weights"].startswith("sha256:")
    assert lines[0]["value"]["fid"] > 1.0  # an untrained generator is far from the data
    assert cli.main(["eval", path, "--features", "vgg"]) == 2


def test_metric_monitor_logs_into_history():
    import keras
    import tensorflow as tf
    from keras_gans.callbacks import MetricMonitor
    from keras_gans.models import DCGAN

    gan = DCGAN(width=4, latent_dim=8)
    gan.compile()
    x = np.zeros((8, 28, 28, 1), np.float32)
    monitor = MetricMonitor(["fid10k_test"], every=2, num_samples=200)
    history = gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(4), epochs=2, verbose=0,
                      callbacks=[monitor])
    assert list(monitor.results) == [2]
    assert np.isfinite(history.history["fid10k_test"][-1])


def test_eval_ppl_of_a_style_model_and_refusal_for_others(capsys, tmp_path):
    import keras
    from keras_gans.models import DCGAN, StyleGAN2

    keras.utils.set_random_seed(0)
    style = StyleGAN2(**StyleGAN2.example_config)
    style.compile()
    path = str(tmp_path / "style.keras")
    style.save(path)
    # The tiny model's samples reach the 28x28 classifier only through the
    # preprocessing its protocol records; without it eval says so.
    assert cli.main(["eval", path, "--metrics", "ppl_w", "--n", "16"]) == 2
    assert 'preprocess={"center_crop": 28}' in capsys.readouterr().err
    assert cli.main(["eval", path, "--metrics", "ppl_w,ppl_z", "--n", "16", "--resize", "28",
                     "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()
             if line.startswith("{")]
    assert [r["protocol"] for r in lines] == ["ppl_w", "ppl_z"]
    for r in lines:
        assert r["n"] == 16 and r["value"]["ppl"] > 0 and "NOT comparable" in r["note"]
        assert r["preprocess"].startswith("resize") and r["preprocess"].endswith("28x28")
    gan = DCGAN(width=4, latent_dim=8)
    gan.compile()
    gan.save(str(tmp_path / "dcgan.keras"))
    assert cli.main(["eval", str(tmp_path / "dcgan.keras"), "--metrics", "ppl_w"]) == 2
    assert "style-based model" in capsys.readouterr().err
