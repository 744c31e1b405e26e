"""NVIDIA's released StyleGAN / StyleGAN2 / StyleGAN2-ADA networks, read without executing them.

`reader.read_snapshot(path)` turns a network pickle into plain records
(`NetworkRecord`: class name, kwargs, numpy tensors) and refuses anything that
could run code; the converters build the Keras models from those records.

Example:

>>> from keras_gans.zoo.nvlabs import read_snapshot  # doctest: +SKIP
>>> snap = read_snapshot("stylegan2-ffhq-config-f.pkl")  # doctest: +SKIP
>>> snap["format"]  # doctest: +SKIP
'tf'
"""

from keras_gans.zoo.nvlabs.reader import (  # noqa: F401
    ALLOWED_GLOBALS,
    NetworkRecord,
    NVLabsFormatError,
    UnsafePickleError,
    read_snapshot,
)
