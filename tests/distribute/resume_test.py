"""Exact resume: SIGKILL a training run mid-way, rerun the same command, and
the final model equals the one of an uninterrupted run bit for bit."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import keras

import keras_gans  # noqa: F401 - registers the families for load_model

COMMAND = ["-m", "keras_gans.cli", "train", "dcgan", "--dataset", "digits",
           "--epochs", "3", "--steps-per-epoch", "10", "--batch-size", "16",
           "--set", "width=4", "--set", "latent_dim=8", "--ema-decay", "0.9",
           "--seed", "7", "--deterministic"]


def _run(out, kill_after_epoch=None, timeout=600):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen([sys.executable] + COMMAND + ["--out", out], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if kill_after_epoch is None:
        output, _ = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, output[-3000:]
        return output
    state = os.path.join(out, "ckpt", "state.json")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(state) and json.load(open(state))["epoch"] >= kill_after_epoch:
            break
        assert proc.poll() is None, proc.communicate()[0][-3000:]
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return None


def test_killed_and_rerun_equals_uninterrupted(tmp_path):
    straight = str(tmp_path / "straight")
    killed = str(tmp_path / "killed")
    _run(straight)
    _run(killed, kill_after_epoch=1)
    assert not os.path.exists(os.path.join(killed, "model.keras")), "killed too late"
    output = _run(killed)
    assert "Resuming" in output
    a = keras.saving.load_model(os.path.join(straight, "model.keras"))
    b = keras.saving.load_model(os.path.join(killed, "model.keras"))
    for va, vb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=va.path)
    for name in ("d_optimizer", "g_optimizer"):
        for va, vb in zip(getattr(a, name).variables, getattr(b, name).variables):
            np.testing.assert_array_equal(va.numpy(), vb.numpy())
    np.testing.assert_array_equal(a.sample(8, seed=0), b.sample(8, seed=0))
