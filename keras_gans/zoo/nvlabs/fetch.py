"""Download, pin and convert NVIDIA's official networks for `zoo.load(name)`.

- Download: `keras.utils.get_file` into the Keras cache
  (`$KERAS_HOME` or `~/.keras`, subfolder `keras_gans/nvlabs/`), or a file
  the user placed there by hand, or `source=` a local path.
- Pin: NVIDIA publishes no checksums, so the first time a preset's file is
  used its sha256 is stored in `sha256_pins.json` in that folder and printed
  (trust on first use); a later file with another sha256 is refused.
- Convert once: the Keras model (`model.keras`) is cached in
  `converted/<sha>-<which>-<code>/` beside the pickle; it is
  rebuilt only when the pickle, `which` or the converter's code changes.

Every failure is one line that names the URL, the cache path and how to put
the file there by hand.

Example:

>>> from keras_gans.zoo.nvlabs.fetch import load_official  # doctest: +SKIP
>>> gan = load_official("stylegan2_ada_afhqcat")  # doctest: +SKIP
>>> gan = load_official("stylegan2_ffhq", source="stylegan2-ffhq-config-f.pkl")  # doctest: +SKIP
"""

import datetime
import json
import os
import sys

from keras_gans.zoo.nvlabs.presets import official_preset
from keras_gans.zoo.presets import PresetUnavailableError

PINS_FILE = "sha256_pins.json"


class OfficialWeightsUnavailableError(PresetUnavailableError):
    """An official NVIDIA preset whose pickle could not be downloaded or found."""


class PinMismatchError(ValueError):
    """A pickle whose sha256 differs from the one pinned at its first use."""


def cache_dir():
    """Where official pickles and their conversions live: `<keras home>/keras_gans/nvlabs`.

    `$KERAS_GANS_NVLABS_CACHE` overrides it. The Keras home is `$KERAS_HOME`
    or `~/.keras`, falling back to `/tmp/.keras` when that is not writable
    (what `keras.utils.get_file` itself does).
    """
    override = os.environ.get("KERAS_GANS_NVLABS_CACHE")
    if override:
        return os.path.abspath(os.path.expanduser(override))
    home = os.path.expanduser(os.environ.get("KERAS_HOME") or os.path.join("~", ".keras"))
    if not os.access(home if os.path.isdir(home) else os.path.dirname(home), os.W_OK):
        home = os.path.join("/tmp", ".keras")
    return os.path.join(home, "keras_gans", "nvlabs")


def _row(name):
    row = official_preset(name)
    if row is None:
        raise ValueError(
            f"{name!r} is not an official NVIDIA preset; list them with "
            "keras_gans.zoo.list_presets(include_official=True)"
        )
    row["name"] = name
    return row


def _by_hand(row, path):
    return (
        f"download {row['url']} yourself (e.g. `curl -L -o {path} '{row['url']}'`) and place it at "
        f"{path}, or pass zoo.load({row['name']!r}, source='path/to/{row['filename']}')"
    )


def _first_line(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


def read_pins(directory=None):
    """The `{name: {"sha256", "file", "size_bytes", "pinned_at"}}` pins of the cache (or {})."""
    path = os.path.join(directory or cache_dir(), PINS_FILE)
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            pins = json.load(f)
    except (OSError, ValueError) as e:
        raise PinMismatchError(
            f"Cannot read the sha256 pins {path} ({_first_line(e)}); fix or delete the "
            "file (deleting it re-pins every file on its next use)"
        ) from None
    if not isinstance(pins, dict):
        raise PinMismatchError(f"{path} is not a JSON object of pins; fix or delete it")
    return pins


def _write_pins(pins, directory):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, PINS_FILE)
    partial = f"{path}.{os.getpid()}.partial"
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(pins, f, indent=1, sort_keys=True)
    os.replace(partial, path)


