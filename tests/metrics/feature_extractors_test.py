"""Inception preprocessing and the GraphDef / keras.applications code paths,
with a tiny fake graph and random weights: nothing is downloaded."""

import numpy as np
import pytest
import tensorflow as tf

from keras_gans.metrics import feature_extractors as fe


def legacy_bilinear(image, size):
    """TF1 bilinear resize (align_corners=False, no half-pixel centres) in numpy:
    output pixel i samples the input at i * in / out."""
    h, w = image.shape[:2]

    def axis(n_in):
        src = np.arange(size) * (n_in / size)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, src - lo

    y0, y1, fy = axis(h)
    x0, x1, fx = axis(w)
    top = image[y0][:, x0] * (1 - fx)[None, :, None] + image[y0][:, x1] * fx[None, :, None]
    bottom = image[y1][:, x0] * (1 - fx)[None, :, None] + image[y1][:, x1] * fx[None, :, None]
    return top * (1 - fy)[:, None, None] + bottom * fy[:, None, None]


def test_inception_preprocess_matches_the_ttur_pipeline(rng):
    images = rng.uniform(-1, 1, size=(2, 28, 28, 1)).astype(np.float32)
    out = fe.inception_preprocess(images).numpy()
    assert out.shape == (2, 299, 299, 3)
    # 8-bit values, legacy bilinear resize, gray tiled to RGB, (x - 128) / 128.
    pixels = np.clip(np.round((images.astype(np.float64) + 1) * 127.5), 0, 255)
    for i in range(2):
        expected = (legacy_bilinear(pixels[i], 299) - 128.0) / 128.0
        np.testing.assert_allclose(out[i], np.repeat(expected, 3, axis=-1), atol=1e-5)
    assert out.min() >= -1.0 and out.max() <= 127.0 / 128.0


def test_inception_preprocess_rejects_bad_channels():
    with pytest.raises(ValueError, match="1 or 3"):
        fe.inception_preprocess(np.zeros((1, 28, 28, 2), np.float32))


def write_fake_inception_graph(path, seed=0):
    """A stand-in for classify_image_graph_def.pb with the same tensor names:
    ExpandDims (batch 1) -> ResizeBilinear -> Sub -> Mul -> conv -> pool_3,
    plus the batch-1 pool_3/_reshape the real graph has."""
    rng = np.random.default_rng(seed)
    kernel = rng.normal(size=(3, 3, 3, 8)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [1, None, None, 3], name="ExpandDims")
        x = tf.compat.v1.image.resize_bilinear(x, [299, 299], name="ResizeBilinear")
        x = tf.multiply(tf.subtract(x, 128.0, name="Sub"), 1.0 / 128.0, name="Mul")
        x = tf.nn.relu(tf.nn.conv2d(x, tf.constant(kernel), 2, "VALID"), name="mixed")
        pool = tf.nn.avg_pool2d(x, ksize=149, strides=1, padding="VALID", name="pool_3")
        tf.reshape(pool, [1, 8], name="pool_3/_reshape")
    with open(path, "wb") as f:
        f.write(graph.as_graph_def().SerializeToString())
    return kernel


def test_graphdef_path_feeds_the_preprocessed_batch_at_mul(tmp_path, rng, capsys):
    path = str(tmp_path / "fake_graph.pb")
    kernel = write_fake_inception_graph(path)
    extractor = fe.inception_graph_extractor(path, expected_sha256=None)
    assert fe.file_sha256(path) in capsys.readouterr().out  # printed for comparison
    images = rng.uniform(-1, 1, size=(3, 28, 28, 1)).astype(np.float32)
    features = extractor(images)
    # Same network applied eagerly to the same preprocessed batch.
    pre = fe.inception_preprocess(images)
    conv = tf.nn.relu(tf.nn.conv2d(pre, kernel, 2, "VALID"))
    expected = tf.reduce_mean(conv, axis=[1, 2]).numpy()
    assert features.shape == (3, 8)
    np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-5)
    record = extractor.record()
    assert not record["comparable_with_literature"]
    assert "unverified" in record["feature_weights"]


def test_graphdef_with_another_hash_is_refused(tmp_path):
    path = str(tmp_path / "fake_graph.pb")
    write_fake_inception_graph(path)
    with pytest.raises(ValueError, match="expected_sha256=None"):
        fe.load_inception_graph(path, verbose=False)


def test_graphdef_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="inception-2015-12-05.tgz"):
        fe.load_inception_graph(str(tmp_path / "missing.pb"))
    path = str(tmp_path / "fake_graph.pb")
    write_fake_inception_graph(path)
    with pytest.raises(ValueError, match="no tensor 'softmax:0'"):
        fe.load_inception_graph(path, output_name="softmax:0", expected_sha256=None,
                                verbose=False)
    junk = tmp_path / "junk.pb"
    junk.write_bytes(b"\xff\x00 not a protobuf")
    with pytest.raises(ValueError):
        fe.load_inception_graph(str(junk), expected_sha256=None, verbose=False)


def test_known_hash_is_a_sha256():
    assert len(fe.INCEPTION_2015_GRAPH_SHA256) == 64
    int(fe.INCEPTION_2015_GRAPH_SHA256, 16)


def test_keras_inception_path_with_random_weights_is_labelled_non_comparable(rng):
    # Eager (traced=False): tracing InceptionV3 would dominate a one-image test.
    extractor = fe.keras_inception_extractor(weights=None, traced=False)
    features = extractor(rng.uniform(-1, 1, size=(1, 28, 28, 1)).astype(np.float32))
    assert features.shape == (1, 2048) and np.isfinite(features).all()
    record = extractor.record()
    assert not record["comparable_with_literature"]
    assert "NOT comparable to the literature" in record["feature_weights"]


def test_keras_inception_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="never downloads"):
        fe.keras_inception_extractor(weights="imagenet")


def test_unknown_feature_network_raises():
    with pytest.raises(ValueError, match="Unknown feature_network 'vgg'"):
        fe.get_feature_extractor("vgg")
