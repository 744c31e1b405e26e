"""`zoo.load` of official NVIDIA presets: download failure, trust-on-first-use pin, one conversion.

There is no network in tests: the download function is a fake (copying a
fixture, or failing like an unreachable URL).
"""

import json
import os
import shutil

import keras
import numpy as np
import pytest

from keras_gans import zoo
from keras_gans.zoo import nvlabs
from keras_gans.zoo.nvlabs import fetch
from keras_gans.zoo.nvlabs.presets import OFFICIAL_PRESETS

NAME = "stylegan2_ada_afhqcat"  # any official row: the fakes serve the fixture's bytes


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    directory = tmp_path / "nvlabs-cache"
    monkeypatch.setenv("KERAS_GANS_NVLABS_CACHE", str(directory))
    return directory


class FakeDownload:
    """Stands for keras.utils.get_file: copies `source` to where get_file would write."""

    def __init__(self, source=None, error=None):
        self.source, self.error, self.calls = source, error, []

    def __call__(self, fname, origin, cache_dir, cache_subdir):
        self.calls.append(origin)
        if self.error is not None:
            raise self.error
        target = os.path.join(cache_dir, cache_subdir, fname)
        shutil.copyfile(self.source, target)
        return target


def _z(gan, n=4):
    return (
        np.random.RandomState(123)
        .randn(n, gan.z_dim if hasattr(gan, "z_dim") else 64)
        .astype("float32")
    )


def test_official_rows_are_complete():
    assert set(OFFICIAL_PRESETS) == {
        "stylegan_ffhq",
        "stylegan2_ffhq",
        "stylegan2_ada_ffhq",
        "stylegan2_ada_metfaces",
        "stylegan2_ada_afhqcat",
        "stylegan2_ada_afhqdog",
        "stylegan2_ada_afhqwild",
        "stylegan2_ada_brecahad",
        "stylegan2_ada_cifar10",
    }
    for name, row in OFFICIAL_PRESETS.items():
        assert row["url"].startswith("https://") and row["format"] in ("tf", "pytorch"), name
        assert row["non_commercial"] and "non-commercial" in row["licence"], name
        assert row["resolution"] in (32, 512, 1024), name
    assert OFFICIAL_PRESETS["stylegan2_ada_cifar10"]["conditional"]
    assert zoo.get_preset("stylegan2_ffhq")["format"] == "tf"
    assert "stylegan_ffhq" in zoo.list_presets(include_official=True)
    assert "stylegan_ffhq" not in zoo.list_presets()  # shipped presets only by default


def test_unreachable_url_is_one_line_naming_url_cache_and_fix(cache):
    failing = FakeDownload(
        error=Exception(
            "URL fetch failure on https://nvlabs-fi-cdn.nvidia.com/x: None -- [Errno -2] Name or "
            "service not known"
        )
    )
    with pytest.raises(fetch.OfficialWeightsUnavailableError) as info:
        fetch.load_official(NAME, download=failing)
    message = str(info.value)
    row = OFFICIAL_PRESETS[NAME]
    expected_path = str(cache / row["filename"])
    assert "\n" not in message
    assert row["url"] in message and expected_path in message
    assert "curl -L -o" in message and f"source='path/to/{row['filename']}'" in message
    assert os.listdir(cache) == []  # no partial file, no pin


def test_zoo_load_goes_through_keras_get_file(cache, monkeypatch):
    seen = {}

    def unreachable(**kwargs):
        seen.update(kwargs)
        raise OSError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(keras.utils, "get_file", unreachable)
    with pytest.raises(
        zoo.PresetUnavailableError, match="not available offline.*Network is unreachable"
    ):
        zoo.load("stylegan2_ffhq")
    assert seen["origin"] == OFFICIAL_PRESETS["stylegan2_ffhq"]["url"]
    assert seen["cache_dir"] == str(cache)


@pytest.fixture(scope="module")
def first_load(tmp_path_factory, nvlabs_file):
    """One conversion for the module, in its own cache (tests using it must not use `cache`)."""
    patch = pytest.MonkeyPatch()
    cache = tmp_path_factory.mktemp("shared") / "nvlabs-cache"
    patch.setenv("KERAS_GANS_NVLABS_CACHE", str(cache))
    download = FakeDownload(nvlabs_file("sg2ada_A.pkl"))
    logs = []
    gan = fetch.load_official(NAME, download=download, log=logs.append)
    yield gan, download, logs, cache
    patch.undo()


def test_first_use_pins_prints_and_converts_once(first_load, nvlabs_file):
    from keras_gans.utils.files import sha256_of

    gan, download, logs, cache = first_load
    sha = sha256_of(nvlabs_file("sg2ada_A.pkl"))
    pins = json.loads((cache / fetch.PINS_FILE).read_text())
    assert pins[NAME]["sha256"] == sha
    assert any(sha in line and "pinned" in line for line in logs)
    assert any("converting" in line for line in logs)
    assert download.calls == [OFFICIAL_PRESETS[NAME]["url"]]
    assert type(gan).__name__ == "StyleGAN2" and gan.preset_name == NAME

    # Second load: no download, no conversion, the same model.
    logs2 = []
    again = fetch.load_official(
        NAME, download=FakeDownload(error=AssertionError("downloaded twice")), log=logs2.append
    )
    assert logs2 == []
    z = _z(gan)
    np.testing.assert_array_equal(
        np.asarray(again.generate(z, truncation_psi=1.0)),
        np.asarray(gan.generate(z, truncation_psi=1.0)),
    )
    # The converted model reproduces NVIDIA's reference (mapped ws at psi 1).
    ref = np.load(nvlabs_file("sg2ada_A_ref.npz"))
    z_ref = np.random.RandomState(123).randn(8, 64).astype("float32")
    np.testing.assert_allclose(np.asarray(again.mapping(z_ref)), ref["ws_psi1"][:, 0], atol=1e-3)


