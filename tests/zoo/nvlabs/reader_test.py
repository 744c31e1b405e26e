"""The NVIDIA pickle reader on the reference fixtures and on synthetic pickles."""

import json

import numpy as np
import pytest

from keras_gans.zoo.nvlabs.reader import NetworkRecord, read_snapshot


@pytest.fixture(scope="module")
def sg2ada(nvlabs_file):
    return read_snapshot(nvlabs_file("sg2ada_A.pkl"))


@pytest.fixture(scope="module", params=["stylegan1_small", "stylegan2_small"])
def tf_snapshot(request, nvlabs_file):
    name = request.param
    vars_json = json.loads(nvlabs_file(f"{name}_vars.json").read_text())
    return read_snapshot(nvlabs_file(f"{name}.pkl")), vars_json


def test_pytorch_snapshot_layout(sg2ada):
    assert sg2ada["format"] == "pytorch"
    assert sg2ada["augment_pipe"] is None
    assert sg2ada["training_set_kwargs"]["resolution"] == 32
    for key in ("G", "D", "G_ema"):
        assert isinstance(sg2ada[key], NetworkRecord)
        assert sg2ada[key].name == key
        assert sg2ada[key].version is None and sg2ada[key].components == {}
    assert sg2ada["G_ema"].class_name == "Generator"
    assert sg2ada["D"].class_name == "Discriminator"


def test_pytorch_kwargs_are_the_files(sg2ada):
    g = sg2ada["G_ema"].kwargs
    assert (g["z_dim"], g["w_dim"], g["c_dim"], g["img_resolution"], g["img_channels"]) == (
        64,
        64,
        0,
        32,
        1,
    )
    assert g["mapping_kwargs"] == {"num_layers": 2}
    assert type(g["mapping_kwargs"]) is dict  # EasyDict -> plain dict
    assert g["synthesis_kwargs"] == {
        "channel_base": 1024,
        "channel_max": 64,
        "num_fp16_res": 4,
        "conv_clamp": 256,
    }
    assert sg2ada["D"].kwargs["epilogue_kwargs"] == {"mbstd_group_size": 4}


def test_pytorch_state_dict_names_and_shapes(sg2ada, nvlabs_file):
    expected = json.loads(nvlabs_file("sg2ada_A_keys.json").read_text())
    tensors = sg2ada["G_ema"].tensors
    assert list(tensors) == list(expected)  # state_dict order
    assert {k: list(v.shape) for k, v in tensors.items()} == expected
    assert all(v.dtype == np.float32 for v in tensors.values())


def test_pytorch_tensors_match_reference_outputs(sg2ada, nvlabs_file):
    ref = np.load(nvlabs_file("sg2ada_A_ref.npz"))
    np.testing.assert_array_equal(sg2ada["G_ema"].tensors["mapping.w_avg"], ref["w_avg"])
    # G was perturbed after the copy to G_ema: they differ, so they were not read from one storage.
    assert not np.array_equal(
        sg2ada["G"].tensors["mapping.fc0.weight"], sg2ada["G_ema"].tensors["mapping.fc0.weight"]
    )


def test_pytorch_sub_module_records(sg2ada):
    g = sg2ada["G_ema"]
    assert set(g.modules) == {"synthesis", "mapping"}
    b4 = g.modules["synthesis"].modules["b4"]
    assert b4.class_name == "SynthesisBlock"
    assert b4.tensors["const"] is g.tensors["synthesis.b4.const"]
    assert g.attributes["num_ws"] == 8
    assert len(g.source_sha256) == 64 and "class Generator" in g.source


def test_tf_networks_match_vars_json(tf_snapshot):
    snap, vars_json = tf_snapshot
    assert snap["format"] == "tf"

    def check(record, key):
        expected = vars_json[key]
        assert record.name == expected["name"]
        assert record.version == expected["version"]
        assert record.class_name == expected["build_func_name"]
        assert record.kwargs == expected["static_kwargs"]
        assert list(record.kwargs) == list(expected["static_kwargs"])
        assert record.source_sha256 == expected["build_module_src_sha256"]
        assert len(record.source) == expected["build_module_src_len"]
        assert [[n, list(a.shape)] for n, a in record.tensors.items()] == [
            [n, shape] for n, shape, _ in expected["variables"]
        ]
        assert {k: c.name for k, c in record.components.items()} == expected["components"]
        for name, component in record.components.items():
            check(component, f"{key}.components.{name}")

    for key in ("G", "D", "Gs"):
        check(snap[key], key)