def pin_status(name, path, directory=None):
    """`(sha256, pinned)` of `path`: `pinned` is False on first use; a mismatch raises.

    Raises:
        PinMismatchError: the sha256 differs from the pinned one (one line).
    """
    from keras_gans.utils.files import sha256_of

    directory = directory or cache_dir()
    pin = read_pins(directory).get(name)
    actual = sha256_of(path)
    if pin is None:
        return actual, False
    if pin.get("sha256") != actual:
        pins_path = os.path.join(directory, PINS_FILE)
        raise PinMismatchError(
            f"Refusing {path} for {name!r}: its sha256 is {actual} but {pins_path} pinned "
            f"{pin.get('sha256')} at its first use ({pin.get('pinned_at')}); the file changed or "
            "was "
            f"replaced. Delete {path} to download it again, or remove the {name!r} entry from "
            f"{pins_path} if you trust the new file"
        )
    return actual, True


def record_pin(name, path, sha256, directory=None, log=None):
    """Stores `sha256` as `name`'s pin and prints it (trust on first use)."""
    directory = directory or cache_dir()
    pins = read_pins(directory)
    pins[name] = {
        "sha256": sha256,
        "file": os.path.abspath(path),
        "size_bytes": os.path.getsize(path),
        "pinned_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    _write_pins(pins, directory)
    (log or _stderr)(
        f"keras_gans: pinned sha256 {sha256} for {name!r} ({path}, {os.path.getsize(path)} "
        f"bytes) in {os.path.join(directory, PINS_FILE)}; later files must match "
        "(trust on first use: NVIDIA publishes no checksums)"
    )


def check_pin(name, path, directory=None, log=None):
    """Pins `path`'s sha256 under `name` on first use (printing it); refuses a later mismatch.

    Returns:
        The file's sha256.
    """
    sha, pinned = pin_status(name, path, directory)
    if not pinned:
        record_pin(name, path, sha, directory, log)
    return sha


def _stderr(message):
    print(message, file=sys.stderr)


def fetch_official(name, source=None, download=None, log=None, pin=True):
    """Local path and sha256 of an official preset's pickle, downloaded on first use.

    Args:
        name: an official preset name (`keras_gans.zoo.nvlabs.presets`).
        source: a local copy of the pickle (skips the download).
        download: the download function (default `keras.utils.get_file`;
            tests pass a fake, there is no network in them).
        pin: record the sha256 now on first use. `load_official` passes
            False and pins only once the file has been read and converted,
            so a truncated download is never pinned.

    Returns:
        `(path, sha256, pinned)`; `pinned` says whether a pin existed (or was
        just recorded).

    Raises:
        OfficialWeightsUnavailableError: download failed or `source` missing
            (one line: URL, cache path, how to place the file by hand).
        PinMismatchError: the file differs from the one pinned at first use.
    """
    row = _row(name)
    directory = cache_dir()
    cached = os.path.join(directory, row["filename"])
    if source is not None:
        source = os.fspath(source)
        if not os.path.isfile(source):
            raise OfficialWeightsUnavailableError(
                f"Preset {name!r}: source={source!r} is no file; {_by_hand(row, cached)}"
            )
        path = source
    elif os.path.isfile(cached):
        path = cached
    else:
        if download is None:
            import keras

            download = keras.utils.get_file
        note = f" ({row['url_note']})" if row.get("url_note") else ""
        os.makedirs(directory, exist_ok=True)
        # Downloaded under a temporary name, renamed when complete: an interrupted
        # download never sits at the cache path looking like the real file.
        partial_name = f"{row['filename']}.{os.getpid()}.download"
        try:
            fetched = download(
                fname=partial_name, origin=row["url"], cache_dir=directory, cache_subdir=""
            )
            if not os.path.isfile(fetched):
                raise FileNotFoundError(f"the download left no file at {fetched}")
            os.replace(fetched, cached)
        except BaseException as e:  # noqa: BLE001 - any failure (HTTP, DNS, proxy) means "no file"
            leftover = os.path.join(directory, partial_name)
            if os.path.exists(leftover):
                os.remove(leftover)
            if isinstance(e, KeyboardInterrupt):
                raise
            raise OfficialWeightsUnavailableError(
                f"Preset {name!r} is not available offline: downloading the NVIDIA pickle from "
                f"{row['url']} "
                f"to {cached} failed ({_first_line(e)}){note}; {_by_hand(row, cached)}"
            ) from None
        path = cached
    sha, pinned = pin_status(name, path, directory)
    if pin and not pinned:
        record_pin(name, path, sha, directory, log)
        pinned = True
    return path, sha, pinned


def _which_key(which):
    return {None: "ema", "G_ema": "ema", "Gs": "ema", "G": "G"}.get(which, str(which))


def load_converted(path, sha256, label, which="G_ema", log=None):
    """The Keras GAN of pickle `path`, converted once and cached under `converted/`."""
    import keras_gans.layers  # noqa: F401 - registers the serializable classes
    import keras_gans.models  # noqa: F401
    from keras_gans.zoo import nvlabs

    directory = os.path.join(cache_dir(), "converted")
    # The converter's fingerprint needs the snapshot's family; a cheap index of
    # earlier conversions maps (sha, which) to it so cached loads skip reading.
    index_path = os.path.join(directory, "index.json")
    index = {}
    if os.path.exists(index_path):
        try:
            with open(index_path, encoding="utf-8") as f:
                index = json.load(f)
        except (OSError, ValueError):
            index = {}
    key = f"{sha256}:{_which_key(which)}"
    entry = index.get(key)
    if entry is not None:
        module_name = entry["converter"]
        fingerprint = nvlabs.module_fingerprint(module_name)
        target = os.path.join(
            directory,
            f"{sha256[:16]}-{_which_key(which)}-{fingerprint[:12]}",
            "model.keras",
        )
        cached = _load_cached(target, log)
        if cached is not None:
            return cached
    snapshot = nvlabs.read_snapshot(path)
    module_name, _ = nvlabs.converter_for(snapshot, which)
    fingerprint = nvlabs.module_fingerprint(module_name)
    folder = os.path.join(
        directory, f"{sha256[:16]}-{_which_key(which)}-{fingerprint[:12]}"
    )
    target = os.path.join(folder, "model.keras")
    gan = _load_cached(target, log)
    if gan is None:
        (log or _stderr)(
            f"keras_gans: converting {path} once; the Keras model is cached in {folder}"
        )
        gan = nvlabs.convert(snapshot, which=which)
        os.makedirs(folder, exist_ok=True)
        partial = os.path.join(folder, f"model.{os.getpid()}.partial.keras")
        gan.save(partial)
        os.replace(partial, target)
    index[key] = {"converter": module_name, "folder": folder, "source": os.path.abspath(path),
                  "first_name": index.get(key, {}).get("first_name", label)}
    os.makedirs(directory, exist_ok=True)
    partial = f"{index_path}.{os.getpid()}.partial"
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1, sort_keys=True)
    os.replace(partial, index_path)
    return gan