def test_changed_file_is_refused_against_its_pin(cache, nvlabs_file):
    logs = []
    path, sha, pinned = fetch.fetch_official(
        NAME, download=FakeDownload(nvlabs_file("sg2ada_A.pkl")), log=logs.append
    )
    assert pinned and any(sha in line for line in logs)
    shutil.copyfile(nvlabs_file("stylegan2_small.pkl"), path)
    with pytest.raises(fetch.PinMismatchError) as info:
        fetch.fetch_official(NAME, download=FakeDownload(error=AssertionError("no download")))
    message = str(info.value)
    assert "\n" not in message and str(path) in message and "pinned" in message and sha in message


def test_source_path_is_pinned_too(first_load, nvlabs_file):
    # The shared cache already holds this file's conversion: only the pin is new.
    _, _, _, cache = first_load
    logs = []
    gan = fetch.load_official("stylegan2_ffhq", source=str(nvlabs_file("sg2ada_A.pkl")),
                              log=logs.append)
    assert type(gan).__name__ == "StyleGAN2" and gan.preset_name == "stylegan2_ffhq"
    assert not any("converting" in line for line in logs)
    assert "stylegan2_ffhq" in json.loads((cache / fetch.PINS_FILE).read_text())
    with pytest.raises(fetch.PinMismatchError):
        zoo.load("stylegan2_ffhq", source=str(nvlabs_file("stylegan2_small.pkl")))
    with pytest.raises(fetch.OfficialWeightsUnavailableError, match="is no file"):
        zoo.load("stylegan2_ffhq", source=str(cache / "missing.pkl"))


def test_truncated_download_is_never_pinned(cache, nvlabs_file, tmp_path):
    truncated = tmp_path / "half.pkl"
    data = nvlabs_file("sg2ada_A.pkl").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(nvlabs.NVLabsFormatError, match="ends early"):
        fetch.load_official(NAME, download=FakeDownload(truncated))
    assert not (cache / fetch.PINS_FILE).exists()


def test_load_a_pickle_path(first_load, nvlabs_file, tmp_path):
    gan = zoo.load(str(nvlabs_file("sg2ada_A.pkl")))  # converted by first_load: a cached load
    assert type(gan).__name__ == "StyleGAN2"
    with pytest.raises(FileNotFoundError, match="No NVIDIA snapshot at"):
        zoo.load(str(tmp_path / "nothing.pkl"))
    with pytest.raises(ValueError, match="source= is only for official"):
        zoo.load("dcgan_fashion_mnist", source="x.pkl")


def test_convert_to_preset_writes_a_keras_native_folder(nvlabs_file, tmp_path):
    out = nvlabs.convert_to_preset(nvlabs_file("stylegan1_small.pkl"), tmp_path / "converted")
    assert sorted(os.listdir(out)) == ["README.md", "model.keras", "nvlabs.json"]
    info = json.loads((tmp_path / "converted" / "nvlabs.json").read_text())
    assert (info["format"], info["sampled_network"], info["family"]) == ("tf", "Gs", "StyleGAN")
    assert info["networks"]["Gs"]["class_name"] == "G_style"
    assert "non-commercial" in info["licence"]
    loaded = keras.saving.load_model(tmp_path / "converted" / "model.keras")
    ref = np.load(nvlabs_file("stylegan1_small_ref.npz"))
    z = np.random.RandomState(123).randn(8, 64).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded.mapping(z)), ref["dlatents_psi1"][:, 0], atol=1e-3)


def test_unsupported_network_family_is_refused(nvlabs_file):
    snap = nvlabs.read_snapshot(nvlabs_file("sg2ada_A.pkl"))
    snap["G_ema"].modules["synthesis"].modules.pop("b4")  # what a StyleGAN3 synthesis looks like
    with pytest.raises(
        nvlabs.UnsupportedNetworkError, match="supported: pytorch Generator, tf G_main"
    ):
        nvlabs.convert(snap)
    with pytest.raises(ValueError, match="which='D' is not one of"):
        nvlabs.convert(snap, which="D")


def test_damaged_cached_conversion_is_rebuilt(first_load):
    _, _, _, cache = first_load
    index = json.loads((cache / "converted" / "index.json").read_text())
    (folder,) = [entry["folder"] for entry in index.values()]
    with open(os.path.join(folder, "model.keras"), "wb") as f:
        f.write(b"not a zip")
    logs = []
    gan = fetch.load_official(
        NAME, download=FakeDownload(error=AssertionError("no download")), log=logs.append
    )
    assert type(gan).__name__ == "StyleGAN2"
    assert any("unreadable" in line for line in logs) and any("converting" in line for line in logs)
