"""Writes a preset's artifacts and its table row (called by recipes in scripts/).

A preset is replaced atomically: the new `zoo/<name>/` is written complete in
a temporary sibling folder (`zoo/.<name>.tmp-<pid>-*`), then exchanged with
the old folder in one rename, and the table row follows in the next rename. A
write that fails or is killed before that point leaves the previous preset
whole and loadable; the temporary of a killed writer is removed by the next
write.
"""

import json
import os
import platform
import shutil
import tempfile
import time

from keras_gans.utils.files import (atomic_path, remove_stale_temporaries, replace_folder,
                                    sha256_of)
from keras_gans.zoo.presets import (PRESETS_FILE, read_table, repo_root, savedmodels_dir,
                                    zoo_dir)


def _rel(path):
    return os.path.relpath(path, repo_root())


def write_preset(name, model, *, dataset, resolution=None, description="", recipe="",
                 metrics=None, training=None, card="", images=None, export=True,
                 task="generation", eval_preprocess=None):
    """Writes `zoo/<name>/` (config.json, model.weights.h5, README.md card, PNGs),
    exports `savedmodels/<name>/<N>/`, and records the row in `zoo/presets.json`.

    Weights are saved from a fresh, uncompiled copy of the model, so the file
    holds one copy of each weight and no optimizer state. The previous preset
    of the same name stays complete and loadable until the new one is (see
    the module docstring).

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
        eval_preprocess: how samples become the metrics' images, recorded
            with the protocol (`{"center_crop": 28}` for a model trained on
            padded data; see `keras_gans.metrics.protocols.check_preprocess`).

    Example:

    >>> write_preset("dcgan_digits", gan, dataset="digits", resolution=8)  # doctest: +SKIP
    """
    import keras

    if eval_preprocess is not None:
        from keras_gans.metrics.protocols import check_preprocess

        eval_preprocess = check_preprocess(eval_preprocess)
    parent = zoo_dir()
    directory = os.path.join(parent, name)
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(directory)
    staging = tempfile.mkdtemp(prefix=f".{name}.tmp-{os.getpid()}-", dir=parent)
    try:
        config = keras.saving.serialize_keras_object(model)
        # Without its compile config the copy below builds no optimizers, so the
        # weights file holds no optimizer slots (for Adam, twice the model's size);
        # `zoo.load` compiles from the table row's "compile" instead.
        config.pop("compile_config", None)
        with open(os.path.join(staging, "config.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(config, indent=1))
        fresh = keras.saving.deserialize_keras_object(config)
        fresh.set_weights(model.get_weights())
        fresh.save_weights(os.path.join(staging, "model.weights.h5"))
        for filename, src in (images or {}).items():
            shutil.copyfile(src, os.path.join(staging, filename))
        files = {f: sha256_of(os.path.join(staging, f))
                 for f in ("config.json", "model.weights.h5")}
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
        if eval_preprocess is not None:
            row["eval_preprocess"] = eval_preprocess
        if export:
            from keras_gans.export import export_savedmodel

            # A new version beside the old ones: the old row's version stays valid.
            path = export_savedmodel(model, os.path.join(savedmodels_dir(), name))
            row["savedmodel"] = {
                "path": _rel(path),
                "files": {os.path.relpath(os.path.join(dp, f), path):
                          sha256_of(os.path.join(dp, f))
                          for dp, _, fs in os.walk(path) for f in fs},
            }
        with open(os.path.join(staging, "README.md"), "w", encoding="utf-8") as f:
            f.write(model_card(name, row, card, images))
        table = read_table()
        table[name] = row
        with atomic_path(os.path.join(parent, PRESETS_FILE)) as table_tmp:
            with open(table_tmp, "w", encoding="utf-8") as f:
                f.write(json.dumps(table, indent=1, sort_keys=True))
            # The folder swap and the table rename follow each other directly:
            # the new files and their hashes appear together.
            replace_folder(staging, directory)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)
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
