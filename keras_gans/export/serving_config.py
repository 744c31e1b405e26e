"""TF Serving's `models.config`: merged, never rewritten from scratch.

The file is a text-format `ModelServerConfig` holding a `model_config_list`
of `config { name: ... base_path: ... }` entries. Exports add an entry for
each model directory of the folder that has none yet; every other entry
(hand-written ones, version policies, labels, comments inside entries) is
kept verbatim. Read-modify-write runs under an exclusive lock on the folder,
so concurrent exports cannot drop each other's entries.

The parser here is deliberately small (entries, their `name` and
`base_path`); a test checks its output with the `tensorflow-serving-api`
protos. A file that is not a `model_config_list` (e.g. a
`custom_model_config`) is refused instead of being overwritten.
"""

import contextlib
import glob
import os
import re

from keras_gans.utils.files import write_text

CONFIG_FILE = "models.config"
DEFAULT_BASE_PATH_PREFIX = "/models"

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<punct>[{}<>:\[\],;])
  | (?P<word>[^\s{}<>:\[\],;"'\#]+)
""", re.VERBOSE)


class ModelsConfigError(ValueError):
    """A `models.config` this module cannot merge without losing something."""


def _tokens(text, path):
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ModelsConfigError(
                f"{path}: cannot parse the text proto at offset {pos} "
                f"({text[pos:pos + 20]!r}); fix or remove the file.")
        kind = m.lastgroup
        if kind not in ("space", "comment"):
            yield kind, m.group(), m.start(), m.end()
        pos = m.end()


def _unquote(token):
    body = token[1:-1]
    return bytes(body, "utf-8").decode("unicode_escape") if "\\" in body else body


def parse_models_config(text, path=CONFIG_FILE):
    """Entries of a `model_config_list`: a list of dicts.

    Each dict has `name`, `base_path` (None when absent), `text` (the entry's
    verbatim `config { ... }` source) and `base_path_span` (offsets of the
    `base_path` value inside `text`, or None).

    Example:

    >>> [e["name"] for e in parse_models_config(
    ...     'model_config_list { config { name: "a" base_path: "/m/a" } }')]
    ['a']
    """
    toks = list(_tokens(text, path))
    if not toks:
        return []
    i = 0

    def expect(kind, value=None):
        nonlocal i
        if i >= len(toks) or toks[i][0] != kind or (value is not None and toks[i][1] != value):
            got = toks[i][1] if i < len(toks) else "end of file"
            raise ModelsConfigError(
                f"{path}: expected {value or kind} but found {got!r}; keras_gans merges only "
                "a plain `model_config_list { config { ... } ... }`: fix the file by hand.")
        i += 1
        return toks[i - 1]

    head = expect("word")
    if head[1] != "model_config_list":
        raise ModelsConfigError(
            f"{path}: holds {head[1]!r}, not a model_config_list; keras_gans will not "
            "overwrite it. Merge the entries by hand or move the file away.")
    if i < len(toks) and toks[i][1] == ":":
        i += 1
    expect("punct", "{")
    entries = []
    while i < len(toks) and toks[i][1] != "}":
        field = expect("word")
        if field[1] != "config":
            raise ModelsConfigError(
                f"{path}: unexpected field {field[1]!r} in model_config_list; only "
                "`config { ... }` entries can be merged: fix the file by hand.")
        if i < len(toks) and toks[i][1] == ":":
            i += 1
        expect("punct", "{")
        depth, name, base_path, span = 1, None, None, None
        while depth:
            if i >= len(toks):
                raise ModelsConfigError(f"{path}: unbalanced braces; fix the file by hand.")
            kind, value, s, e = toks[i]
            if value in ("{", "<"):
                depth += 1
            elif value in ("}", ">"):
                depth -= 1
            elif (depth == 1 and kind == "word" and value in ("name", "base_path")
                  and i + 2 < len(toks) and toks[i + 1][1] == ":"
                  and toks[i + 2][0] == "string"):
                string = toks[i + 2]
                if value == "name":
                    name = _unquote(string[1])
                else:
                    base_path = _unquote(string[1])
                    span = (string[2] - field[2], string[3] - field[2])
                i += 2
            i += 1
        end = toks[i - 1][3]
        if name is None:
            raise ModelsConfigError(f"{path}: a config entry has no name; fix the file by hand.")
        entries.append({"name": name, "base_path": base_path, "text": text[field[2]:end],
                        "base_path_span": span})
    expect("punct", "}")
    if i != len(toks):
        raise ModelsConfigError(
            f"{path}: unexpected {toks[i][1]!r} after model_config_list; fix the file by hand.")
    return entries


def _entry_text(name, base_path):
    return (f'config {{\n    name: "{name}"\n    base_path: "{base_path}"\n'
            '    model_platform: "tensorflow"\n  }')


def format_models_config(entries):
    """The `models.config` text of parsed (or new) entries."""
    body = "".join(f"  {e['text']}\n" for e in entries)
    return "model_config_list {\n" + body + "}\n"


@contextlib.contextmanager
def folder_lock(directory):
    """Exclusive advisory lock on a folder (flock on its descriptor; leaves no file).

    Example:

    >>> with folder_lock("savedmodels"):  # doctest: +SKIP
    ...     pass
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: fall back to no lock (documented)
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def served_models(root):
    """Names of the model folders in `root` holding at least one integer version."""
    names = []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if name.startswith(".") or not os.path.isdir(folder):
            continue
        if any(v.isdigit() and os.path.isdir(os.path.join(folder, v)) for v in os.listdir(folder)):
            names.append(name)
    return names


def write_models_config(root, base_path_prefix=None):
    """Merges `root/models.config` with the model folders of `root`.

    A folder without an entry gets one (`base_path` = `<prefix>/<name>`,
    prefix `/models` by default: the TF Serving Docker image mounts models
    there). Entries already in the file are kept verbatim, including
    hand-written ones for models elsewhere; with an explicit
    `base_path_prefix` the `base_path` of the entries for folders in `root`
    is set to `<prefix>/<name>` (pass the absolute path of `root` to serve
    in place), other fields kept.

    Returns:
        The path of `models.config`.

    Example:

    >>> write_models_config("savedmodels")  # doctest: +SKIP
    'savedmodels/models.config'
    """
    root = os.fspath(root)
    path = os.path.join(root, CONFIG_FILE)
    with folder_lock(root):
        # Every writer of models.config holds this lock, so a temporary of it
        # that exists now was left by a killed writer.
        for stale in glob.glob(os.path.join(root, f".{CONFIG_FILE}.tmp-*")):
            os.remove(stale)
        entries = []
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                entries = parse_models_config(f.read(), path)
        names = {e["name"] for e in entries}
        dup = sorted(n for n in names if sum(e["name"] == n for e in entries) > 1)
        if dup:
            raise ModelsConfigError(
                f"{path}: entries {dup} appear twice (TF Serving refuses that); "
                "remove the duplicates by hand.")
        managed = served_models(root)
        if base_path_prefix is not None:
            prefix = base_path_prefix.rstrip("/")
            for e in entries:
                if e["name"] in managed:
                    new = f"{prefix}/{e['name']}"
                    if e["base_path_span"] is None:
                        e["text"] = e["text"].rstrip()[:-1].rstrip() + \
                            f'\n    base_path: "{new}"\n  }}'
                    else:
                        s, t = e["base_path_span"]
                        e["text"] = e["text"][:s] + f'"{new}"' + e["text"][t:]
        prefix = (base_path_prefix or DEFAULT_BASE_PATH_PREFIX).rstrip("/")
        for name in managed:
            if name not in names:
                entries.append({"name": name, "text": _entry_text(name, f"{prefix}/{name}")})
        write_text(path, format_models_config(entries))
    return path
