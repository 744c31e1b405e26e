"""Every bad input of the command line gets exit code 2 and one line naming the value and the fix.

`CASES` is the table docs/bad_inputs.md is written from
(`python scripts/write_bad_inputs_doc.py`): group, what is wrong, the
arguments, and a piece of the message that must appear. `{run}`, `{cond}`,
`{file}`, `{dir}`, `{locked}` and `{corrupt}` are filled in by the fixture.
"""

import os
import subprocess
import sys
import time

import keras
import pytest

from keras_gans import cli
from keras_gans.models import CGAN, DCGAN

TRAIN = ["train", "dcgan", "--dataset", "digits", "--out", "{dir}/new"]

CASES = [
    # (group, what, argv, expected piece of the one-line message)
    ("command line", "no command", [], "required: COMMAND"),
    ("command line", "unknown command", ["trian"], "invalid choice: 'trian'"),
    ("train: numbers", "--steps-per-epoch -2 (used to hang)", TRAIN + ["--steps-per-epoch", "-2"],
     "argument --steps-per-epoch: must be >= 1; got -2"),
    ("train: numbers", "--steps-per-epoch 0 (used to be ignored)",
     TRAIN + ["--steps-per-epoch", "0"], "must be >= 1; got 0"),
    ("train: numbers", "--batch-size 0 (ZeroDivisionError)", TRAIN + ["--batch-size", "0"],
     "argument --batch-size: must be >= 1; got 0"),
    ("train: numbers", "--batch-size larger than the data",
     TRAIN + ["--batch-size", "5000"],
     "--batch-size 5000 is larger than the 1437 training examples of digits; use at most 1437"),
    ("train: numbers", "--lr 0 (used to be ignored)", TRAIN + ["--lr", "0"],
     "argument --lr: must be a finite number > 0; got 0"),
    ("train: numbers", "--lr -1 (used to be accepted)", TRAIN + ["--lr", "-1"],
     "must be a finite number > 0; got -1"),
    ("train: numbers", "--lr nan", TRAIN + ["--lr", "nan"], "must be a finite number > 0; got nan"),
    ("train: numbers", "--lr not a number", TRAIN + ["--lr", "fast"],
     "argument --lr: must be a number; got 'fast'"),
    ("train: numbers", "--epochs 0 (used to write an untrained model.keras)",
     TRAIN + ["--epochs", "0"], "must be >= 1; got 0 (--untrained saves the untrained model)"),
    ("train: numbers", "--epochs 2.5", TRAIN + ["--epochs", "2.5"],
     "argument --epochs: must be an integer; got '2.5'"),
    ("train: numbers", "--resolution 0 (used to be ignored)", TRAIN + ["--resolution", "0"],
     "argument --resolution: must be >= 1; got 0"),
    ("train: numbers", "--resolution 2", TRAIN + ["--resolution", "2"],
     "--resolution must be >= 4 pixels; got 2"),
    ("train: numbers", "--ema-decay 1.5", TRAIN + ["--ema-decay", "1.5"],
     "argument --ema-decay: must be in [0, 1); got 1.5"),
    ("train: numbers", "--beta1 1", TRAIN + ["--beta1", "1"], "must be in [0, 1); got 1"),
    ("train: numbers", "--seed -1", TRAIN + ["--seed", "-1"],
     "argument --seed: must be >= 0; got -1"),
    ("train: numbers", "--nonfinite-patience 0", TRAIN + ["--nonfinite-patience", "0"],
     "must be >= 1; got 0"),
    ("train: names", "unknown family", ["train", "dcgna", "--out", "{dir}/new"],
     "Unknown GAN family 'dcgna'. Did you mean 'dcgan'"),
    ("train: names", "unknown dataset", ["train", "dcgan", "--dataset", "fashon_mnist",
                                         "--out", "{dir}/new"],
     "Unknown dataset 'fashon_mnist'. Did you mean 'fashion_mnist'"),
    ("train: names", "unknown strategy", TRAIN + ["--strategy", "tpu"],
     "argument --strategy: invalid choice: 'tpu'"),
    ("train: names", "unknown --loss", TRAIN + ["--loss", "wasserstien"],
     "Unknown adversarial loss 'wasserstien'. Did you mean 'wasserstein'"),
    ("train: options", "--set without '='", TRAIN + ["--set", "width"],
     "--set expects KEY=VALUE; got 'width'"),
    ("train: options", "--set of an argument the family does not take",
     TRAIN + ["--set", "widht=4"],
     "dcgan: bad --set option 'widht'. Did you mean 'width'?"),
    ("train: options", "--compile-set of an unknown option", TRAIN + ["--compile-set", "bogus=1"],
     "DCGAN.compile got unknown arguments ['bogus']"),
    ("train: data", "a family that cannot take the images' size",
     ["train", "stylegan2", "--dataset", "digits", "--resolution", "12", "--out", "{dir}/new"],
     "resolution must be a power of two"),
    ("train: data", "an image family on 2-D points",
     ["train", "dcgan", "--dataset", "ring8", "--out", "{dir}/new"],
     "dcgan cannot take ring8 (2)"),
    ("train: data", "--dataset folder without --data-path",
     ["train", "dcgan", "--dataset", "folder", "--out", "{dir}/new"],
     "--dataset folder needs --data-path FOLDER"),
    ("train: data", "--data-path that does not exist",
     ["train", "dcgan", "--dataset", "folder", "--data-path", "{dir}/nothing", "--out",
      "{dir}/new"], "is not a folder; pass the folder of training images"),
    ("train: data", "--resolution on 2-D points",
     ["train", "vanilla", "--dataset", "ring8", "--resolution", "8", "--out", "{dir}/new"],
     "--resolution is for image datasets; ring8 holds points"),
    ("train: files", "--out is a file", ["train", "dcgan", "--out", "{file}"],
     "is a file; pass a folder for the run"),
    ("train: files", "--out locked by a running trainer",
     ["train", "dcgan", "--dataset", "digits", "--out", "{locked}"], "is in use by process"),
    ("sample", "unknown preset", ["sample", "dcgan_fashon_mnist", "-o", "{dir}/x.png"],
     "Unknown preset 'dcgan_fashon_mnist'. Did you mean 'dcgan_fashion_mnist'"),
    ("sample", "missing .keras file", ["sample", "{dir}/missing.keras", "-o", "{dir}/x.png"],
     "No such .keras file"),
    ("sample", "corrupt .keras file", ["sample", "{corrupt}", "-o", "{dir}/x.png"],
     "is not a readable .keras file"),
    ("sample", "a folder that is no run folder", ["sample", "{dir}", "-o", "{dir}/x.png"],
     "holds no model.keras and no checkpoint"),
    ("sample", "-n 0", ["sample", "{run}", "-n", "0"], "argument -n: must be >= 1; got 0"),
    ("sample", "-o not a PNG", ["sample", "{run}", "-o", "{dir}/x.jpg"],
     "the grid is a PNG; name it <something>.png"),
    ("sample", "-o in a folder that does not exist",
     ["sample", "{run}", "-o", "{dir}/no/such/x.png"], "does not exist; create it first"),
    ("sample", "labels out of range", ["sample", "{cond}", "-n", "3", "--labels", "0,1,7",
                                       "-o", "{dir}/x.png"],
     "--labels must lie in [0, 2]; got 7"),
    ("sample", "labels not integers", ["sample", "{cond}", "--labels", "a,b", "-o", "{dir}/x.png"],
     "--labels must be comma-separated integers"),
    ("sample", "labels count differs from -n",
     ["sample", "{cond}", "-n", "4", "--labels", "0,1", "-o", "{dir}/x.png"],
     "--labels has 2 labels for -n 4"),
    ("sample", "labels for an unconditional model",
     ["sample", "{run}", "--labels", "1", "-o", "{dir}/x.png"], "--labels is for conditional"),
    ("sample", "truncation for a model without it",
     ["sample", "{run}", "--truncation-psi", "0.5", "-o", "{dir}/x.png"],
     "--truncation-psi is for style-based models"),
    ("sample", "a classifier preset", ["sample", "fashion_mnist_classifier", "-o", "{dir}/x.png"],
     "not a generative model"),
    ("export", "--out is a file", ["export", "{run}", "--out", "{file}"], "is a file"),
    ("export", "--version 0", ["export", "{run}", "--out", "{dir}/sm", "--version", "0"],
     "argument --version: must be >= 1; got 0"),
    ("eval", "empty --metrics", ["eval", "{run}", "--metrics", ","], "--metrics is empty"),
    ("eval", "unknown protocol", ["eval", "{run}", "--metrics", "fid10k_tset"],
     "Unknown protocol 'fid10k_tset'. Did you mean 'fid10k_test'"),
    ("eval", "unknown feature network", ["eval", "{run}", "--features", "vgg"],
     "--features must be one of"),
    ("eval", "--n below 10", ["eval", "{run}", "--n", "5"], "--n must be >= 10 samples; got 5"),
    ("eval", "--center-crop with --resize",
     ["eval", "{run}", "--center-crop", "28", "--resize", "28"], "exclude each other"),
    ("eval", "PPL of a model without a mapping network", ["eval", "{run}", "--metrics", "ppl_w"],
     "need a style-based model"),
    ("zoo", "zoo info without a name", ["zoo", "info"], "needs a preset name"),
    ("zoo", "zoo info of an unknown name", ["zoo", "info", "stylegan3_ffhq"],
     "Unknown preset 'stylegan3_ffhq'"),
    ("zoo", "unknown zoo action", ["zoo", "show"], "invalid choice: 'show'"),
]


