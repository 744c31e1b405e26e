"""`keras-gans --help`, `zoo list`, `zoo info` and `families` import no TensorFlow and
answer fast; commands that import it print none of its log lines."""

import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The console script's own code, plus a report of what got imported. argv[0] is
# what the installed `keras-gans` script sees.
PROBE = """
import json, sys, time
start = time.perf_counter()
sys.argv = ["keras-gans"] + json.loads(sys.argv[1])
from keras_gans.cli import main
try:
    code = main()
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "seconds": time.perf_counter() - start,
                  "tensorflow": "tensorflow" in sys.modules, "keras": "keras" in sys.modules}),
      file=sys.stderr)
"""


def probe(args):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc.stdout, proc.stderr.strip().splitlines()[:-1], report


@pytest.mark.parametrize("args", [["--help"], ["zoo", "list"], ["zoo", "list", "--json"],
                                  ["zoo", "info", "dcgan_fashion_mnist"], ["families"],
                                  ["train", "--help"], ["train", "dcgna", "--out", "x"]])
def test_answers_without_tensorflow(args):
    out, err, report = probe(args)
    assert not report["tensorflow"] and not report["keras"], report
    # Measured about 0.15 s here (TensorFlow alone takes 4+ s); loaded CI machines get slack.
    assert report["seconds"] < 2.0, report
    assert report["code"] in (0, 2)


def test_zoo_list_fits_100_columns_and_json_has_every_preset():
    out, _, _ = probe(["zoo", "list"])
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    # The headline metric and its floor, as the presets table records them.
    from keras_gans.zoo.presets import read_table

    fid = read_table()["stylegan2_fashion_mnist"]["metrics"]["fid10k_test"]
    shown = f"fid10k_test {fid['value']['fid']:.2f} ({fid['floor']['fid']:.3f})"
    assert any(line.startswith("stylegan2_fashion_mnist") and shown in line for line in lines), \
        (shown, lines)
    rows = json.loads(probe(["zoo", "list", "--json"])[0])
    by_name = {r["name"]: r for r in rows}
    assert by_name["stylegan_ffhq"]["availability"] == "download*"
    assert by_name["dcgan_fashion_mnist"]["metric"] == "fid10k_test"


def test_a_tensorflow_command_prints_no_tensorflow_log_lines(tmp_path):
    # `sample` of a missing file fails after TensorFlow was imported.
    _, err, report = probe(["sample", str(tmp_path / "missing.keras")])
    assert report["tensorflow"] and report["code"] == 2
    assert err == [f"keras-gans: error: No such .keras file: {tmp_path / 'missing.keras'}; "
                   "check the path."], err


def test_zoo_info_of_an_official_network_prints_its_url_and_licence():
    out, _, report = probe(["zoo", "info", "stylegan_ffhq"])
    assert report["code"] == 0 and not report["tensorflow"], report
    fields = dict(line.strip().split(": ", 1) for line in out.splitlines()[1:-1])
    assert fields["url"].startswith("https://drive.google.com/")
    assert "non-commercial" in fields["licence"] and fields["format"] == "tf"
