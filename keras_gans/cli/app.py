"""The parser, the option checks and `main`: exit codes and one-line errors.

Exit codes (docs/cli.md):

* 0: done.
* 2: bad input or an expected failure (a bad option value, an unknown name, a
  missing or corrupt file, a locked run folder, a missing optional package):
  one line on stderr naming the value and the fix. `--debug` adds the traceback.
* 1: an unexpected error (a bug): one line and a hint to rerun with `--debug`.
* 130: interrupted (Ctrl-C).

Only the commands that need TensorFlow import it (inside their functions);
`--help`, `zoo list`, `zoo info` and `families` answer without it.
"""

import argparse
import json
import sys
import traceback

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

DESCRIPTION = "keras-gans: train, sample, evaluate and export GANs; list the zoo."


class CommandError(Exception):
    """An expected failure of a command: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (argparse prints the whole usage first)."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# ---------------------------------------------------------------------------
# Option types: each names the value and the accepted range.


def _number(kind, text):
    try:
        return kind(text)
    except (TypeError, ValueError):
        what = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}") from None


def positive_int(hint=""):
    def check(text):
        value = _number(int, text)
        if value < 1:
            raise argparse.ArgumentTypeError(f"must be >= 1; got {value}{hint}")
        return value

    check.__name__ = "positive integer"
    return check


def non_negative_int():
    def check(text):
        value = _number(int, text)
        if value < 0:
            raise argparse.ArgumentTypeError(f"must be >= 0; got {value}")
        return value

    check.__name__ = "non-negative integer"
    return check


def positive_float():
    def check(text):
        value = _number(float, text)
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text}")
        return value

    check.__name__ = "positive number"
    return check


def unit_interval():
    """[0, 1): decays and Adam's betas."""
    def check(text):
        value = _number(float, text)
        if not 0.0 <= value < 1.0:
            raise argparse.ArgumentTypeError(f"must be in [0, 1); got {text}")
        return value

    check.__name__ = "number in [0, 1)"
    return check


def parse_sets(pairs, option):
    """`["width=32", "loss=\"hinge\""]` -> `{"width": 32, "loss": "hinge"}` (JSON values)."""
    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"{option} expects KEY=VALUE; got {pair!r} (e.g. {option} width=32).")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value  # a bare word is a string: --set architecture=mlp
        options[key.strip().replace("-", "_")] = parsed
    return options


# ---------------------------------------------------------------------------
# The parser.


def _common(p):
    # SUPPRESS: a subcommand's default must not overwrite `keras-gans --debug train`.
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the traceback of an error")
    p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="show TensorFlow's log lines")


