"""The demo's API over real SavedModels (no browser): what it serves and refuses."""

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_gans.demo import check_loopback
from keras_gans.demo.app import create_app
from keras_gans.demo.models import load_models, seeded_latents


@pytest.fixture(scope="module")
def client(demo_paths):
    from fastapi.testclient import TestClient

    models = load_models(demo_paths)
    return TestClient(create_app(models)), models


def test_models_describe_their_signatures(client):
    c, _ = client
    described = {m["name"]: m for m in c.get("/api/models").json()}
    assert set(described) == {"dcgan_fashion_mnist", "stylegan2_fashion_mnist", "inverter"}
    dcgan, sg2, inv = (described[k] for k in ("dcgan_fashion_mnist", "stylegan2_fashion_mnist",
                                              "inverter"))
    assert dcgan["kind"] == "generator" and dcgan["latent_dim"] == 100
    assert not dcgan["truncation"] and not dcgan["style_mixing"]
    assert sg2["truncation"] and sg2["style_mixing"] and sg2["latent_walk_w"]
    assert inv["kind"] == "translation" and inv["image_shape"] == [28, 28, 1]
    assert sg2["signatures"]["style_mixing"]["inputs"]["crossover"]["dtype"] == "int32"


def test_sample_is_the_savedmodel_on_the_seeded_latents(client, decode):
    c, models = client
    r = c.post("/api/sample", json={"model": "dcgan_fashion_mnist", "seed": 5, "batch": 1})
    assert r.status_code == 200
    image = decode(r.json()["image"])
    sig = models["dcgan_fashion_mnist"].signatures["serving_default"]
    expected = sig(z=tf.constant(np.random.default_rng(5).standard_normal((1, 100)),
                                 tf.float32))["images"].numpy()[0, ..., 0]
    np.testing.assert_array_equal(image, expected)
    # The latents of keras_gans models' `latents(n, seed)`, so seed s in the demo
    # is `model.sample(n, seed=s)`.
    np.testing.assert_array_equal(
        seeded_latents(5, 1, 100),
        np.random.default_rng(5).standard_normal((1, 100)).astype(np.float32))


@pytest.mark.parametrize("body, message", [
    ({"truncation_psi": 1.5}, r"truncation psi must be in \[0, 1\].*got 1.5"),
    ({"truncation_psi": "nan"}, r"truncation psi must be in \[0, 1\]"),
    ({"batch": 0}, r"batch must be in \[1, 64\]; got 0"),
    ({"batch": 2.5}, r"batch must be an integer; got 2.5"),
    ({"seed": -1}, r"seed must be in \[0, "),
])
def test_bad_sampling_inputs_are_refused_with_a_message(client, body, message):
    c, _ = client
    r = c.post("/api/sample", json={"model": "stylegan2_fashion_mnist", **body})
    assert r.status_code == 400
    assert __import__("re").search(message, r.json()["detail"]), r.json()


def test_mixing_grid_and_walks(client, decode):
    c, _ = client
    r = c.post("/api/mix", json={"model": "stylegan2_fashion_mnist", "row_seeds": "1 2",
                                 "col_seeds": "3 4 5", "crossover": 4})
    assert r.status_code == 200 and r.json()["count"] == 3 * 4
    assert decode(r.json()["image"]).shape == (3 * 32 + 4 * 2, 4 * 32 + 5 * 2)
    for space in ("z", "w"):
        r = c.post("/api/walk", json={"model": "stylegan2_fashion_mnist", "steps": 5,
                                      "space": space})
        assert r.status_code == 200 and r.json()["count"] == 5
    r = c.post("/api/walk", json={"model": "dcgan_fashion_mnist", "space": "w"})
    assert r.status_code == 400 and "no mapping/synthesis" in r.json()["detail"]
    r = c.post("/api/mix", json={"model": "dcgan_fashion_mnist"})
    assert r.status_code == 400 and "no style_mixing" in r.json()["detail"]


def test_translate_upload_and_wrong_file(client, decode):
    c, _ = client
    rng = np.random.default_rng(0)
    source = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    png = io.BytesIO()
    Image.fromarray(source).save(png, format="PNG")
    r = c.post("/api/translate", data={"model": "inverter"},
               files={"file": ("x.png", png.getvalue(), "image/png")})
    assert r.status_code == 200
    np.testing.assert_array_equal(decode(r.json()["image"]), 255 - source)
    r = c.post("/api/translate", data={"model": "inverter"},
               files={"file": ("notes.txt", b"not an image", "text/plain")})
    assert r.status_code == 400 and "not an image" in r.json()["detail"]
    r = c.post("/api/sample", json={"model": "inverter"})
    assert r.status_code == 400 and "translates images" in r.json()["detail"]


def test_unknown_model_and_remote_host_refused(client):
    c, _ = client
    r = c.post("/api/sample", json={"model": "nope"})
    assert r.status_code == 404 and "served: dcgan_fashion_mnist" in r.json()["detail"]
    assert check_loopback("127.0.0.1") == "127.0.0.1" and check_loopback("::1") == "::1"
    for host in ("0.0.0.0", "192.168.1.2", "example.com"):
        with pytest.raises(ValueError, match=f"loopback addresses only.*{host}"):
            check_loopback(host)
