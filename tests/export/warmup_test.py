"""Warmup records: written by every export, replayed against the SavedModel itself.

Each record is parsed with the tensorflow-serving-api protos (as TF Serving
does at load time) and its tensors are fed to the signature it names; the
outputs must equal what the Keras model computes for the same inputs.
"""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from keras_gans.export import example_inputs, export_savedmodel, read_warmup_requests
from keras_gans.models import CGAN, DCGAN, StyleGAN2


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("sm")
    keras.utils.set_random_seed(0)
    models = {
        "dcgan": DCGAN(width=4, latent_dim=8, ema_decay=0.9),
        "cgan": CGAN(data_shape=(8, 8, 1), latent_dim=4, width=4, num_classes=3),
        "stylegan2": StyleGAN2(resolution=8, latent_dim=8, mapping_layers=2,
                               channel_base=64, channel_max=8),
    }
    paths = {k: export_savedmodel(m, os.path.join(root, k)) for k, m in models.items()}
    return models, paths


@pytest.mark.parametrize("name", ["dcgan", "cgan", "stylegan2"])
def test_one_warmup_request_per_endpoint_replays_on_the_savedmodel(exports, name):
    models, paths = exports
    model, path = models[name], paths[name]
    loaded = tf.saved_model.load(path)
    raw = list(tf.data.TFRecordDataset(
        os.path.join(path, "assets.extra", "tf_serving_warmup_requests")).as_numpy_iterator())
    logs = [prediction_log_pb2.PredictionLog.FromString(r) for r in raw]
    assert all(log.WhichOneof("log_type") == "predict_log" for log in logs)
    assert {log.predict_log.request.model_spec.name for log in logs} == {name}
    signatures = [log.predict_log.request.model_spec.signature_name for log in logs]
    assert sorted(signatures) == sorted(loaded.signatures)  # every endpoint, once
    for signature, inputs in read_warmup_requests(path):
        fn = loaded.signatures[signature]
        assert set(inputs) == set(fn.structured_input_signature[1]), signature
        outputs = fn(**{k: tf.constant(v) for k, v in inputs.items()})
        for key, value in outputs.items():
            assert value.shape[0] == 2, (signature, key)
            assert np.all(np.isfinite(np.asarray(value, np.float64))), (signature, key)
    # The default endpoint of the warmup equals the Keras model on the same z.
    inputs = dict(read_warmup_requests(path))["serving_default"]
    served = loaded.signatures["serving_default"](
        **{k: tf.constant(v) for k, v in inputs.items()})["images"].numpy()
    kwargs = {}
    if "labels" in inputs:
        kwargs["labels"] = inputs["labels"]
    if "truncation_psi" in inputs:
        kwargs["truncation_psi"] = float(inputs["truncation_psi"][0])
    expected = keras.ops.convert_to_numpy(model.generate(inputs["z"], **kwargs))
    expected = np.clip(np.round((expected + 1) * 127.5), 0, 255)
    assert served.dtype == np.uint8
    assert np.abs(served.astype(int) - expected.astype(int)).max() <= 1


def test_metadata_says_what_the_model_is(exports):
    _, paths = exports
    meta = json.load(open(os.path.join(paths["cgan"], "assets.extra", "keras_gans.json")))
    assert meta["class_name"] == "CGAN" and meta["num_classes"] == 3 and meta["latent_dim"] == 4
    meta = json.load(open(os.path.join(paths["stylegan2"], "assets.extra", "keras_gans.json")))
    assert meta["class_name"] == "StyleGAN2" and "num_classes" not in meta


def test_example_inputs_are_valid_values():
    specs = [tf.TensorSpec([None, 3], tf.float32, name="z"),
             tf.TensorSpec([None], tf.float32, name="truncation_psi"),
             tf.TensorSpec([None], tf.int32, name="labels"),
             tf.TensorSpec([None, None, None, 1], tf.uint8, name="images")]
    specs.append(tf.TensorSpec([None, 2, 2, 1], tf.float32, name="float_images"))
    values = example_inputs(specs, batch=3, size=4)
    assert -1 <= values["float_images"].min() and values["float_images"].max() <= 1
    assert values["z"].shape == (3, 3) and values["z"].dtype == np.float32
    np.testing.assert_array_equal(values["truncation_psi"], np.float32([0.7] * 3))
    np.testing.assert_array_equal(values["labels"], [0, 0, 0])
    assert values["images"].shape == (3, 4, 4, 1) and values["images"].dtype == np.uint8
    with pytest.raises(ValueError, match="string.*warmup_inputs="):
        example_inputs([tf.TensorSpec([None], tf.string, name="s")])
