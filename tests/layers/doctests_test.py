"""The Example sections of keras_gans.layers run, so they cannot drift from the code.

Each module's doctests get `np`, `keras` and `tf` (the names the examples
use); an example that cannot run here is marked `# doctest: +SKIP` with its
reason on the same line.
"""

import doctest
import importlib
import pkgutil

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans.layers

MODULES = sorted(f"keras_gans.layers.{m.name}"
                 for m in pkgutil.iter_modules(keras_gans.layers.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    keras.utils.set_random_seed(0)
    result = doctest.testmod(module, extraglobs={"np": np, "keras": keras, "tf": tf},
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             report=True, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