def make_paths(root):
    """The files the cases refer to, under `root`; returns `(paths, lock holder process)`."""
    keras.utils.set_random_seed(0)
    run = root / "run"
    run.mkdir()
    gan = DCGAN(width=4, latent_dim=8)
    gan.compile()
    gan.save(str(run / "model.keras"))
    cond = CGAN(data_shape=(8, 8, 1), num_classes=3, latent_dim=4, width=4)
    cond.compile()
    cond.save(str(root / "cond.keras"))
    (root / "a_file").write_text("not a folder")
    (root / "corrupt.keras").write_text("not a zip")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; sys.argv = ['keras-gans']\n"  # keras_gans without TensorFlow
         "from keras_gans.utils.files import lock_folder\n"
         f"with lock_folder({str(root / 'locked')!r}):\n"
         "    print('locked', flush=True); time.sleep(600)\n"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    paths = {"run": str(run), "cond": str(root / "cond.keras"), "file": str(root / "a_file"),
             "dir": str(root), "locked": str(root / "locked"),
             "corrupt": str(root / "corrupt.keras"), "holder_pid": holder.pid}
    return paths, holder


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    paths, holder = make_paths(tmp_path_factory.mktemp("bad"))
    yield paths
    holder.kill()
    holder.wait()


def run_cli(argv):
    """`(exit code, stderr lines)` of `keras-gans ARGV`, argparse exits included."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as e:
            code = e.code
    return code, [line for line in err.getvalue().splitlines() if line.strip()]


def fill(argv, paths):
    return [a.format(**paths) for a in argv]


@pytest.mark.parametrize("group,what,argv,expected", CASES, ids=[c[1] for c in CASES])
def test_bad_input_gets_one_line_and_exit_2(group, what, argv, expected, paths):
    code, lines = run_cli(fill(argv, paths))
    assert code == 2, (code, lines)
    # Keras may print warnings of its own while loading; the error is the last line.
    assert lines and lines[-1].startswith("keras-gans"), lines
    assert expected.format(**paths) in lines[-1], lines[-1]


def test_the_lock_message_names_the_owner(paths):
    _, lines = run_cli(["train", "dcgan", "--dataset", "digits", "--out", paths["locked"]])
    assert f"process {paths['holder_pid']} " in lines[-1]


def test_an_unexpected_error_exits_1_and_debug_shows_the_traceback(monkeypatch, capsys):
    from keras_gans.cli import listing

    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(listing, "families", broken)
    assert cli.main(["families"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "keras-gans: unexpected error: RuntimeError: boom (rerun with --debug for the "
        "traceback and report it)"]
    assert cli.main(["families", "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_untrained_writes_a_model_without_a_training_step(paths):
    out = os.path.join(paths["dir"], "untrained")
    start = time.monotonic()
    code, lines = run_cli(["train", "dcgan", "--dataset", "digits", "--untrained", "--set",
                           "width=4", "--set", "latent_dim=8", "--out", out])
    assert code == 0, lines
    model = keras.saving.load_model(os.path.join(out, "model.keras"))
    assert int(model.g_optimizer.iterations.numpy()) == 0
    assert not os.path.exists(os.path.join(out, "ckpt"))
    assert time.monotonic() - start < 120