def _load_cached(target, log):
    """The cached converted model, or None (also when the cache file is unreadable: rebuilt)."""
    import keras

    if not os.path.isfile(target):
        return None
    try:
        return keras.saving.load_model(target)
    except Exception as e:  # noqa: BLE001 - a damaged cache entry is rebuilt from the pickle
        (log or _stderr)(
            f"keras_gans: the cached conversion {target} is unreadable ({_first_line(e)}); "
            "converting again"
        )
        os.remove(target)
        return None


def load_official(name, source=None, which="G_ema", download=None, log=None):
    """`zoo.load(name)` for an official NVIDIA preset: fetch, pin, convert once, load.

    Example:

    >>> gan = load_official("stylegan2_ada_cifar10")  # doctest: +SKIP
    >>> gan.generate(gan.latents(10), labels=list(range(10))).shape  # doctest: +SKIP
    TensorShape([10, 32, 32, 3])
    """
    path, sha, pinned = fetch_official(name, source=source, download=download, log=log, pin=False)
    gan = load_converted(path, sha, name, which=which, log=log)
    if not pinned:  # pinned only once the file has been read and converted
        record_pin(name, path, sha, log=log)
    gan.preset_name = name
    return gan


def load_pickle(path, which="G_ema", log=None):
    """`zoo.load("path/to/snapshot.pkl")`: any NVIDIA snapshot, converted once, cached by sha256."""
    from keras_gans.utils.files import sha256_of

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No NVIDIA snapshot at {path}: pass the path of a .pkl file "
            "(or an official preset name: keras_gans.zoo.list_presets(include_official=True))"
        )
    label = os.path.splitext(os.path.basename(path))[0] or "snapshot"
    return load_converted(path, sha256_of(path), label, which=which, log=log)
