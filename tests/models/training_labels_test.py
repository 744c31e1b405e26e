"""Labels are checked on the training path too (dtype, shape, range; in the graph, on
every replica), with the message `generate` gives: out-of-range labels used to train
on zero one-hot vectors, float labels were truncated."""

import numpy as np
import keras
import pytest
import tensorflow as tf

from keras_gans.models import CGAN
from keras_gans.testing.distribute import two_device_strategy


def _tiny(strategy=None):
    keras.utils.set_random_seed(0)
    with (strategy or tf.distribute.get_strategy()).scope():
        model = CGAN(data_shape=(8, 8, 1), num_classes=3, latent_dim=4, width=4)
        model.compile()
    return model


@pytest.fixture(scope="module")
def model():
    return _tiny()


def _data(labels):
    images = np.zeros((len(labels), 8, 8, 1), np.float32)
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(len(labels))


@pytest.mark.parametrize("labels", [[0, 1, 2, 3], [0, -1, 2, 1]], ids=["too large", "negative"])
def test_out_of_range_labels_stop_fit_with_generates_message(model, labels):
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must lie in \[0, 2\]"):
        model.fit(_data(np.array(labels, np.int32)), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        model.generate(model.latents(4), labels=labels)


def test_float_labels_are_refused(model):
    with pytest.raises(ValueError, match="labels must be integers; got dtype float32"):
        model.fit(_data(np.array([0.0, 1.7, 2.0, 1.0], np.float32)), epochs=1, verbose=0)


def test_one_hot_labels_are_refused(model):
    with pytest.raises(ValueError, match=r"labels must have shape \(batch,\)"):
        model.fit(_data(np.eye(3, dtype=np.int32)[[0, 1, 2, 0]]), epochs=1, verbose=0)


def test_images_without_labels_are_refused(model):
    ds = tf.data.Dataset.from_tensor_slices(np.zeros((4, 8, 8, 1), np.float32)).batch(4)
    with pytest.raises(ValueError, match="CGAN is conditional"):
        model.fit(ds, epochs=1, verbose=0)


def test_good_labels_train_and_bad_ones_fail_on_two_replicas():
    mirrored = _tiny(two_device_strategy())
    history = mirrored.fit(_data(np.array([0, 1, 2, 0], np.int32)), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])
    # The bad label sits in the second replica's half of the batch.
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must lie in \[0, 2\]"):
        mirrored.fit(_data(np.array([0, 1, 2, 9], np.int32)), epochs=1, verbose=0)
