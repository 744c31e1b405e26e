"""Datasets as tf.data pipelines of images in [-1, 1]."""

from keras_gans.data.datasets import (
    FASHION_MNIST_CLASSES,
    SOURCES,
    fashion_mnist_available,
    get_source,
    register_source,
)
from keras_gans.data.idx import read_idx
from keras_gans.data.pipeline import (
    arrays,
    epoch_permutation,
    from_arrays,
    load,
    num_batches,
    pipeline_options,
    points_dataset,
    without_autotune,
)
from keras_gans.data.validation import to_model_range, to_uint8, validate_images


def list_datasets():
    """Names of the registered datasets."""
    return sorted(SOURCES)


from keras_gans.data import mixtures  # noqa: F401  (registers ring8, grid25)
