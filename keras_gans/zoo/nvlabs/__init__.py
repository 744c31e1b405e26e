"""NVIDIA's released StyleGAN / StyleGAN2 / StyleGAN2-ADA networks, read without executing them.

`read_snapshot(path)` turns a network pickle into plain records
(`NetworkRecord`: class name, kwargs, numpy tensors) and refuses anything that
could run code. `convert(...)` dispatches a snapshot to the converter of its
network family and returns the Keras GAN; `convert_to_preset(path, out_dir)`
writes a Keras-native folder (`model.keras` plus provenance) that
`keras-gans sample DIR` and `keras.saving.load_model` read.

Converters register by (format, generator class name) in `CONVERTERS` and
are imported only when used:

- stylegan2-ada-pytorch / stylegan3 `Generator` (StyleGAN2 networks) and
  TF `G_main` -> `keras_gans.zoo.nvlabs.stylegan2.convert_stylegan2`
- TF StyleGAN (v1) `G_style` -> `keras_gans.zoo.nvlabs.stylegan.convert_stylegan`

Example:

>>> from keras_gans.zoo import nvlabs  # doctest: +SKIP
>>> gan = nvlabs.convert("stylegan2-ffhq-config-f.pkl")  # doctest: +SKIP
>>> nvlabs.convert_to_preset("network-snapshot.pkl", "converted/")  # doctest: +SKIP
'converted/'
"""

import hashlib
import importlib
import importlib.util
import json
import os

from keras_gans.zoo.nvlabs.reader import (  # noqa: F401
    ALLOWED_GLOBALS,
    NetworkRecord,
    NVLabsFormatError,
    UnsafePickleError,
    read_snapshot,
)

#: (format, class name of the sampled generator) -> (module, function).
CONVERTERS = {
    ("pytorch", "Generator"): ("keras_gans.zoo.nvlabs.stylegan2", "convert_stylegan2"),
    ("tf", "G_main"): ("keras_gans.zoo.nvlabs.stylegan2", "convert_stylegan2"),
    ("tf", "G_style"): ("keras_gans.zoo.nvlabs.stylegan", "convert_stylegan"),
}

# The generator each format samples from, by the names `which` accepts.
_SAMPLED = {
    "pytorch": {None: "G_ema", "G_ema": "G_ema", "Gs": "G_ema", "G": "G"},
    "tf": {None: "Gs", "G_ema": "Gs", "Gs": "Gs", "G": "G"},
}


class UnsupportedNetworkError(NVLabsFormatError):
    """A readable NVIDIA snapshot whose network family has no converter here."""


def _as_snapshot(snapshot_or_path):
    if isinstance(snapshot_or_path, dict) and "format" in snapshot_or_path:
        return snapshot_or_path
    if isinstance(snapshot_or_path, (str, os.PathLike)):
        return read_snapshot(snapshot_or_path)
    raise TypeError(
        f"expected a read_snapshot() dict or the path of a .pkl file, "
        f"got {type(snapshot_or_path).__name__}"
    )


def sampled_network(snapshot, which="G_ema"):
    """Key of the generator `which` names in this snapshot ("G_ema"/"Gs" -> the averaged one)."""
    names = _SAMPLED.get(snapshot.get("format"))
    if names is None:
        raise NVLabsFormatError(
            f"snapshot format {snapshot.get('format')!r} is not 'pytorch' or 'tf'"
        )
    if which not in names:
        raise ValueError(
            f"which={which!r} is not one of 'G_ema' (the averaged generator, 'Gs' in TF "
            "files) or 'G' (the training generator)"
        )
    return names[which]


def converter_for(snapshot, which="G_ema"):
    """`(module_name, function_name)` of the converter for this snapshot's network family.

    Raises:
        UnsupportedNetworkError: one line listing what is supported.
    """
    fmt = snapshot["format"]
    record = snapshot[sampled_network(snapshot, which)]
    key = (fmt, record.class_name.rsplit(".", 1)[-1])
    if key == ("pytorch", "Generator") and "b4" not in getattr(
        record.modules.get("synthesis"), "modules", {}
    ):
        key = ("pytorch", "Generator (not StyleGAN2: no synthesis.b4 block, e.g. StyleGAN3)")
    if key not in CONVERTERS:
        supported = ", ".join(f"{f} {c}" for f, c in CONVERTERS)
        raise UnsupportedNetworkError(
            f"no converter for a {key[0]} network of class {key[1]!r}; supported: {supported} "
            "(StyleGAN2 networks of stylegan2-ada-pytorch / stylegan3, TF StyleGAN2 / "
            "StyleGAN2-ADA, "
            "TF StyleGAN v1)"
        )
    return CONVERTERS[key]