def test_tf_dlatent_avg_matches_reference(tf_snapshot, nvlabs_file):
    snap, vars_json = tf_snapshot
    version = snap["Gs"].version
    ref = np.load(nvlabs_file(f"stylegan{1 if version == 3 else 2}_small_ref.npz"))
    avg = snap["Gs"].tensors["dlatent_avg"]
    # Truncation lerps towards dlatent_avg: psi 0 would give it exactly; check the psi-0.7 case.
    case = "dlatents_psi07_cut4"
    psi1, truncated = ref["dlatents_psi1"], ref[case]
    np.testing.assert_allclose(truncated[:, :4], avg + (psi1[:, :4] - avg) * 0.7, atol=1e-5)


# ---------------------------------------------------------------------------
# Synthetic variants of the released files (written opcode by opcode).

import collections  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import pickle  # noqa: E402
import pickletools  # noqa: E402

from keras_gans.zoo.nvlabs import synthetic  # noqa: E402
from keras_gans.zoo.nvlabs.reader import NVLabsFormatError  # noqa: E402


def _opcodes(data):
    return collections.Counter(op.name for op, _, _ in pickletools.genops(data))


def _globals(data):
    """Every GLOBAL target of a pickle (protocols 2-3)."""
    return {arg.replace(" ", ".") for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL"}


def _assert_same_records(a, b, dtype=None):
    assert (a.name, a.class_name, a.kwargs, a.version, a.source_sha256) == (
        b.name,
        b.class_name,
        b.kwargs,
        b.version,
        b.source_sha256,
    )
    assert list(a.tensors) == list(b.tensors)
    assert a.buffer_names == b.buffer_names
    for key, value in a.tensors.items():
        expected = value if dtype is None or value.dtype.kind != "f" else value.astype(dtype)
        assert b.tensors[key].dtype == expected.dtype, key
        np.testing.assert_array_equal(b.tensors[key], expected, err_msg=key)
    assert a.components.keys() == b.components.keys()
    for key in a.components:
        _assert_same_records(a.components[key], b.components[key], dtype)


@pytest.mark.parametrize("protocol", [2, 3, 4])
def test_pytorch_snapshot_in_every_protocol(sg2ada, protocol):
    data = synthetic.snapshot_to_pickle(sg2ada, protocol=protocol)
    ops = _opcodes(data)
    if protocol < 4:  # Python 3.7's files: GLOBAL opcodes and builtins.set for the buffer sets
        assert ops["STACK_GLOBAL"] == 0 and ops["GLOBAL"] > 0
        assert "builtins.set" in _globals(data)
    else:
        assert ops["GLOBAL"] == 0 and ops["STACK_GLOBAL"] > 0
    if protocol == 2:  # bytes are written as _codecs.encode(text, 'latin1')
        assert "_codecs.encode" in _globals(data)
    snap = read_snapshot(io.BytesIO(data))
    for key in ("G", "D", "G_ema"):
        _assert_same_records(sg2ada[key], snap[key])


@pytest.mark.parametrize(
    "protocol,numpy_core", [(2, "numpy.core"), (3, "numpy._core"), (4, "numpy._core")]
)
def test_tf_snapshot_protocols_and_numpy_names(tf_snapshot, protocol, numpy_core):
    original, _ = tf_snapshot
    data = synthetic.snapshot_to_pickle(original, protocol=protocol, numpy_core=numpy_core)
    assert (
        f"{numpy_core}.multiarray _reconstruct".encode() in data
        or f"{numpy_core}.multiarray".encode() in data
    )
    snap = read_snapshot(io.BytesIO(data))
    for key in ("G", "D", "Gs"):
        _assert_same_records(original[key], snap[key])


@pytest.mark.parametrize("protocol", [2, 3])
def test_arrays_pickled_by_the_installed_numpy(protocol):
    # numpy 2 writes numpy._core names (and _codecs.encode at protocol 2); numpy 1 wrote numpy.core.
    half = np.arange(12, dtype=np.float16).reshape(3, 4) / 8
    scalar = np.float32(0.25)
    variables = [
        ("half", synthetic.Raw.of(pickle.dumps(half, protocol=protocol))),
        ("lod", synthetic.Raw.of(pickle.dumps(scalar, protocol=protocol))),
        (
            "big_endian",
            synthetic.Raw.of(pickle.dumps(np.arange(3, dtype=">f4"), protocol=protocol)),
        ),
    ]
    nets = tuple(
        synthetic.tf_network(n, f, {"resolution": 4}, variables)
        for n, f in (("G", "G_main"), ("D", "D_basic"), ("Gs", "G_main"))
    )
    rec = read_snapshot(io.BytesIO(synthetic.dumps(nets, protocol)))["Gs"]
    assert rec.tensors["half"].dtype == np.float16
    np.testing.assert_array_equal(rec.tensors["half"], half)
    assert rec.tensors["lod"].shape == () and rec.tensors["lod"] == 0.25
    assert rec.tensors["big_endian"].dtype == np.dtype("=f4")
    np.testing.assert_array_equal(rec.tensors["big_endian"], [0, 1, 2])


def test_float16_storages(sg2ada):
    snap = read_snapshot(
        io.BytesIO(synthetic.snapshot_to_pickle(sg2ada, protocol=3, dtype=np.float16))
    )
    assert b"HalfStorage" in synthetic.legacy_storage_blob(np.zeros(2, np.float16))
    _assert_same_records(sg2ada["G_ema"], snap["G_ema"], dtype=np.float16)


def _one_tensor_snapshot(tensor_node):
    module = synthetic.persistent_module(
        "Generator", {"z_dim": 4}, parameters={"weight": tensor_node}
    )
    return {
        "G": module,
        "D": synthetic.persistent_module("Discriminator"),
        "G_ema": module,
        "augment_pipe": None,
        "training_set_kwargs": None,
    }


def test_channels_last_stride_and_storage_offset():
    weight = np.random.default_rng(0).normal(size=(5, 3, 2, 4)).astype(np.float32)
    node = synthetic.torch_tensor(weight, channels_last=True, storage_offset=7)
    # The storage holds NHWC memory after 7 padding elements: reading it in C order would be wrong.
    rebuild_args = node.args[0].args
    blob = rebuild_args[0].args[0]
    stored = np.frombuffer(blob[-weight.size * 4 :], np.float32)
    assert rebuild_args[1:4] == (7, (5, 3, 2, 4), (24, 1, 12, 3))
    assert not np.array_equal(stored, weight.reshape(-1))
    rec = read_snapshot(io.BytesIO(synthetic.dumps(_one_tensor_snapshot(node), 3)))["G"]
    out = rec.tensors["weight"]
    assert out.flags.c_contiguous and out.shape == weight.shape
    np.testing.assert_array_equal(out, weight)


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint8, np.bool_, np.int32])
def test_other_storage_dtypes(dtype):
    values = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
    rec = read_snapshot(
        io.BytesIO(synthetic.dumps(_one_tensor_snapshot(synthetic.torch_tensor(values)), 4))
    )
    assert rec["G"].tensors["weight"].dtype == dtype
    np.testing.assert_array_equal(rec["G"].tensors["weight"], values)


