"""Exports for serving: SavedModels in TF Serving's layout, warmup records, `models.config`."""

from keras_gans.export.savedmodel import (  # noqa: F401
    claim_version,
    clean_stale,
    export_metadata,
    export_savedmodel,
    images_to_uint8,
    versions,
)
from keras_gans.export.serving_config import (  # noqa: F401
    ModelsConfigError,
    parse_models_config,
    write_models_config,
)
from keras_gans.export.warmup import (  # noqa: F401
    example_inputs,
    read_warmup_requests,
    write_warmup_requests,
)
