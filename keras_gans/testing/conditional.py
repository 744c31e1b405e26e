"""Checks every class-conditional family's tests run (labels in Python and in the export).

Example:

>>> check_label_validation(CGAN(data_shape=(8, 8, 1), latent_dim=4, width=4,
...                             num_classes=3))  # doctest: +SKIP
"""

import os
import re

import numpy as np
import pytest
import tensorflow as tf


def check_label_validation(model):
    """`sample`/`generate` reject bad labels with ValueErrors that say what is valid."""
    k = model.num_classes
    valid = re.escape(f"[0, {k - 1}]")
    n = 3
    z = model.latents(n, seed=1)
    labels = np.arange(n) % k
    # Good labels, as ints, one-hot or a scalar, give the same images.
    images = model.generate(z, labels)
    np.testing.assert_allclose(model.generate(z, np.eye(k)[labels]), images)
    assert model.sample(n, seed=1, labels=labels).shape[0] == n
    np.testing.assert_allclose(model.generate(z, 0), model.generate(z, np.zeros(n, int)))
    with pytest.raises(ValueError, match=valid):  # out of range, both sides
        model.sample(n, labels=[0, 1, k])
    with pytest.raises(ValueError, match=valid):
        model.generate(z, [-1, 0, 0])
    with pytest.raises(ValueError, match=valid):  # missing
        model.sample(n)
    with pytest.raises(ValueError, match="integers"):  # wrong dtype
        model.sample(n, labels=[0.5, 1.0, 0.0])
    with pytest.raises(ValueError, match=re.escape(f"({n},)")):  # wrong shape
        model.sample(n, labels=[0, 1])
    return images


def check_export_rejects_out_of_range_labels(model, tmp_path):
    """The exported serving_default takes (z, labels int32 [None]) and asserts the range."""
    from keras_gans.export import export_savedmodel

    path = export_savedmodel(model, os.path.join(str(tmp_path), "sm", "cond"))
    loaded = tf.saved_model.load(path)
    serve = loaded.signatures["serving_default"]
    inputs = serve.structured_input_signature[1]
    assert inputs["labels"].dtype == tf.int32 and inputs["labels"].shape.as_list() == [None]
    assert inputs["z"].shape.as_list() == [None, model.latent_dim]
    k = model.num_classes
    z = tf.constant(model.latents(2, seed=4))
    good = tf.constant([0, k - 1], tf.int32)
    out = serve(z=z, labels=good)["images"].numpy()
    expected = np.clip(np.rint((model.generate(z.numpy(), good.numpy()) + 1) * 127.5), 0, 255)
    assert out.dtype == np.uint8 and np.abs(out.astype(int) - expected).max() <= 1
    for bad in ([0, k], [-1, 0]):
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(f"[0, {k - 1}]")):
            serve(z=z, labels=tf.constant(bad, tf.int32))
