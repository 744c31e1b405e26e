"""Writes a preset's artifacts and its table row (called by recipes in scripts/)."""

import json
import os
import platform
import time

import keras

from keras_gans.utils.files import atomic_path, sha256_of, write_text
from keras_gans.zoo.presets import (PRESETS_FILE, read_table, repo_root, savedmodels_dir,
                                    zoo_dir)


def _rel(path):
    return os.path.relpath(path, repo_root())


def write_preset(name, model, *, dataset, resolution=None, description="", recipe="",
                 metrics=None, training=None, card="", images=None, export=True,
                 task="generation"):
    """Writes `zoo/<name>/` (config.json, model.weights.h5, README.md card, PNGs),
    exports `savedmodels/<name>/<N>/`, and records the row in `zoo/presets.json`.

    Weights are saved from a fresh, uncompiled copy of the model, so the file
    holds one copy of each weight and no optimizer state.

    Args:
        name: preset name, `<family>_<dataset>[_<resolution>]`.
        model: the trained model (a GAN, or any functional keras.Model).
        dataset, resolution, description: shown by `keras-gans zoo list`.
        recipe: the one command that reproduces the artifacts.
        metrics: measured numbers (each with its protocol).
        training: e.g. {"wall_time_s": ..., "epochs": ..., "steps": ...}.
        card: extra Markdown for the model card.
        images: {"filename.png": path of a PNG to copy into zoo/<name>/}.
        export: also write the SavedModel.
    """
    directory = os.path.join(zoo_dir(), name)
    os.makedirs(directory, exist_ok=True)
    config = keras.saving.serialize_keras_object(model)
    # Without its compile config the copy below builds no optimizers, so the
    # weights file holds no optimizer slots (for Adam, twice the model's size);
    # `zoo.load` compiles from the table row's "compile" instead.
    config.pop("compile_config", None)
    write_text(os.path.join(directory, "config.json"), json.dumps(config, indent=1))
    fresh = keras.saving.deserialize_keras_object(config)
    fresh.set_weights(model.get_weights())
    with atomic_path(os.path.join(directory, "model.weights.h5")) as tmp:
        fresh.save_weights(tmp)
    for filename, src in (images or {}).items():
        with open(src, "rb") as f:
            data = f.read()
        with atomic_path(os.path.join(directory, filename)) as tmp:
            with open(tmp, "wb") as f:
                f.write(data)
    files = {f: sha256_of(os.path.join(directory, f)) for f in ("config.json", "model.weights.h5")}
    row = {
        "family": getattr(model, "family", "model"),
        "task": task,
        "dataset": dataset,
        "resolution": resolution,
        "description": description,
        "files": files,
        "compile": model.get_compile_config() if hasattr(model, "d_optimizer") else None,
        "recipe": recipe,
        "training": {**(training or {}), "machine": f"{os.cpu_count()}-core CPU, "
                     f"{platform.machine()}, no GPU"},
        "metrics": metrics or {},
        "written": time.strftime("%Y-%m-%d"),
    }
    if export:
        from keras_gans.export import export_savedmodel

        path = export_savedmodel(model, os.path.join(savedmodels_dir(), name))
        row["savedmodel"] = {
            "path": _rel(path),
            "files": {os.path.relpath(os.path.join(dp, f), path):
                      sha256_of(os.path.join(dp, f))
                      for dp, _, fs in os.walk(path) for f in fs},
        }
    write_text(os.path.join(directory, "README.md"), model_card(name, row, card, images))
    table = read_table()
    table[name] = row
    write_text(os.path.join(zoo_dir(), PRESETS_FILE), json.dumps(table, indent=1, sort_keys=True))
    return row


def format_values(values):
    """`{"fid": 12.345, "n": 3}` -> "fid=12.35, n=3"; a plain number -> "12.35".

    Example:

    >>> format_values({"precision": 0.71234, "recall": 0.5})
    'precision=0.7123, recall=0.5'
    """
    def one(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    if isinstance(values, dict):
        return ", ".join(f"{k}={one(v)}" for k, v in values.items()
                         if not str(k).startswith("fid_class_"))
    return one(values)


def model_card(name, row, extra="", images=None):
    """Markdown card of a preset: what it is, how it was made, what it measures."""
    lines = [f"# {name}", "", row.get("description", ""), "",
             "| | |", "|---|---|",
             f"| family | `{row['family']}` |",
             f"| dataset | {row['dataset']} |",
             f"| resolution | {row.get('resolution')} |",
             f"| recipe | `{row.get('recipe')}` |"]
    for k, v in (row.get("training") or {}).items():
        lines.append(f"| training {k} | {v} |")
    if row.get("savedmodel"):
        lines.append(f"| SavedModel | `{row['savedmodel']['path']}` |")
    lines += ["", "## Measured", ""]
    if row.get("metrics"):
        lines += ["| metric | value | real-data floor | protocol |", "|---|---|---|---|"]
        for k, v in row["metrics"].items():
            if isinstance(v, dict):
                floor = format_values(v.get("floor")) if v.get("floor") else "—"
                protocol = v.get("protocol", "")
                if v.get("note"):
                    protocol = f"{protocol}; {v['note']}"
                lines.append(f"| {k} | {format_values(v.get('value'))} | {floor} | {protocol} |")
            else:
                lines.append(f"| {k} | {format_values(v)} | — | |")
        lines += ["", "Floors: the same protocol between real images (Fashion-MNIST train vs "
                  "test), the best a generator can expect to reach."]
    else:
        lines.append("No metrics recorded.")
    lines += ["", "## Use", "", "```python", "from keras_gans import zoo",
              f'model = zoo.load("{name}")', "```", ""]
    for filename in (images or {}):
        lines += [f"![{filename}]({filename})", ""]
    lines += ["## sha256", ""] + [f"- `{f}`: `{h}`" for f, h in row["files"].items()]
    if extra:
        lines += ["", extra]
    return "\n".join(lines) + "\n"
