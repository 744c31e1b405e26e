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


def load(name, compile=True, verify=True):
    """Builds the model of preset `name` with its weights.

    GAN presets return the trainable `keras_gans` model, compiled with the
    recipe's optimizers so `fit` continues training; other presets (e.g.
    `fashion_mnist_classifier`) return their `keras.Model`.

    Raises:
        ValueError: unknown name (with close matches) or unavailable preset.
        CorruptArtifactError: an artifact whose sha256 does not match.

    Example:

    >>> from keras_gans import zoo  # doctest: +SKIP
    >>> gan = zoo.load("dcgan_fashion_mnist")  # doctest: +SKIP
    >>> gan.sample(16, seed=0).shape  # doctest: +SKIP
    (16, 28, 28, 1)
    """
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
        model.compile_from_config(row["compile"])
    model.preset_name = name
    return model


def preset_savedmodel_dir(name):
    """The TF Serving base directory of a preset's SavedModel."""
    row = get_preset(name)
    sm = row.get("savedmodel")
    if not sm:
        raise ValueError(f"Preset {name!r} has no SavedModel export.")
    return os.path.join(repo_root(), os.path.dirname(sm["path"]))
