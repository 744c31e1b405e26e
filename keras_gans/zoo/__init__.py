"""The model zoo: `zoo.load(name)` returns a ready model.

Example:

>>> from keras_gans import zoo  # doctest: +SKIP
>>> zoo.list_presets()  # doctest: +SKIP
['dcgan_fashion_mnist', 'fashion_mnist_classifier']
>>> gan = zoo.load("dcgan_fashion_mnist")  # doctest: +SKIP
"""

import importlib as _importlib

from keras_gans.zoo.presets import (  # noqa: F401
    UNAVAILABLE,
    PresetUnavailableError,
    get_preset,
    official_presets,
    list_presets,
    read_table,
    savedmodels_dir,
    zoo_dir,
)

# Imported on first use: they need Keras (and so TensorFlow), while the table
# above is plain JSON that `keras-gans zoo list` reads in a fraction of a second.
_LAZY = {
    "CorruptArtifactError": "keras_gans.zoo.loader",
    "load": "keras_gans.zoo.loader",
    "preset_savedmodel_dir": "keras_gans.zoo.loader",
    "verify_file": "keras_gans.zoo.loader",
    "model_card": "keras_gans.zoo.writer",
    "write_preset": "keras_gans.zoo.writer",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'keras_gans.zoo' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
