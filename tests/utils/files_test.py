"""Atomic writes, stale temporaries and the run-folder lock (keras_gans.utils.files)."""

import json
import os
import subprocess
import sys

import pytest

from keras_gans.utils import files


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_atomic_path_keeps_the_old_file_when_the_write_raises(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with files.atomic_path(target) as tmp:
            open(tmp, "w").write("half")
            raise RuntimeError("killed halfway")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["model.keras"]


def test_a_folder_is_exchanged_whole(tmp_path):
    target = tmp_path / "preset"
    target.mkdir()
    (target / "a.txt").write_text("old")
    (target / "only_old.txt").write_text("old")
    with files.atomic_path(target, is_dir=True) as tmp:
        open(os.path.join(tmp, "a.txt"), "w").write("new")
    assert sorted(os.listdir(target)) == ["a.txt"]
    assert (target / "a.txt").read_text() == "new"
    assert os.listdir(tmp_path) == ["preset"]


def test_exchange_swaps_two_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    if not files.exchange_paths(str(a), str(b)):
        pytest.skip("this filesystem has no renameat2 RENAME_EXCHANGE (the fallback is tested "
                    "by test_a_folder_is_exchanged_whole)")
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path):
    dead, live = _dead_pid(), os.getpid()
    (tmp_path / f".model.keras.tmp-{dead}-abc.keras").write_text("x")
    (tmp_path / f".preset.tmp-{dead}-abc").mkdir()
    (tmp_path / f".model.keras.tmp-{live}-def.keras").write_text("busy")
    (tmp_path / ".model.keras.tmp-notapid").write_text("not ours")
    with files.atomic_path(tmp_path / "model.keras") as tmp:
        open(tmp, "w").write("new")
    assert sorted(os.listdir(tmp_path)) == sorted(
        [".model.keras.tmp-notapid", f".model.keras.tmp-{live}-def.keras",
         f".preset.tmp-{dead}-abc", "model.keras"])
    assert files.remove_stale_temporaries(tmp_path / "preset") == [
        str(tmp_path / f".preset.tmp-{dead}-abc")]


def test_lock_refuses_a_second_holder_with_the_owners_pid(tmp_path):
    with files.lock_folder(tmp_path) as path:
        assert json.load(open(path))["pid"] == os.getpid()
        with pytest.raises(files.RunFolderLockedError, match=f"process {os.getpid()} "):
            with files.lock_folder(tmp_path):
                pass
    assert not os.path.exists(path), "the lock was not removed on exit"


def test_lock_of_a_dead_process_is_taken_over(tmp_path):
    path = tmp_path / files.LOCK_FILE
    import socket

    path.write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname()}))
    with files.lock_folder(tmp_path):
        assert json.load(open(path))["pid"] == os.getpid()
    assert not path.exists()


def test_lock_held_by_another_live_process(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", _holder_code(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(files.RunFolderLockedError, match=f"process {holder.pid} "):
            with files.lock_folder(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    # Killed (SIGKILL): its lock is stale now and is taken over.
    with files.lock_folder(tmp_path):
        pass


def _holder_code(folder):
    # argv[0] "keras-gans": keras_gans imports lazily, as in the CLI (no TensorFlow).
    return ("import sys, time\n"
            "sys.argv = ['keras-gans']\n"
            "from keras_gans.utils.files import lock_folder\n"
            f"with lock_folder({str(folder)!r}):\n"
            "    print('locked', flush=True)\n"
            "    time.sleep(60)\n")
