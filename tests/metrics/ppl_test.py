import numpy as np
import pytest

from keras_gans.metrics.ppl import (
    NOT_COMPARABLE,
    path_length_distances,
    perceptual_path_length,
    pixel_features,
)


class LinearStyleModel:
    """mapping = identity, synthesis = a fixed linear map: PPL is known exactly."""

    latent_dim = 4

    def __init__(self):
        self.matrix = np.random.default_rng(0).standard_normal((4, 2 * 2 * 1))

    def mapping(self, z):
        return np.asarray(z, np.float64)

    def synthesis(self, w, noise_mode="const"):
        assert noise_mode == "const"
        w = np.asarray(w, np.float64)
        return (w @ self.matrix).reshape(len(w), 2, 2, 1)


def test_linear_model_path_length_in_w_is_exact():
    model = LinearStyleModel()
    d = path_length_distances(model, num_samples=6, space="w", feature_fn=pixel_features,
                              batch_size=4, seed=3)
    # Recreate the draws: z0, z1 and t per batch, in the same order.
    rng = np.random.default_rng(3)
    expected = []
    for n in (4, 2):
        z0, z1 = (rng.standard_normal((n, 4)).astype(np.float32) for _ in (0, 1))
        rng.uniform(0.0, 1.0, (n, 1))
        # lerp is linear: d / eps^2 = |A (w1 - w0)|^2 / num_pixels.
        expected.append(np.sum(((z1 - z0).astype(np.float64) @ model.matrix) ** 2, axis=1) / 4)
    # The path points are float32 (as the networks' inputs): eps = 1e-4 steps
    # of O(1) values keep about 3 significant digits.
    np.testing.assert_allclose(d, np.concatenate(expected), rtol=1e-2)


def test_record_outliers_and_scaling():
    model = LinearStyleModel()
    result = perceptual_path_length(model, num_samples=50, feature_fn=pixel_features)
    assert result["feature"] == "pixels" and result["note"] == NOT_COMPARABLE
    assert result["space"] == "w" and result["epsilon"] == 1e-4 and result["ppl"] > 0
    # Twice the features: four times the (squared) distances.
    doubled = perceptual_path_length(model, num_samples=50,
                                     feature_fn=lambda x: 2 * pixel_features(x))
    assert doubled["ppl"] == pytest.approx(4 * result["ppl"], rel=1e-6)
    z_space = perceptual_path_length(model, num_samples=20, space="z", sampling="end",
                                     feature_fn=pixel_features)
    assert np.isfinite(z_space["ppl"])


def test_arguments_are_checked():
    model = LinearStyleModel()
    with pytest.raises(ValueError, match="space"):
        perceptual_path_length(model, space="x", feature_fn=pixel_features)
    with pytest.raises(ValueError, match="epsilon"):
        perceptual_path_length(model, epsilon=0, feature_fn=pixel_features)
    with pytest.raises(TypeError, match="style-based"):
        perceptual_path_length(object(), feature_fn=pixel_features)


def test_on_a_tiny_stylegan():
    from keras_gans.models.stylegan2 import StyleGAN2

    gan = StyleGAN2(resolution=8, latent_dim=8, mapping_layers=2, channel_base=64,
                    channel_max=8)
    result = perceptual_path_length(gan, num_samples=8, batch_size=8,
                                    feature_fn=pixel_features)
    assert np.isfinite(result["ppl"]) and result["ppl"] > 0


def test_default_features_crop_as_the_protocol_says_and_fall_back_to_pixels(monkeypatch):
    from keras_gans import zoo
    from keras_gans.metrics import ppl

    padded = np.full((2, 32, 32, 1), -1.0, np.float32)
    padded[:, 2:30, 2:30] = np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1))
    fn = ppl.default_feature_fn({"center_crop": 28})  # the shipped classifier
    assert fn.feature_name == "fashion_mnist_classifier.features"
    assert fn.preprocess == "center crop 28x28"
    plain = ppl.default_feature_fn()
    np.testing.assert_allclose(fn(padded), plain(padded[:, 2:30, 2:30]), atol=1e-6)
    with pytest.raises(ValueError, match=r'samples are 32x32. Pass preprocess=\{"center_crop": 28\}'):
        plain(padded)

    def unavailable(*args, **kwargs):
        raise FileNotFoundError("no classifier")

    monkeypatch.setattr(zoo, "load", unavailable)
    assert ppl.default_feature_fn() is ppl.pixel_features
