"""Writes docs/bad_inputs.md: every bad command line tests/cli/bad_inputs_test.py tries,
grouped, with the exact message each gets (run here, not copied), then the Python-API
refusals the other tests check.

    python scripts/write_bad_inputs_doc.py [--out docs/bad_inputs.md]
"""

import argparse
import importlib.util
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Bad inputs of the Python API and of files, with the test that tries each.
API_CASES = [
    ("files and folders", "a second trainer on the same --out (live owner)",
     "`RunFolderLockedError`: `<out> is in use by process <pid> on <host> (a keras-gans train "
     "since ...); wait for it, stop it, or pass another --out. If no such process runs, delete "
     "<out>/.keras-gans.lock.`", "tests/utils/files_test.py, tests/cli/bad_inputs_test.py"),
    ("files and folders", "the lock of a trainer killed with SIGKILL",
     "taken over silently (the pid is dead on this host)", "tests/utils/files_test.py"),
    ("files and folders", "`write_preset` raising halfway (a missing image)",
     "the exception propagates; the previous preset stays loadable, no temporary is left",
     "tests/zoo/writer_test.py"),
    ("files and folders", "`write_preset` killed with SIGKILL halfway",
     "the previous preset stays loadable; its `.NAME.tmp-PID-*` folder is removed by the next "
     "write (a live writer's is kept)", "tests/zoo/writer_test.py"),
    ("files and folders", "a killed `atomic_path` writer",
     "its `.NAME.tmp-PID-*` temporary is removed by the next write of that path",
     "tests/utils/files_test.py"),
    ("artifacts", "the shipped classifier's weights with one flipped byte",
     "`CorruptArtifactError: Refusing .../model.weights.h5 of preset 'fashion_mnist_classifier': "
     "its sha256 is ... but the presets table expects ...` (re-raised by the metrics' loader and "
     "by PPL, never replaced by another network or by pixels; `keras-gans eval` exits 2)",
     "tests/metrics/classifier_artifacts_test.py"),
    ("evaluation", "32x32 samples under the 28x28 protocols without a preprocessing",
     "`The generated images are 32x32x1 but the fashion_mnist protocols measure 28x28x1 images; "
     "use preprocess={\"center_crop\": 28} (`keras-gans eval --center-crop 28`) for a model "
     "trained on padded data or {\"resize\": 28} (`--resize 28`) for resized data.`",
     "tests/cli/eval_presets_test.py"),
    ("evaluation", "`write_preset(eval_preprocess={\"pad\": 2})`",
     "`preprocess must be None, {\"center_crop\": SIZE} or {\"resize\": SIZE}; got {'pad': 2}.`",
     "tests/zoo/writer_test.py"),
    ("evaluation", "`keras-gans eval fashion_mnist_classifier`",
     "`... is a Functional, not a generative model; `keras-gans eval` measures GANs.`",
     "tests/cli/eval_presets_test.py"),
]


def _load_cases():
    spec = importlib.util.spec_from_file_location(
        "bad_inputs_test", ROOT / "tests" / "cli" / "bad_inputs_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readable(argv, paths):
    names = {"run": "RUN/", "cond": "cond.keras", "file": "a_file", "dir": "DIR",
             "locked": "LOCKED/", "corrupt": "corrupt.keras"}
    text = shlex.join(["keras-gans"] + argv)
    for key, name in names.items():
        text = text.replace("{" + key + "}", name)
    return text


def _message(line, paths):
    for key in ("locked", "run", "cond", "corrupt", "file", "dir"):
        line = line.replace(paths[key], {"run": "RUN", "cond": "cond.keras", "file": "a_file",
                                          "dir": "DIR", "locked": "LOCKED",
                                          "corrupt": "corrupt.keras"}[key])
    line = re.sub(r"since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "since TIME", line)
    return line.replace(str(paths["holder_pid"]), "PID").replace("|", "\\|")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "bad_inputs.md"))
    args = parser.parse_args()
    module = _load_cases()
    root = Path(tempfile.mkdtemp(prefix="bad_inputs_"))
    paths, holder = module.make_paths(root)
    lines = ["# Bad inputs and the messages they get", "",
             "Written by `python scripts/write_bad_inputs_doc.py`, which runs every case of",
             "`tests/cli/bad_inputs_test.py` (the test asserts exit code 2, one line, and the",
             "quoted piece of each message). `RUN/` is a run folder, `DIR` a scratch folder,",
             "`LOCKED/` a run folder held by another live trainer (pid `PID`).", "",
             "Exit codes: 0 ok, 2 bad input or expected error (one line on stderr), 1 unexpected",
             "error (one line; `--debug` shows the traceback). See [cli.md](cli.md).", ""]
    try:
        group = None
        for case_group, what, argv, _ in module.CASES:
            if case_group != group:
                group = case_group
                lines += ["", f"## {group}", "", "| bad input | command | exit | message |",
                          "|---|---|---|---|"]
            code, err = module.run_cli(module.fill(argv, paths))
            message = _message(err[-1] if err else "(none)", paths)
            lines.append(f"| {what} | `{_readable(argv, paths)}` | {code} | {message} |")
    finally:
        holder.kill()
        holder.wait()
    group = None
    lines += ["", "## Python API and files", "", "| bad input | what happens | test |",
              "|---|---|---|"]
    for case_group, what, result, test in API_CASES:
        lines.append(f"| {case_group}: {what} | {result} | {test} |")
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Wrote {args.out} ({len(module.CASES)} command lines, {len(API_CASES)} API cases)")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
