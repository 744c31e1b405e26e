"""`zoo.load(name)`: resolve a preset, verify its files, build the model."""

import json
import os

import keras

from keras_gans.utils.files import sha256_of
from keras_gans.zoo.presets import get_preset, repo_root, zoo_dir


class CorruptArtifactError(ValueError):
    """An artifact whose sha256 differs from the one in the presets table."""


def verify_file(path, expected, name, recipe=None):
    """Raises `CorruptArtifactError` when `path`'s sha256 is not `expected`."""
    actual = sha256_of(path)
    if actual != expected:
        fix = (f"restore it with `git checkout -- {os.path.relpath(path, repo_root())}`"
               + (f" or rebuild it with `{recipe}`" if recipe else ""))
        raise CorruptArtifactError(
            f"Refusing {path} of preset {name!r}: its sha256 is {actual} but the presets "
            f"table expects {expected}. The file is corrupt or was changed; {fix}."
        )
    return path


def resolve_file(name, row, filename):
    """Local path of one artifact, fetched through keras.utils.get_file when remote."""
    local = os.path.join(zoo_dir(), name, filename)
    expected = row["files"][filename]
    if os.path.exists(local):
        return verify_file(local, expected, name, row.get("recipe"))
    url = row.get("urls", {}).get(filename)
    if not url:
        raise FileNotFoundError(
            f"Artifact {local} of preset {name!r} is missing and the table has no URL "
            f"for it; restore it with `git checkout -- zoo/{name}` or rebuild it with "
            f"`{row.get('recipe', 'its recipe in scripts/')}`."
        )
    # get_file checks the hash itself and refuses a mismatching download.
    path = keras.utils.get_file(f"{name}-{filename}", origin=url, file_hash=expected,
                                hash_algorithm="sha256", cache_subdir="keras_gans")
    return path


def _is_pickle_path(name):
    name = os.fspath(name) if isinstance(name, os.PathLike) else name
    if not isinstance(name, str):
        return False
    return name.endswith(".pkl") or (os.sep in name and os.path.isfile(name))


PRECISIONS = ("float32", "recipe", "bfloat16", "float16")


def load(name, compile=True, verify=True, source=None, which="G_ema", precision="float32"):
    """Builds the model of preset `name` with its weights.

    GAN presets return the trainable `keras_gans` model, compiled with the
    recipe's optimizers so `fit` continues training; other presets (e.g.
    `fashion_mnist_classifier`) return their `keras.Model`.

    Official NVIDIA presets (`stylegan_ffhq`, `stylegan2_ffhq`,
    `stylegan2_ada_*`; `list_presets(include_official=True)`) are downloaded
    into the Keras cache with `keras.utils.get_file`, pinned by sha256 on
    first use, read without executing anything and converted once (the Keras
    model is cached beside the pickle). They come uncompiled: call
    `compile()` to fine-tune. NVIDIA's licences are non-commercial.
    A path to any NVIDIA snapshot (`"path/to/network-snapshot.pkl"`) loads
    the same way.

    Args:
        name: a preset name, or the path of an NVIDIA `.pkl` snapshot.
        compile: compile shipped GAN presets with their recipe's optimizers.
        verify: check shipped artifacts' sha256 against the table.
        source: official presets only: a local copy of the pickle (offline,
            behind a proxy); it is pinned like a download.
        which: NVIDIA networks only: "G_ema" (the averaged generator,
            default; `Gs` in TF files) or "G" (the training generator).
        precision: the compute precision of a compiled GAN preset:
            "float32" (default, whatever its recipe trained under: every CPU
            runs it at full speed, and it matches the SavedModel), "recipe"
            (the recipe's own, e.g. bfloat16 for `dcgan_fashion_mnist`, to
            continue training as it was trained), "bfloat16" or "float16".

    Raises:
        ValueError: unknown name (with close matches) or unavailable preset.
        CorruptArtifactError: an artifact whose sha256 does not match.
        keras_gans.zoo.nvlabs.fetch.OfficialWeightsUnavailableError: an
            official pickle that could not be downloaded (one line: URL,
            cache path, how to place the file by hand).
        keras_gans.zoo.nvlabs.fetch.PinMismatchError: an official pickle
            whose sha256 differs from the one pinned at first use.
        keras_gans.zoo.nvlabs.UnsafePickleError: a pickle that would run code.

    Example:

    >>> from keras_gans import zoo  # doctest: +SKIP
    >>> gan = zoo.load("dcgan_fashion_mnist")  # doctest: +SKIP
    >>> gan.sample(16, seed=0).shape  # doctest: +SKIP
    (16, 28, 28, 1)
    >>> gan = zoo.load("stylegan2_ffhq", source="stylegan2-ffhq-config-f.pkl")  # doctest: +SKIP
    >>> gan = zoo.load("runs/00000/network-snapshot-000200.pkl")  # doctest: +SKIP
    """
    from keras_gans.zoo.presets import official_presets, read_table

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}; "
                         f"got {precision!r}.")
    if _is_pickle_path(name):
        if source is not None:
            raise ValueError(f"source={source!r} is for official preset names; {name!r} is "
                             "already a path")
        from keras_gans.zoo.nvlabs.fetch import load_pickle

        return load_pickle(name, which=which)
    if isinstance(name, str) and name in official_presets() and name not in read_table():
        from keras_gans.zoo.nvlabs.fetch import load_official

        return load_official(name, source=source, which=which)
    if source is not None:
        raise ValueError(f"source= is only for official NVIDIA presets "
                         f"({', '.join(sorted(official_presets()))}); {name!r} is not one")
    # Registers every family and layer class before deserializing.
    import keras_gans.layers  # noqa: F401
    import keras_gans.models  # noqa: F401

    row = get_preset(name)
    if verify:
        config_path = resolve_file(name, row, "config.json")
        weights_path = resolve_file(name, row, "model.weights.h5")
    else:
        config_path = os.path.join(zoo_dir(), name, "config.json")
        weights_path = os.path.join(zoo_dir(), name, "model.weights.h5")
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    model = keras.saving.deserialize_keras_object(config)
    model.load_weights(weights_path)
    if compile and row.get("compile"):
        options = dict(row["compile"])
        if precision != "recipe":
            # bfloat16 kernels are fast only on CPUs with bf16 instructions;
            # a preset trained under it samples in float32 unless asked.
            options["mixed_precision"] = precision
        model.compile_from_config(options)
    model.preset_name = name
    return model


def preset_savedmodel_dir(name):
    """The TF Serving base directory of a preset's SavedModel."""
    row = get_preset(name)
    sm = row.get("savedmodel")
    if not sm:
        raise ValueError(f"Preset {name!r} has no SavedModel export.")
    return os.path.join(repo_root(), os.path.dirname(sm["path"]))
