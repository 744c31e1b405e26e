"""The model zoo: `zoo.load(name)` returns a ready model.

Example:

>>> from keras_gans import zoo  # doctest: +SKIP
>>> zoo.list_presets()  # doctest: +SKIP
['dcgan_fashion_mnist', 'fashion_mnist_classifier']
>>> gan = zoo.load("dcgan_fashion_mnist")  # doctest: +SKIP
"""

from keras_gans.zoo.loader import CorruptArtifactError, load, preset_savedmodel_dir, verify_file  # noqa: F401
from keras_gans.zoo.presets import (  # noqa: F401
    UNAVAILABLE,
    PresetUnavailableError,
    get_preset,
    list_presets,
    read_table,
    savedmodels_dir,
    zoo_dir,
)
from keras_gans.zoo.writer import model_card, write_preset  # noqa: F401
