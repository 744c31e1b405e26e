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
    assert (g["z_dim"], g["w_dim"], g["c_dim"], g["img_resolution"], g["img_channels"]) == (64, 64, 0, 32, 1)
    assert g["mapping_kwargs"] == {"num_layers": 2}
    assert type(g["mapping_kwargs"]) is dict  # EasyDict -> plain dict
    assert g["synthesis_kwargs"] == {"channel_base": 1024, "channel_max": 64, "num_fp16_res": 4,
                                     "conv_clamp": 256}
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
    # G was perturbed after the copy to G_ema: the two differ, so they were not read from one storage.
    assert not np.array_equal(sg2ada["G"].tensors["mapping.fc0.weight"],
                              sg2ada["G_ema"].tensors["mapping.fc0.weight"])


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
            [n, shape] for n, shape, _ in expected["variables"]]
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
