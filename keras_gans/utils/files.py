"""Atomic file and folder writes, stale-temporary cleanup and a run-folder lock.

Everything is written to a temporary sibling path and renamed into place;
`os.replace` is atomic on POSIX within one filesystem, so a reader sees either
the old file or the new one. A folder replaces a folder by an atomic exchange
(Linux `renameat2(RENAME_EXCHANGE)`), so the old folder stays complete and
readable until the new one is. Temporaries are named
`.<name>.tmp-<pid>-<random>`: a writer killed with SIGKILL leaves one behind,
and the next write next to it removes those whose process is gone.

Nothing here imports TensorFlow (the command line uses it before deciding
whether TensorFlow is needed).
"""

import contextlib
import ctypes
import ctypes.util
import errno
import glob
import hashlib
import json
import os
import shutil
import socket
import tempfile
import time


def _temp_prefix(base, kind="tmp"):
    return f".{base}.{kind}-{os.getpid()}-"


def _pid_alive(pid):
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def remove_stale_temporaries(path):
    """Removes the temporaries of `path` (`.<name>.tmp-<pid>-*`, `.<name>.old-<pid>-*`)
    left by writers whose process no longer runs. Returns the removed paths.

    Example:

    >>> remove_stale_temporaries("/tmp/no-such-folder/model.keras")
    []
    """
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    removed = []
    for kind in ("tmp", "old"):
        for candidate in glob.glob(os.path.join(glob.escape(parent), f".{glob.escape(base)}.{kind}-*")):
            pid_text = os.path.basename(candidate)[len(f".{base}.{kind}-"):].split("-", 1)[0]
            if not pid_text.isdigit() or _pid_alive(int(pid_text)):
                continue  # a live writer's, or not ours
            if os.path.isdir(candidate) and not os.path.islink(candidate):
                shutil.rmtree(candidate, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(candidate)
            removed.append(candidate)
    return removed


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2():
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def exchange_paths(a, b):
    """Atomically swaps two existing paths (Linux renameat2 RENAME_EXCHANGE).

    Returns False when the platform or filesystem cannot (the caller falls back).
    """
    fn = _renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, f"could not exchange {a} and {b}: {os.strerror(err)}")


def replace_folder(src, dst):
    """Moves folder `src` to `dst`, replacing a folder there atomically when possible."""
    if os.path.isdir(dst) and not os.path.islink(dst):
        if exchange_paths(src, dst):
            shutil.rmtree(src, ignore_errors=True)  # now the old folder
            return
        # No atomic exchange here: the old folder moves aside for an instant.
        old = tempfile.mkdtemp(prefix=_temp_prefix(os.path.basename(dst), "old"),
                               dir=os.path.dirname(os.path.abspath(dst)))
        os.rmdir(old)
        os.replace(dst, old)
        os.replace(src, dst)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(src, dst)


@contextlib.contextmanager
def atomic_path(path, is_dir=False):
    """Yields a temporary path next to `path`; moves it to `path` on success.

    On an exception the temporary is removed and `path` is untouched. A folder
    (`is_dir=True`) replaces an existing folder atomically (see
    `replace_folder`). Stale temporaries of killed writers of `path` are
    removed first.

    Example:

    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "example.txt")
    >>> with atomic_path(target) as tmp:
    ...     _ = open(tmp, "w").write("done")
    >>> open(target).read()
    'done'
    """
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(path)
    base = os.path.basename(path)
    if is_dir:
        tmp = tempfile.mkdtemp(prefix=_temp_prefix(base), dir=parent)
    else:
        suffix = "".join(os.path.splitext(base)[1:])
        # Keep the extension: Keras picks the format from it (.keras, .weights.h5).
        if base.endswith(".weights.h5"):
            suffix = ".weights.h5"
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(base), suffix=suffix, dir=parent)
        os.close(fd)
        os.remove(tmp)
    try:
        yield tmp
        if is_dir:
            replace_folder(tmp, path)
        else:
            os.replace(tmp, path)
    except BaseException:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        elif os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_text(path, text):
    """Writes `text` to `path` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def sha256_of(path, chunk=1 << 20):
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------
# The run-folder lock.

LOCK_FILE = ".keras-gans.lock"


class RunFolderLockedError(RuntimeError):
    """Another live process holds the folder's lock."""


def _read_lock(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def lock_folder(directory, what="trainer"):
    """Holds `directory/.keras-gans.lock` (created with O_EXCL) while the block runs.

    The file records the holder's pid and host and is removed on exit. A lock
    whose process no longer runs on this host (a trainer killed with SIGKILL)
    is taken over; a live holder makes this raise `RunFolderLockedError`
    naming its pid.

    Example:

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with lock_folder(folder):
    ...     with lock_folder(folder):  # doctest: +ELLIPSIS
    ...         pass
    Traceback (most recent call last):
    ...
    keras_gans.utils.files.RunFolderLockedError: ... is in use by process ...
    """
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, LOCK_FILE)
    me = {"pid": os.getpid(), "host": socket.gethostname(), "what": what,
          "since": time.strftime("%Y-%m-%d %H:%M:%S")}
    for _ in range(5):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read_lock(path)
            if holder is None:
                # Being written by its creator right now, or truncated by a crash.
                time.sleep(0.05)
                holder = _read_lock(path) or {"pid": -1, "host": me["host"]}
            if holder.get("host") == me["host"] and not _pid_alive(int(holder.get("pid", -1))):
                _take_over(path, holder)
                continue
            raise RunFolderLockedError(
                f"{directory} is in use by process {holder.get('pid')} on "
                f"{holder.get('host')} (a {holder.get('what', 'writer')} since "
                f"{holder.get('since', '?')}); wait for it, stop it, or pass another --out. "
                f"If no such process runs, delete {path}.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(me, f)
        break
    else:
        raise RunFolderLockedError(f"Could not take the lock {path}: other processes keep "
                                   "taking it; pass another --out.")
    try:
        yield path
    finally:
        holder = _read_lock(path)
        if holder and holder.get("pid") == me["pid"] and holder.get("host") == me["host"]:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def _take_over(path, stale):
    """Removes a dead holder's lock, unless another process replaced it meanwhile."""
    aside = f"{path}.stale-{os.getpid()}"
    try:
        os.rename(path, aside)  # only one taker wins the file it read
    except FileNotFoundError:
        return
    moved = _read_lock(aside) or {}
    if moved.get("pid") != stale.get("pid"):
        # A live process created a fresh lock between our read and the rename:
        # put it back (link fails if yet another one exists; then it wins).
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
    os.remove(aside)
