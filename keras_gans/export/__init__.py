"""Exports for serving: SavedModels in TF Serving's layout."""

from keras_gans.export.savedmodel import (  # noqa: F401
    export_savedmodel,
    images_to_uint8,
    versions,
    write_models_config,
)