def convert(snapshot_or_path, which="G_ema", **kwargs):
    """Converts an NVIDIA snapshot (dict or path) into the Keras GAN of its family.

    Args:
        snapshot_or_path: a `read_snapshot` dict or a `.pkl` path.
        which: the generator the model samples from: "G_ema" (default: the
            averaged generator, `Gs` in TF files) or "G" (the training one).
        **kwargs: passed to the family's converter (e.g. `ema_decay`).

    Returns:
        The converted `StyleGAN2` or `StyleGAN`, uncompiled, with its D.

    Example:

    >>> gan = convert("sg2ada_A.pkl")  # doctest: +SKIP
    >>> gan.generate(gan.latents(4), truncation_psi=0.7).shape  # doctest: +SKIP
    TensorShape([4, 32, 32, 1])
    """
    snapshot = _as_snapshot(snapshot_or_path)
    module_name, function_name = converter_for(snapshot, which)
    function = getattr(importlib.import_module(module_name), function_name)
    sampled = sampled_network(snapshot, which)
    # Each converter spells its default its own way ("G_ema" / "Gs"): pass the file's key.
    return function(snapshot, which=sampled, **kwargs)


# Source files a converted model depends on besides its converter module.
_MODEL_MODULES = (
    "keras_gans.zoo.nvlabs.reader",
    "keras_gans.models.stylegan",
    "keras_gans.models.stylegan2",
    "keras_gans.models.karras_common",
    "keras_gans.layers.modulated",
)


def module_fingerprint(module_name):
    """sha256 over the converter's, the reader's and the model modules' source.

    Cached conversions are keyed by it, so they are rebuilt whenever code that
    shapes the converted weights changes.
    """
    digest = hashlib.sha256()
    for name in (module_name,) + _MODEL_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin or not os.path.isfile(spec.origin):
            continue
        digest.update(name.encode())
        with open(spec.origin, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def describe(snapshot):
    """Plain-data provenance of a snapshot: format, networks, class names, kwargs, source hashes."""
    out = {"format": snapshot["format"], "networks": {}}
    for key, record in snapshot.items():
        if isinstance(record, NetworkRecord):
            out["networks"][key] = {
                "class_name": record.class_name,
                "kwargs": _jsonable(record.kwargs),
                "version": record.version,
                "source_sha256": record.source_sha256,
                "num_tensors": len(record.tensors),
            }
    return out


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def convert_to_preset(path, out_dir, which="G_ema", licence=None):
    """Converts a `.pkl` into a Keras-native folder: `model.keras`, `nvlabs.json`, `README.md`.

    This is what `keras-gans convert PATH.pkl --out DIR` calls; `keras-gans
    sample DIR` and `keras.saving.load_model(DIR/model.keras)` then load it
    with no pickle involved.

    Args:
        path: an NVIDIA network pickle (read without executing anything).
        out_dir: folder to create (or reuse: its files are replaced).
        which: "G_ema" (default, `Gs` in TF files) or "G": the generator sampled.
        licence: licence text to record (official presets pass theirs);
            by default the card says NVIDIA's networks are non-commercial.

    Returns:
        `out_dir`.

    Raises:
        UnsafePickleError / NVLabsFormatError: the file is hostile or broken
            (one line; nothing in it ran).
        UnsupportedNetworkError: no converter for its network family.
        FileNotFoundError: no file at `path`.

    Example:

    >>> convert_to_preset("sg2ada_A.pkl", "/tmp/sg2ada_A")  # doctest: +SKIP
    '/tmp/sg2ada_A'
    """
    from keras_gans.utils.files import sha256_of

    path = os.fspath(path)
    snapshot = read_snapshot(path)
    gan = convert(snapshot, which=which)
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, "model.keras")
    partial = target + ".partial.keras"
    gan.save(partial)
    os.replace(partial, target)  # a reader never sees half a model
    info = describe(snapshot)
    info.update(
        source_file=os.path.abspath(path),
        source_sha256=sha256_of(path),
        sampled_network=sampled_network(snapshot, which),
        family=type(gan).__name__,
        licence=licence
        or (
            "NVIDIA's released networks are licensed for non-commercial use only "
            "(research or evaluation); check the licence of the source file"
        ),
    )
    _write_text(os.path.join(out_dir, "nvlabs.json"), json.dumps(info, indent=1, sort_keys=True))
    _write_text(os.path.join(out_dir, "README.md"), _card(info))
    return out_dir


def _card(info):
    sampled = info["networks"][info["sampled_network"]]
    lines = [
        f"# {os.path.basename(info['source_file'])} converted to Keras",
        "",
        f"- Family: `{info['family']}` (sampling generator: `{info['sampled_network']}`, "
        f"class `{sampled['class_name']}`)",
        f"- Source: `{info['source_file']}` (sha256 `{info['source_sha256']}`), {info['format']} "
        "pickle, "
        "read by `keras_gans.zoo.nvlabs.reader` without executing anything in it",
        f"- Licence: {info['licence']}",
        "",
        "```python",
        "import keras",
        "import keras_gans.models  # registers the classes",
        "gan = keras.saving.load_model('model.keras')",
        "images = gan.generate(gan.latents(4), truncation_psi=0.7)",
        "```",
        "",
    ]
    return "\n".join(lines)


def _write_text(path, text):
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(partial, path)