def build_parser():
    """The `keras-gans` argument parser (TensorFlow-free)."""
    p = _Parser(prog="keras-gans", description=DESCRIPTION,
                epilog="Exit codes: 0 ok, 2 bad input or expected error (one line), "
                       "1 unexpected error. See docs/cli.md.")
    _common(p)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train a family on a dataset (resumes from --out)",
                       description="Train FAMILY on a dataset; rerun the same command to "
                                   "resume from --out.")
    t.add_argument("family", help="family key, e.g. dcgan (see `keras-gans families`)")
    t.add_argument("--dataset", default="fashion_mnist",
                   help="fashion_mnist, digits, folder (with --data-path), ring8, grid25")
    t.add_argument("--data-path", default=None, help="the image folder of --dataset folder")
    t.add_argument("--out", required=True, help="run folder (checkpoints, samples, log)")
    t.add_argument("--epochs", type=positive_int(" (--untrained saves the untrained model)"),
                   default=10)
    t.add_argument("--untrained", action="store_true",
                   help="build and save the untrained model.keras, no training step")
    t.add_argument("--batch-size", type=positive_int(), default=128)
    t.add_argument("--steps-per-epoch", type=positive_int(), default=None,
                   help="at most this many steps per epoch (default: one pass over the data)")
    t.add_argument("--resolution", type=positive_int(), default=None,
                   help="resize the images to RESOLUTION x RESOLUTION")
    t.add_argument("--seed", type=non_negative_int(), default=0)
    t.add_argument("--ema-decay", type=unit_interval(), default=None)
    t.add_argument("--loss", default=None, help="the family's loss name (compile option)")
    t.add_argument("--lr", type=positive_float(), default=None,
                   help="Adam learning rate of both networks (default: the family's optimizers)")
    t.add_argument("--beta1", type=unit_interval(), default=0.5)
    t.add_argument("--beta2", type=unit_interval(), default=0.999)
    t.add_argument("--jit", action="store_true", help="compile train_step with XLA")
    t.add_argument("--mixed-precision", default=None, choices=["bfloat16", "float16"],
                   help="16-bit compute with float32 variables, losses and logs "
                        "(float16 is loss-scaled); default float32")
    t.add_argument("--deterministic", action="store_true", help="enable op determinism")
    t.add_argument("--strategy", default="default",
                   choices=["default", "mirrored", "multi_worker"])
    t.add_argument("--nonfinite-patience", type=positive_int(), default=1)
    t.add_argument("--tensorboard", default=None, metavar="DIR",
                   help="write losses and sample grids for TensorBoard to DIR")
    t.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="family constructor option (JSON value), repeatable")
    t.add_argument("--compile-set", action="append", metavar="KEY=VALUE",
                   help="family compile option (JSON value), repeatable")
    _common(t)
    t.set_defaults(fn="train")

    s = sub.add_parser("sample", help="write a PNG grid of samples")
    s.add_argument("model", help="preset name, run folder or .keras file")
    s.add_argument("-n", type=positive_int(), default=64, help="number of samples")
    s.add_argument("-o", default="samples.png", help="output PNG")
    s.add_argument("--seed", type=non_negative_int(), default=0)
    s.add_argument("--labels", default=None,
                   help="comma-separated class labels of a conditional model (one is repeated)")
    s.add_argument("--truncation-psi", type=float, default=None,
                   help="truncation of a style-based model (0 < psi <= 1 usually)")
    s.add_argument("--scale", type=positive_int(), default=2,
                   help="pixel upscaling of the grid")
    _common(s)
    s.set_defaults(fn="sample")

    e = sub.add_parser("export", help="export a SavedModel in TF Serving's layout")
    e.add_argument("model", help="preset name, run folder or .keras file")
    e.add_argument("--out", required=True, help="model folder; versions go in <out>/<N>")
    e.add_argument("--version", type=positive_int(), default=None)
    _common(e)
    e.set_defaults(fn="export")

    v = sub.add_parser("eval", help="evaluate a model under named metric protocols")
    v.add_argument("model", help="preset name, run folder or .keras file")
    v.add_argument("--metrics", default="fid10k_test,kid10k_test,pr10k_test,dc10k_test",
                   help="comma-separated protocols (aliases: fid, kid, pr, coverage, is, modes; "
                        "style-based models also ppl_w, ppl_z: 1000 pairs unless --n)")
    v.add_argument("--features", default="fmnist_classifier",
                   help="fmnist_classifier (offline) or inception")
    v.add_argument("--inception-graph", default=None,
                   help="path of the 2015-12-05 Inception graph (classify_image_graph_def.pb)")
    v.add_argument("--n", type=positive_int(), default=None,
                   help="override the sample count (>= 10)")
    v.add_argument("--center-crop", type=positive_int(), default=None,
                   metavar="SIZE", help="crop samples to SIZE x SIZE before measuring "
                                        "(a model trained on padded data)")
    v.add_argument("--resize", type=positive_int(), default=None, metavar="SIZE",
                   help="resize samples to SIZE x SIZE before measuring (a model trained on "
                        "resized data)")
    v.add_argument("--seed", type=non_negative_int(), default=0)
    v.add_argument("--json", action="store_true", help="one JSON object per metric")
    _common(v)
    v.set_defaults(fn="eval")

    z = sub.add_parser("zoo", help="list presets or show one")
    z.add_argument("action", choices=["list", "info"])
    z.add_argument("name", nargs="?", help="preset name (zoo info)")
    z.add_argument("--json", action="store_true", help="machine-readable output")
    _common(z)
    z.set_defaults(fn="zoo")

    f = sub.add_parser("families", help="list the GAN families")
    f.add_argument("--json", action="store_true", help="machine-readable output")
    _common(f)
    f.set_defaults(fn="families")

    from keras_gans.cli import extras

    extras.add_parsers(sub, _common)
    return p


# ---------------------------------------------------------------------------
# Dispatch and errors.

#: Command name -> "module:function"; modules are imported only when run.
COMMANDS = {
    "train": "keras_gans.cli.train:run",
    "sample": "keras_gans.cli.models:sample",
    "export": "keras_gans.cli.models:export",
    "eval": "keras_gans.cli.evaluate:run",
    "zoo": "keras_gans.cli.listing:zoo",
    "families": "keras_gans.cli.listing:families",
    "convert": "keras_gans.cli.extras:convert",
    "demo": "keras_gans.cli.extras:demo",
    "translate": "keras_gans.cli.extras:translate",
}


def expected_errors():
    """The exception classes that mean bad input or an expected failure (exit 2)."""
    classes = [CommandError, ValueError, OSError, ImportError]
    from keras_gans.utils.files import RunFolderLockedError

    classes.append(RunFolderLockedError)
    if "tensorflow" in sys.modules:
        # In-graph checks (labels, psi, shapes) raise InvalidArgumentError.
        classes.append(sys.modules["tensorflow"].errors.InvalidArgumentError)
    checkpoint = sys.modules.get("keras_gans.callbacks.checkpoint")
    if checkpoint is not None:
        classes.append(checkpoint.UnreadableCheckpointError)
    return tuple(classes)


def one_line(error):
    """The first meaningful line of an error's message."""
    text = str(error).strip()
    if type(error).__name__ == "InvalidArgumentError" and hasattr(error, "message"):
        text = error.message.strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    first = lines[0]
    if isinstance(error, KeyError) or first.startswith(("[Errno", "Errno")):
        return f"{type(error).__name__}: {first}"
    return first


def _run(args):
    import importlib

    module, function = COMMANDS[args.fn].split(":")
    return getattr(importlib.import_module(module), function)(args)


def main(argv=None):
    """Runs `keras-gans ARGS`; returns the exit code (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.debug = getattr(args, "debug", False)
    args.verbose = getattr(args, "verbose", False)
    try:
        code = _run(args)
        return EXIT_OK if code is None else int(code)
    except KeyboardInterrupt:
        print("keras-gans: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - every error becomes one line and an exit code
        if args.debug:
            traceback.print_exc()
        if isinstance(e, expected_errors()):
            print(f"keras-gans: error: {one_line(e)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"keras-gans: unexpected error: {type(e).__name__}: {one_line(e)} "
              "(rerun with --debug for the traceback and report it)", file=sys.stderr)
        return EXIT_UNEXPECTED
