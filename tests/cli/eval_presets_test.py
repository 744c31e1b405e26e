"""`keras-gans eval` on every shipped generative preset (small n), with its own preprocessing."""

import json

import numpy as np
import pytest

from keras_gans import cli, zoo
from keras_gans.metrics import protocols

GENERATIVE = sorted(name for name, row in zoo.read_table().items()
                    if row.get("task", "generation") == "generation")


def _json_lines(text):
    return [json.loads(line) for line in text.strip().splitlines() if line.startswith("{")]


def test_there_are_generative_presets():
    assert {"dcgan_fashion_mnist", "stylegan2_fashion_mnist"} <= set(GENERATIVE)


@pytest.mark.parametrize("name", GENERATIVE)
def test_eval_runs_on_every_shipped_preset(name, capsys):
    assert cli.main(["eval", name, "--metrics", "fid,pr", "--n", "40", "--json"]) == 0
    lines = _json_lines(capsys.readouterr().out)
    assert [r["protocol"] for r in lines] == ["fid10k_test", "pr10k_test"]
    spec = zoo.get_preset(name).get("eval_preprocess")
    for r in lines:
        assert r["n"] == 40 and np.isfinite(list(r["value"].values())[0])
        assert r["preprocess"] == protocols.describe_preprocess(
            spec, (zoo.get_preset(name)["resolution"],) * 2)


def test_stylegan2_preset_records_its_crop():
    assert zoo.get_preset("stylegan2_fashion_mnist")["eval_preprocess"] == {
        "center_crop": [28, 28]}


def test_the_crop_is_the_one_the_card_numbers_used():
    # The recipe measured `generate(...)[:, 2:30, 2:30, :]` (scripts/train_stylegan2_...).
    x = np.arange(2 * 32 * 32, dtype=np.float32).reshape(2, 32, 32, 1)
    np.testing.assert_array_equal(protocols.apply_preprocess(x, {"center_crop": 28}),
                                  x[:, 2:30, 2:30, :])


def test_a_model_of_another_size_without_preprocessing_is_refused_in_one_line(capsys):
    def generate_32(n, seed):
        return np.zeros((n, 32, 32, 1), np.float32)

    with pytest.raises(ValueError, match=r"are 32x32x1 but .* measure 28x28x1 .*--center-crop 28"):
        protocols.evaluate(generate_32, ["fid10k_test"], num_samples=10)
    resized = protocols.evaluate(generate_32, ["fid10k_test"], num_samples=10,
                                 preprocess={"resize": 28})
    assert resized["fid10k_test"]["preprocess"] == "resize 32x32 -> 28x28"


def test_eval_of_the_classifier_preset_is_refused(capsys):
    assert cli.main(["eval", "fashion_mnist_classifier", "--n", "10"]) == 2
    assert "not a generative model" in capsys.readouterr().err
