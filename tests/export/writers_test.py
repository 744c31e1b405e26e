"""Writers that share a folder: models.config merged, versions claimed atomically,
stale temporaries of killed writers cleaned on the next export.

Concurrency and kills run in real processes (two exports released by one
barrier file; a writer killed with SIGKILL in the middle of an export).
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import keras
import pytest
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from keras_gans.export import (ModelsConfigError, claim_version, clean_stale,
                               export_savedmodel, parse_models_config, versions,
                               write_models_config)
from keras_gans.models import DCGAN

HAND_WRITTEN = """\
# Served next to the GANs: written by hand, not by keras_gans.
model_config_list {
  config {
    name: "resnet"
    base_path: "/srv/resnet"
    model_platform: "tensorflow"
    model_version_policy { specific { versions: 7 versions: 9 } }
    version_labels { key: "stable" value: 7 }
  }
}
"""


def parse(path):
    return text_format.Parse(open(path).read(), model_server_config_pb2.ModelServerConfig())


@pytest.fixture(scope="module")
def gan():
    keras.utils.set_random_seed(0)
    return DCGAN(width=4, latent_dim=8)


def test_models_config_keeps_entries_it_does_not_manage(gan, tmp_path):
    (tmp_path / "models.config").write_text(HAND_WRITTEN)
    export_savedmodel(gan, str(tmp_path / "tiny"))
    export_savedmodel(gan, str(tmp_path / "other"))
    config = parse(tmp_path / "models.config").model_config_list.config
    assert [c.name for c in config] == ["resnet", "tiny", "other"]  # in export order
    resnet = config[0]
    assert resnet.base_path == "/srv/resnet"
    assert list(resnet.model_version_policy.specific.versions) == [7, 9]
    assert dict(resnet.version_labels) == {"stable": 7}
    assert config[1].base_path == "/models/tiny" and config[1].model_platform == "tensorflow"
    # A second export of a listed model adds nothing; a hand edit of its entry stays.
    text = (tmp_path / "models.config").read_text().replace(
        'base_path: "/models/tiny"\n',
        'base_path: "/models/tiny"\n    model_version_policy { latest { num_versions: 2 } }\n')
    (tmp_path / "models.config").write_text(text)
    export_savedmodel(gan, str(tmp_path / "tiny"))
    config = parse(tmp_path / "models.config").model_config_list.config
    assert [c.name for c in config] == ["resnet", "tiny", "other"]
    assert config[1].model_version_policy.latest.num_versions == 2
    # An explicit prefix moves the managed entries only, keeping their other fields.
    write_models_config(str(tmp_path), base_path_prefix=str(tmp_path))
    config = parse(tmp_path / "models.config").model_config_list.config
    assert [c.base_path for c in config] == ["/srv/resnet", f"{tmp_path}/tiny",
                                             f"{tmp_path}/other"]
    assert config[1].model_version_policy.latest.num_versions == 2


def test_models_config_it_cannot_merge_is_refused_not_overwritten(tmp_path):
    (tmp_path / "m" / "1").mkdir(parents=True)
    custom = "custom_model_config { type_url: 'x' }\n"
    (tmp_path / "models.config").write_text(custom)
    with pytest.raises(ModelsConfigError, match="custom_model_config.*not a model_config_list"):
        write_models_config(str(tmp_path))
    assert (tmp_path / "models.config").read_text() == custom
    (tmp_path / "models.config").write_text("model_config_list { config { name: 'a' ")
    with pytest.raises(ModelsConfigError, match="unbalanced"):
        write_models_config(str(tmp_path))


def test_parser_handles_comments_strings_and_colon_forms():
    text = ('model_config_list: { # c }\n config: { name: "a}b" base_path: \'/x/\\\'y\' '
            'model_version_policy { all {} } }\n config { name: "c" } }')
    entries = parse_models_config(text)
    assert [(e["name"], e["base_path"]) for e in entries] == [("a}b", "/x/'y"), ("c", None)]
    assert parse_models_config("  # nothing yet\n") == []


WRITER = textwrap.dedent("""
    import os, sys, time
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import keras
    import keras_gans.export.savedmodel as sm
    from keras_gans.models import DCGAN
    base, barrier, mode = sys.argv[1:4]
    keras.utils.set_random_seed(0)
    gan = DCGAN(width=4, latent_dim=8)
    if mode == "hang":
        def hang(version_dir, *args, **kwargs):
            open(barrier, "w").close()
            time.sleep(600)
        sm.write_warmup_requests = hang
    else:
        open(f"{barrier}.{os.getpid()}", "w").close()
        while not os.path.exists(barrier):
            time.sleep(0.005)
    print(sm.export_savedmodel(gan, base))
