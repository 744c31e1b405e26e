"""Hostile and broken pickles: each refused with one line, and nothing in them runs."""

import io

import pytest

from keras_gans.zoo.nvlabs import synthetic
from keras_gans.zoo.nvlabs.reader import NVLabsFormatError, UnsafePickleError, read_snapshot

# case -> (exception, text the one-line message must contain)
EXPECTED = {
    "GLOBAL os system": (UnsafePickleError, "refusing global os.system"),
    "posix.system via __reduce__": (UnsafePickleError, "refusing global posix.system"),
    "builtins.eval": (UnsafePickleError, "refusing global builtins.eval"),
    "builtins.exec": (UnsafePickleError, "refusing global builtins.exec"),
    "builtins.getattr": (UnsafePickleError, "refusing global builtins.getattr"),
    "subprocess.Popen": (UnsafePickleError, "refusing global subprocess.Popen"),
    "__reduce__ chain": (UnsafePickleError, "refusing global posix.system"),
    "payload in a network's kwargs": (UnsafePickleError, "refusing global builtins.exec"),
    "object-dtype array": (UnsafePickleError, "refusing numpy dtype 'O8'"),
    "storage blob with a disallowed global": (
        UnsafePickleError,
        "os.system inside a torch storage blob",
    ),
    "storage claims more data than it holds": (
        NVLabsFormatError,
        "but only 16 bytes of data follow",
    ),
    "tensor larger than its storage": (
        NVLabsFormatError,
        "claims 4096 elements but its FloatStorage holds 4",
    ),
    "tensor strides past its storage": (
        NVLabsFormatError,
        "needs 12 elements but its FloatStorage holds 4",
    ),
    "sub-module shared 40 levels deep (exponential walk)": (
        NVLabsFormatError,
        "the same sub-network appears twice in one network",
    ),
    "kwargs list shared 60 levels deep (exponential walk)": (
        NVLabsFormatError,
        "more than 100000 values in a network's kwargs",
    ),
    "broadcast tensor (stride 0, 10^12 elements)": (
        NVLabsFormatError,
        "claims 1000000000000 elements but its FloatStorage holds 1",
    ),
    "not a network (a list)": (NVLabsFormatError, "holds a list, not a StyleGAN snapshot"),
    "not a network (a dict)": (
        NVLabsFormatError,
        "holds a dict with keys ['weights'], not a StyleGAN",
    ),
    "truncated file": (NVLabsFormatError, "the pickle ends early"),
}


@pytest.fixture(scope="module")
def cases(tmp_path_factory, nvlabs_file):
    sentinel = tmp_path_factory.mktemp("hostile") / "SENTINEL"
    return sentinel, synthetic.hostile_pickles(sentinel, nvlabs_file("sg2ada_A.pkl").read_bytes())


def test_every_case_has_an_expectation(cases):
    assert set(cases[1]) == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_refused_with_one_line(cases, case, tmp_path):
    sentinel, files = cases
    error, text = EXPECTED[case]
    path = tmp_path / "snapshot.pkl"
    path.write_bytes(files[case])
    with pytest.raises(error) as info:
        read_snapshot(path)
    message = str(info.value)
    assert "\n" not in message
    assert text in message and str(path) in message
    assert not sentinel.exists()


def test_unsafe_is_a_format_error(cases):
    # Callers that catch NVLabsFormatError catch the hostile files too.
    assert issubclass(UnsafePickleError, NVLabsFormatError)


def test_the_payloads_are_live(cases):
    """The hostile files really would run: a plain pickle.loads of one creates the sentinel."""
    import pickle

    sentinel, files = cases
    pickle.loads(files["builtins.exec"])
    assert sentinel.exists()
    sentinel.unlink()


def test_build_cannot_patch_the_reader(tmp_path):
    # BUILD aimed at an allowed global (to change its defaults or class attributes) is refused.
    for target in (
        synthetic.Global("torch._utils", "_rebuild_parameter"),
        synthetic.Global("numpy", "ndarray"),
        synthetic.Global("torch_utils.persistence", "_reconstruct_persistent_obj"),
    ):
        data = synthetic.dumps(synthetic.Build(target, (None, {"_KINDS": "biufcO"})), 4)
        with pytest.raises(NVLabsFormatError) as info:
            read_snapshot(io.BytesIO(data))
        assert "\n" not in str(info.value)
    from keras_gans.zoo.nvlabs import reader

    assert reader._PickledDtype._KINDS == "biufc"


@pytest.mark.parametrize("claimed", [5 << 30, 1 << 40, 1 << 62])
def test_forged_object_length_is_refused_before_reading(tmp_path, claimed):
    import struct

    path = tmp_path / "forged.pkl"
    path.write_bytes(
        b"\x80\x04\x8e" + struct.pack("<Q", claimed) + b"abc"
    )  # BINBYTES8 of `claimed` bytes
    with pytest.raises(NVLabsFormatError) as info:
        read_snapshot(path)
    message = str(info.value)
    assert "\n" not in message
    assert ("only 3 remain" in message) or ("larger than this machine's memory" in message)


def test_a_web_page_instead_of_the_pickle(tmp_path):
    path = tmp_path / "karras2019stylegan-ffhq-1024x1024.pkl"
    path.write_bytes(b"<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title>")
    with pytest.raises(NVLabsFormatError, match="is an HTML page, not a pickle.*download the file"):
        read_snapshot(path)
