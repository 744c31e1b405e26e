"""Atomic file and directory writes: never leave a half-written artifact.

Everything is written to a temporary sibling path and renamed into place;
`os.replace` is atomic on POSIX within one filesystem, so a reader sees either
the old file or the new one, and a crash leaves only a temporary to clean.
"""

import contextlib
import hashlib
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_path(path, is_dir=False):
    """Yields a temporary path next to `path`; renames it to `path` on success.

    Example:

    >>> with atomic_path("/tmp/example.txt") as tmp:  # doctest: +SKIP
    ...     open(tmp, "w").write("done")
    """
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(parent, exist_ok=True)
    base = os.path.basename(path)
    if is_dir:
        tmp = tempfile.mkdtemp(prefix=f".{base}.tmp-", dir=parent)
    else:
        suffix = "".join(os.path.splitext(base)[1:])
        # Keep the extension: Keras picks the format from it (.keras, .weights.h5).
        if base.endswith(".weights.h5"):
            suffix = ".weights.h5"
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.tmp-", suffix=suffix, dir=parent)
        os.close(fd)
        os.remove(tmp)
    try:
        yield tmp
        if is_dir and os.path.isdir(path):
            old = tempfile.mkdtemp(prefix=f".{base}.old-", dir=parent)
            os.rmdir(old)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
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
