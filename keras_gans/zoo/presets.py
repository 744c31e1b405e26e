"""The presets table: a name maps to a family, its config, its artifacts with
their sha256, the recipe that made them and the metrics measured on them.

The rows of shipped presets live in `zoo/presets.json`, written only by
`write_preset` (called at the end of each recipe in `scripts/`), so every
hash in it was computed from the artifact it names. Presets users ask for
that cannot be shipped yet are listed in `UNAVAILABLE` with an honest reason.
"""

import difflib
import json
import os

PRESETS_FILE = "presets.json"

#: Names users expect that we cannot load yet, with what would be needed.
UNAVAILABLE = {
    "stylegan_ffhq": (
        "The official StyleGAN FFHQ weights (NVlabs, 1024x1024, TensorFlow 1 pickle) are not "
        "shipped and cannot be loaded yet. The architecture exists "
        "(`keras_gans.models.StyleGAN(resolution=1024, ...)`); what is missing is a converter "
        "from NVlabs' pickle to these Keras weights, and the pickle itself, which this project "
        "cannot download here or redistribute (CC BY-NC 4.0). Meanwhile train your own with "
        "`keras-gans train stylegan --dataset fashion_mnist --resolution 32 ...` or load the shipped "
        "`stylegan2_fashion_mnist` (`keras-gans zoo list`)."
    ),
    "stylegan2_ffhq": (
        "The official StyleGAN2 FFHQ weights (NVlabs, config F, 1024x1024) are not shipped and "
        "cannot be loaded yet. The architecture exists (`keras_gans.models.StyleGAN2("
        "resolution=1024, channel_base=32768, channel_max=512)`); what is missing is a "
        "converter from NVlabs' pickle (TF1 or PyTorch) to these Keras weights, and the "
        "pickle itself (not downloadable here, CC BY-NC). Meanwhile use the shipped "
        "`stylegan2_fashion_mnist` (`keras-gans zoo list`)."
    ),
}


def repo_root():
    """The folder holding `keras_gans/` (the clone, for an editable install)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def zoo_dir():
    """Where Keras-native preset artifacts live (`$KERAS_GANS_ZOO_DIR` or `<repo>/zoo`)."""
    return os.environ.get("KERAS_GANS_ZOO_DIR") or os.path.join(repo_root(), "zoo")


def savedmodels_dir():
    """Where SavedModels live (`$KERAS_GANS_SAVEDMODELS_DIR` or `<repo>/savedmodels`)."""
    return (os.environ.get("KERAS_GANS_SAVEDMODELS_DIR")
            or os.path.join(repo_root(), "savedmodels"))


def read_table(directory=None):
    """The rows of `zoo/presets.json` ({} when there is none yet)."""
    path = os.path.join(directory or zoo_dir(), PRESETS_FILE)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def list_presets(include_unavailable=False):
    """Names of the shipped presets (and, optionally, the announced ones)."""
    names = set(read_table())
    if include_unavailable:
        names |= set(UNAVAILABLE)
    return sorted(names)


class PresetUnavailableError(ValueError):
    """A known preset name whose weights cannot be loaded here."""


def get_preset(name):
    """The table row of `name`; a clear error for unknown or unavailable names."""
    table = read_table()
    if name in table:
        return table[name]
    if name in UNAVAILABLE:
        raise PresetUnavailableError(f"Preset {name!r} is not available: {UNAVAILABLE[name]}")
    known = sorted(set(table) | set(UNAVAILABLE))
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"Unknown preset {name!r}.{hint} Available: {', '.join(sorted(table)) or 'none'}. "
        "List them with `keras-gans zoo list`."
    )
