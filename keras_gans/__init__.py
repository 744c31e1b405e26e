"""keras-gans: generative adversarial networks as Keras 3 models, with a zoo of
pretrained exports.

Example:

>>> from keras_gans import zoo  # doctest: +SKIP
>>> gan = zoo.load("dcgan_fashion_mnist")  # doctest: +SKIP
>>> images = gan.sample(16, seed=0)  # uint8 (16, 28, 28, 1)  # doctest: +SKIP
"""

__version__ = "0.1.0"

from keras_gans import data  # noqa: E402,F401
from keras_gans import losses  # noqa: E402,F401
from keras_gans import layers  # noqa: E402,F401
from keras_gans import models  # noqa: E402,F401
from keras_gans import callbacks  # noqa: E402,F401
from keras_gans import export  # noqa: E402,F401
from keras_gans import zoo  # noqa: E402,F401
from keras_gans import metrics  # noqa: E402,F401
