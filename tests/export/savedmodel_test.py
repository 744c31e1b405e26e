import os

import numpy as np
import keras
import pytest
import tensorflow as tf

from keras_gans.export import export_savedmodel, versions, write_models_config
from keras_gans.models import DCGAN


@pytest.fixture(scope="module")
def gan():
    keras.utils.set_random_seed(0)
    return DCGAN(width=4, latent_dim=8, ema_decay=0.9)


def test_versions_increment_and_config_lists_models(gan, tmp_path):
    base = os.path.join(tmp_path, "tiny")
    p1 = export_savedmodel(gan, base)
    p2 = export_savedmodel(gan, base)
    assert [os.path.basename(p1), os.path.basename(p2)] == ["1", "2"]
    assert versions(base) == [1, 2]
    # No temporary directory is left behind.
    assert sorted(os.listdir(base)) == ["1", "2"]
    config = open(os.path.join(tmp_path, "models.config")).read()
    assert 'name: "tiny"' in config and 'base_path: "/models/tiny"' in config
    with pytest.raises(FileExistsError, match="immutable"):
        export_savedmodel(gan, base, version=2)


def test_signatures_and_inference_mode(gan, tmp_path):
    path = export_savedmodel(gan, os.path.join(tmp_path, "m"))
    loaded = tf.saved_model.load(path)
    assert set(loaded.signatures) >= {"serving_default", "generate"}
    serve = loaded.signatures["serving_default"]
    spec = serve.structured_input_signature[1]["z"]
    assert spec.shape.as_list() == [None, 8] and spec.dtype == tf.float32
    z = gan.latents(4, seed=5)
    images = serve(z=tf.constant(z))["images"].numpy()
    assert images.dtype == np.uint8 and images.shape == (4, 28, 28, 1)
    # Same z, same images: the endpoint is a pure function (BN in inference mode,
    # no random ops), and it uses the EMA generator.
    np.testing.assert_array_equal(images, serve(z=tf.constant(z))["images"].numpy())
    np.testing.assert_array_equal(images, gan.sample(4, seed=5))


def test_failed_export_leaves_nothing(gan, tmp_path, monkeypatch):
    def boom(self, *args, **kwargs):
        raise RuntimeError("disk full")

    # ExportArchive() returns a backend subclass: patch the class actually used.
    monkeypatch.setattr(type(keras.export.ExportArchive()), "write_out", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        export_savedmodel(gan, os.path.join(tmp_path, "m"))
    assert os.listdir(os.path.join(tmp_path, "m")) == []


def test_models_config_is_a_valid_text_proto(gan, tmp_path):
    export_savedmodel(gan, os.path.join(tmp_path, "a"), write_config=False)
    export_savedmodel(gan, os.path.join(tmp_path, "b"), write_config=False)
    path = write_models_config(str(tmp_path), base_path_prefix=str(tmp_path))
    text = open(path).read()
    assert text.count("config {") == 2
    assert f'base_path: "{tmp_path}/a"' in text
    assert text.count("{") == text.count("}")


def test_export_size_is_one_copy_of_the_weights(gan, tmp_path):
    path = export_savedmodel(gan, os.path.join(tmp_path, "m"))
    weights = sum(w.nbytes for w in gan.generator_ema.get_weights())
    variables = sum(os.path.getsize(os.path.join(path, "variables", f))
                    for f in os.listdir(os.path.join(path, "variables")))
    assert variables < 1.5 * weights + 64 * 1024, (variables, weights)
