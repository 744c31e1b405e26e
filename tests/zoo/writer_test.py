"""`write_preset` replaces a preset atomically and cleans up after killed writers."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import keras
import pytest

from keras_gans import zoo
from keras_gans.models import DCGAN

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tiny_gan(seed):
    keras.utils.set_random_seed(seed)
    gan = DCGAN(width=4, latent_dim=8)
    gan.compile()
    return gan


@pytest.fixture(scope="module")
def zoo_with_v1(tmp_path_factory):
    root = tmp_path_factory.mktemp("writer")
    env = {"KERAS_GANS_ZOO_DIR": str(root / "zoo"),
           "KERAS_GANS_SAVEDMODELS_DIR": str(root / "savedmodels")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    v1 = _tiny_gan(1)
    zoo.write_preset("dcgan_tiny", v1, dataset="noise", resolution=28, export=False,
                     description="version 1")
    yield root, v1, _tiny_gan(2)
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _assert_v1_loads(v1):
    loaded = zoo.load("dcgan_tiny")
    np.testing.assert_array_equal(loaded.sample(2, seed=0), v1.sample(2, seed=0))
    assert zoo.get_preset("dcgan_tiny")["description"] == "version 1"


def _temporaries(root):
    return sorted(f for f in os.listdir(root / "zoo") if f.startswith("."))


def test_a_write_that_raises_halfway_leaves_the_old_preset_loadable(zoo_with_v1):
    root, v1, v2 = zoo_with_v1
    # The copy of an image fails after config and weights of v2 are written.
    with pytest.raises(FileNotFoundError):
        zoo.write_preset("dcgan_tiny", v2, dataset="noise", export=False,
                         description="version 2", images={"grid.png": str(root / "missing.png")})
    _assert_v1_loads(v1)
    assert _temporaries(root) == [], "the failed write left a temporary behind"


def test_a_killed_writer_leaves_the_old_preset_and_its_temporary_is_cleaned(zoo_with_v1):
    root, v1, v2 = zoo_with_v1
    # A real SIGKILL in the middle of write_preset: after the new weights are
    # hashed, before anything is renamed into place.
    code = textwrap.dedent(f"""
        import os, signal, keras
        import keras_gans.zoo.writer as writer
        from keras_gans.models import DCGAN
        keras.utils.set_random_seed(2)
        gan = DCGAN(width=4, latent_dim=8)
        gan.compile()
        real_sha = writer.sha256_of
        def sha_then_die(path):
            real_sha(path)
            os.kill(os.getpid(), signal.SIGKILL)
        writer.sha256_of = sha_then_die
        writer.write_preset("dcgan_tiny", gan, dataset="noise", export=False,
                            description="version 2")
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    stale = _temporaries(root)
    assert len(stale) == 1 and stale[0].startswith(".dcgan_tiny.tmp-"), stale
    _assert_v1_loads(v1)

    # A live writer's temporary (this process's pid) must survive the cleanup.
    live = root / "zoo" / f".dcgan_tiny.tmp-{os.getpid()}-busy"
    live.mkdir()
    try:
        zoo.write_preset("dcgan_tiny", v2, dataset="noise", export=False,
                         description="version 2")
        assert _temporaries(root) == [live.name]
    finally:
        live.rmdir()
    loaded = zoo.load("dcgan_tiny")
    np.testing.assert_array_equal(loaded.sample(2, seed=0), v2.sample(2, seed=0))
    table = json.load(open(root / "zoo" / "presets.json"))
    assert table["dcgan_tiny"]["description"] == "version 2"


def test_eval_preprocess_is_recorded_and_checked(zoo_with_v1):
    root, v1, _ = zoo_with_v1
    row = zoo.write_preset("dcgan_crop", v1, dataset="noise", export=False,
                           eval_preprocess={"center_crop": 24})
    assert row["eval_preprocess"] == {"center_crop": [24, 24]}
    with pytest.raises(ValueError, match="preprocess must be None"):
        zoo.write_preset("dcgan_crop", v1, dataset="noise", export=False,
                         eval_preprocess={"pad": 2})
    assert zoo.get_preset("dcgan_crop")["eval_preprocess"] == {"center_crop": [24, 24]}