""")


def start_writer(base, barrier, mode):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-c", WRITER, base, barrier, mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(predicate, procs, timeout=180):
    deadline = time.time() + timeout
    while not predicate():
        for p in procs:
            if p.poll() is not None and p.returncode != 0:
                raise AssertionError(p.stderr.read()[-2000:])
        assert time.time() < deadline, "writers did not get ready"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def writers(tmp_path_factory):
    """Three writer processes started together (TensorFlow imports in parallel):
    two racing exports into one folder, and one that hangs mid-export."""
    root = tmp_path_factory.mktemp("writers")
    race, killed = root / "race", root / "killed"
    race.mkdir()
    killed.mkdir()
    procs = {"race": [start_writer(str(race / "tiny"), str(race / "go"), "race")
                      for _ in range(2)],
             "hang": start_writer(str(killed / "tiny"), str(killed / "hanging"), "hang")}
    yield race, killed, procs
    for p in procs["race"] + [procs["hang"]]:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_concurrent_exports_get_distinct_versions_and_one_config(writers):
    race, _, procs = writers
    wait_for(lambda: sum(f.startswith("go.") for f in os.listdir(race)) == 2, procs["race"])
    open(race / "go", "w").close()  # release both at once
    outs = []
    for p in procs["race"]:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-2000:]
        outs.append(out.strip().splitlines()[-1])
    base = str(race / "tiny")
    assert sorted(os.path.basename(o) for o in outs) == ["1", "2"]
    assert versions(base) == [1, 2] and sorted(os.listdir(base)) == ["1", "2"]
    config = parse(race / "models.config").model_config_list.config
    assert [c.name for c in config] == ["tiny"]
    for o in outs:
        assert os.path.exists(os.path.join(o, "saved_model.pb"))


def test_killed_writer_leaves_a_claim_the_next_export_removes(gan, writers):
    _, killed, procs = writers
    proc = procs["hang"]
    wait_for(lambda: os.path.exists(killed / "hanging"), [proc])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    base = str(killed / "tiny")
    left = sorted(os.listdir(base))
    assert left == [".1.partial"]  # nothing published, a claim with a half-written model
    assert os.path.exists(os.path.join(base, ".1.partial", "savedmodel", "saved_model.pb"))
    # A temporary of the previous writer (atomic_path), from two hours ago.
    legacy = os.path.join(base, ".3.tmp-abc123")
    os.mkdir(legacy)
    os.utime(legacy, (time.time() - 7200,) * 2)
    # A live writer's claim (this process) is left alone and its version skipped.
    live, live_claim = claim_version(base)
    assert live == 1  # the dead claim did not hold version 1 any more
    path = export_savedmodel(gan, base)
    assert os.path.basename(path) == "2"
    assert sorted(os.listdir(base)) == [".1.partial", "2"]
    assert json.load(open(os.path.join(live_claim, "owner.json")))["pid"] == os.getpid()
    os.remove(os.path.join(live_claim, "owner.json"))
    os.rmdir(live_claim)
    assert clean_stale(base) == []


def test_models_config_temporary_of_a_killed_writer_is_removed(gan, tmp_path):
    stale = tmp_path / ".models.config.tmp-dead"
    stale.write_text("half")
    export_savedmodel(gan, str(tmp_path / "tiny"))
    assert sorted(os.listdir(tmp_path)) == ["models.config", "tiny"]


def test_explicit_version_claims_refuse_taken_versions(gan, tmp_path):
    base = str(tmp_path / "tiny")
    n, claim = claim_version(base, version=5)
    assert n == 5
    with pytest.raises(FileExistsError, match="being written by another export"):
        export_savedmodel(gan, base, version=5)
    os.remove(os.path.join(claim, "owner.json"))
    os.rmdir(claim)
    export_savedmodel(gan, base, version=5)
    with pytest.raises(FileExistsError, match="immutable"):
        export_savedmodel(gan, base, version=5)
    with pytest.raises(ValueError, match="positive integer; got 0"):
        export_savedmodel(gan, base, version=0)
