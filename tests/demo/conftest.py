"""Demo fixtures: the shipped SavedModels plus a stand-in translation export."""

import os
import socket
import threading
import time

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.zoo.presets import repo_root

SHIPPED = ["dcgan_fashion_mnist", "stylegan2_fashion_mnist"]


def write_inverter(path, size=28):
    """A SavedModel with a translation model's serving signature:
    `serving_default(images uint8 [None, size, size, 1]) -> {"images": 255 - images}`.
    It stands in for a shipped translation preset (none is shipped yet), so
    the upload path is tested against an exact expected output."""

    class Inverter(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, size, size, 1], tf.uint8,
                                                    name="images")])
        def serve(self, images):
            return {"images": tf.constant(255, tf.uint8) - images}

    module = Inverter()
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    return path


@pytest.fixture(scope="module")
def demo_paths(tmp_path_factory):
    root = os.path.join(repo_root(), "savedmodels")
    inverter = write_inverter(str(tmp_path_factory.mktemp("translate") / "inverter" / "1"))
    return [os.path.join(root, name) for name in SHIPPED] + [inverter]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(demo_paths):
    from keras_gans.demo import make_server

    port = free_port()
    server = make_server(demo_paths, host="127.0.0.1", port=port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        assert thread.is_alive() and time.time() < deadline, "demo server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def decode_data_url(url):
    import base64
    import io

    from PIL import Image

    assert url.startswith("data:image/png;base64,"), url[:40]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


@pytest.fixture(scope="session")
def decode():
    """data:image/png URL -> numpy array."""
    return decode_data_url
