"""keras-gans: generative adversarial networks as Keras 3 models, with a zoo of
pretrained exports.

Example:

>>> from keras_gans import zoo  # doctest: +SKIP
>>> gan = zoo.load("dcgan_fashion_mnist")  # doctest: +SKIP
>>> images = gan.sample(16, seed=0)  # uint8 (16, 28, 28, 1)  # doctest: +SKIP
"""

__version__ = "0.1.0"

import importlib as _importlib
import os as _os
import sys as _sys

_SUBPACKAGES = ("data", "losses", "layers", "models", "callbacks", "export", "zoo", "metrics")


def _started_by_command_line():
    # The `keras-gans` console script answers --help, `zoo list` and `families`
    # without TensorFlow (about 4 s and 8 log lines saved per call); it imports
    # the subpackages itself, after quieting TensorFlow, for the commands that
    # need them. Everyone else gets every family and layer registered on import.
    return _os.path.basename(_sys.argv[0] if _sys.argv else "") == "keras-gans"


def __getattr__(name):
    # `keras_gans.models` etc. still work when the eager imports were skipped.
    if name in _SUBPACKAGES:
        return _importlib.import_module(f"keras_gans.{name}")
    raise AttributeError(f"module 'keras_gans' has no attribute {name!r}")


if not _started_by_command_line():
    from keras_gans import data  # noqa: E402,F401
    from keras_gans import losses  # noqa: E402,F401
    from keras_gans import layers  # noqa: E402,F401
    from keras_gans import models  # noqa: E402,F401
    from keras_gans import callbacks  # noqa: E402,F401
    from keras_gans import export  # noqa: E402,F401
    from keras_gans import zoo  # noqa: E402,F401
    from keras_gans import metrics  # noqa: E402,F401
