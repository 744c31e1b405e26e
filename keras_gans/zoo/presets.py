"""The presets table: a name maps to a family, its config, its artifacts with
their sha256, the recipe that made them and the metrics measured on them.

The rows of shipped presets live in `zoo/presets.json`, written only by
`write_preset` (called at the end of each recipe in `scripts/`), so every
hash in it was computed from the artifact it names. Presets users ask for
that cannot be shipped yet are listed in `UNAVAILABLE` with an honest reason.
NVIDIA's official networks, fetched and converted on first use, are listed
by `official_presets()` (rows in `keras_gans.zoo.nvlabs.presets`).
"""

import difflib
import json
import os

PRESETS_FILE = "presets.json"

#: Names users expect that we cannot load yet, with what would be needed. The
#: official NVIDIA networks (`stylegan_ffhq`, `stylegan2_ffhq`,
#: `stylegan2_ada_*`) are no longer here: `official_presets()` lists them and
#: `zoo.load` downloads and converts them.
UNAVAILABLE = {}


def official_presets():
    """`{name: row}` of NVIDIA's official networks that `zoo.load` fetches and converts.

    The rows live in `keras_gans.zoo.nvlabs.presets` (a Python table, not in
    `zoo/presets.json`, which `write_preset` rewrites): URL, format,
    resolution, size where known and NVIDIA's non-commercial licence.

    Example:

    >>> sorted(official_presets())[:2]
    ['stylegan2_ada_afhqcat', 'stylegan2_ada_afhqdog']
    """
    from keras_gans.zoo.nvlabs.presets import OFFICIAL_PRESETS

    return {name: dict(row) for name, row in OFFICIAL_PRESETS.items()}


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


def list_presets(include_unavailable=False, include_official=False):
    """Names of the shipped presets (optionally also the announced and NVIDIA's official ones)."""
    names = set(read_table())
    if include_unavailable:
        names |= set(UNAVAILABLE)
    if include_official:
        names |= set(official_presets())
    return sorted(names)


class PresetUnavailableError(ValueError):
    """A known preset name whose weights cannot be loaded here."""


def get_preset(name):
    """The table row of `name`; a clear error for unknown or unavailable names."""
    table = read_table()
    if name in table:
        return table[name]
    official = official_presets()
    if name in official:
        return official[name]
    if name in UNAVAILABLE:
        raise PresetUnavailableError(f"Preset {name!r} is not available: {UNAVAILABLE[name]}")
    known = sorted(set(table) | set(UNAVAILABLE) | set(official))
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"Unknown preset {name!r}.{hint} Available: {', '.join(sorted(table)) or 'none'}; "
        f"official NVIDIA networks: {', '.join(sorted(official))}. "
        "List them with `keras-gans zoo list`."
    )