def test_augment_pipe_record(sg2ada):
    pipe = synthetic.persistent_module(
        "AugmentPipe",
        {"xflip": 1, "rotate90": 1, "xint": 1, "scale": 1, "rotate": 1, "aniso": 1},
        buffers={
            "p": synthetic.torch_tensor(np.float32(0.25).reshape(()), parameter=False),
            "Hz_geom": synthetic.torch_tensor(np.ones(12, np.float32), parameter=False),
        },
    )
    snap = read_snapshot(io.BytesIO(synthetic.snapshot_to_pickle(sg2ada, augment_pipe=pipe)))
    rec = snap["augment_pipe"]
    assert (rec.name, rec.class_name) == ("augment_pipe", "AugmentPipe")
    assert rec.kwargs["rotate90"] == 1 and rec.buffer_names == ("p", "Hz_geom")
    assert rec.tensors["p"].shape == () and rec.tensors["p"] == 0.25


def test_source_with_byte_order_mark(sg2ada):
    snap = read_snapshot(io.BytesIO(synthetic.snapshot_to_pickle(sg2ada, bom=True)))
    source = snap["G_ema"].source
    assert not source.startswith("\ufeff")
    assert snap["G_ema"].source_sha256 == hashlib.sha256(source.encode("utf-8")).hexdigest()
    assert snap["G_ema"].source_sha256 == sg2ada["G_ema"].source_sha256


def test_static_kwargs_in_any_order(tf_snapshot):
    original, _ = tf_snapshot
    data = synthetic.snapshot_to_pickle(original, kwarg_order=lambda items: items[::-1])
    snap = read_snapshot(io.BytesIO(data))
    assert snap["Gs"].kwargs == original["Gs"].kwargs
    assert list(snap["Gs"].kwargs) == list(original["Gs"].kwargs)[::-1]


@pytest.mark.parametrize("version,ok", [(3, True), (4, True), (5, True), (6, False), (1, False)])
def test_tf_state_versions(tf_snapshot, version, ok):
    original, _ = tf_snapshot
    data = synthetic.snapshot_to_pickle(original, tf_version=version)
    if ok:
        assert read_snapshot(io.BytesIO(data))["Gs"].version == version
    else:
        with pytest.raises(NVLabsFormatError, match=f"state version {version} is not one of"):
            read_snapshot(io.BytesIO(data))


def test_reads_from_a_path_and_refuses_a_missing_one(nvlabs_file, tmp_path):
    assert read_snapshot(str(nvlabs_file("stylegan2_small.pkl")))["Gs"].name == "Gs"
    with pytest.raises(FileNotFoundError, match="No NVIDIA snapshot at"):
        read_snapshot(tmp_path / "missing.pkl")
