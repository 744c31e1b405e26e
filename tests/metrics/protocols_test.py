"""evaluate(): records, floors and sanity of every protocol on a small run
(num_samples=200) with a cheap stand-in feature network."""

import os

import numpy as np
import pytest

from keras_gans.data import fashion_mnist_available
from keras_gans.metrics import fid as fid_lib
from keras_gans.metrics import protocols
from keras_gans.metrics.feature_extractors import FeatureExtractor
from keras_gans.metrics.streaming import compute_features

# Skipped on a machine without the data; under CI (which installs it) a missing
# copy fails the tests instead of hiding them.
needs_data = pytest.mark.skipif(not fashion_mnist_available() and not os.environ.get("CI"),
                                reason="no Fashion-MNIST (apt-get install dataset-fashion-mnist)")
N = 200


def pooled_pixels():
    """16-d features (4x4 average pools of 7x7) and 10 logits from a fixed map."""
    proj = np.random.default_rng(0).normal(size=(16, 10))

    def fn(images):
        feats = images.reshape(len(images), 4, 7, 4, 7).mean(axis=(2, 4)).reshape(-1, 16)
        return {"features": feats, "logits": 4 * feats @ proj}

    return FeatureExtractor(fn, "pooled_pixels", "none (test stand-in)", has_logits=True)


@pytest.fixture(scope="module")
def train():
    from keras_gans.data import arrays

    return arrays("fashion_mnist", split="train")


def good_generator(train):
    images, labels = train

    def generate(n, seed, labels_wanted=None, **kwargs):
        labels_wanted = kwargs.get("labels", labels_wanted)
        r = np.random.default_rng(seed)
        if labels_wanted is None:
            idx = r.choice(len(images), n, replace=False)
        else:
            idx = [r.choice(np.flatnonzero(labels == c)) for c in labels_wanted]
        return images[idx] / 127.5 - 1.0

    return generate


def bad_generator(n, seed, labels=None):
    noise = np.random.default_rng(seed).normal(scale=0.05, size=(n, 28, 28, 1))
    return np.clip(noise - 0.9, -1, 1)


@needs_data
def test_every_protocol_returns_its_record_and_ranks_generators(train):
    names = list(protocols.PROTOCOLS)
    extractor = pooled_pixels()
    good = protocols.evaluate(good_generator(train), names, feature_network=extractor,
                              num_samples=N, floors={})
    bad = protocols.evaluate(bad_generator, names, feature_network=extractor,
                             num_samples=N, floors={})
    for name in names:
        r = good[name]
        assert r["protocol"] == name and r["feature_network"] == "pooled_pixels"
        assert r["num_generated"] == N and "quick run" in r["note"]
        assert r["floor"] is None and "no floor" in r["floor_note"]
        assert r["value"] == r["values"][next(iter(r["values"]))]
        # KL may be inf when 200 real images miss a class the generator hits.
        assert all(np.isfinite(v) for k, v in r["values"].items() if k != "kl")
    assert good["fid10k_test"]["num_real"] == N
    assert good["fid10k_test"]["reference"] == "fashion_mnist/test"
    assert good["fid10k_test"]["value"] < bad["fid10k_test"]["value"] / 5
    assert good["kid10k_test"]["value"] < bad["kid10k_test"]["value"] / 5
    assert good["ifid10k_test"]["value"] < bad["ifid10k_test"]["value"]
    # Near-constant dark images can sit inside the large k-NN balls of sparse
    # real samples (precision stays high): recall is what exposes them.
    assert good["pr10k_test"]["values"]["recall"] > 0.5 > bad["pr10k_test"]["values"]["recall"]
    assert good["pr10k_test"]["values"]["precision"] > 0.5
    assert good["dc10k_test"]["values"]["coverage"] > bad["dc10k_test"]["values"]["coverage"]
    assert good["modes10k"]["values"]["classes_covered"] > bad["modes10k"]["values"][
        "classes_covered"]
    assert good["is10k"]["value"] > bad["is10k"]["value"]
    assert good["msssim10k"]["value"] < bad["msssim10k"]["value"]
    assert good["is10k"]["uses"] == "class probabilities"
    assert "pooled_pixels" in protocols.format_result(good["fid10k_test"])


@needs_data
def test_fid_value_equals_a_direct_computation(train):
    from keras_gans.data import arrays, to_uint8

    extractor = pooled_pixels()
    generate = good_generator(train)
    result = protocols.evaluate(generate, ["fid10k_test"], feature_network=extractor,
                                num_samples=N, seed=3, floors={})["fid10k_test"]
    fake = np.concatenate([to_uint8(b) for b in protocols.generated_batches(
        generate, N, 500, seed=3)])
    test_images, _ = arrays("fashion_mnist", split="test")
    idx = np.sort(np.random.default_rng(0).choice(len(test_images), N, replace=False))
    expected = fid_lib.fid_from_features(compute_features(extractor, test_images[idx]),
                                         compute_features(extractor, fake))
    assert result["value"] == pytest.approx(expected, rel=1e-9)


@needs_data
def test_floor_is_shown_only_for_matching_weights_and_counts(train):
    extractor = pooled_pixels()
    floors = {"entries": [{"feature_weights": extractor.weights_id, "stand_in": "test",
                           "protocols": {"fid10k_test": {"values": {"fid": 1.5},
                                                         "num_generated": N,
                                                         "num_real": N}}}]}
    run = protocols.evaluate(good_generator(train), ["fid10k_test", "is10k"],
                             feature_network=extractor, num_samples=N, floors=floors)
    assert run["fid10k_test"]["floor"] == {"fid": 1.5}
    assert run["is10k"]["floor"] is None
    other = protocols.evaluate(good_generator(train), ["fid10k_test"],
                               feature_network=extractor, num_samples=N // 2, floors=floors)
    assert other["fid10k_test"]["floor"] is None
    assert "not comparable" in other["fid10k_test"]["floor_note"]


def test_unknown_protocol_suggests_close_names():
    with pytest.raises(ValueError, match="Did you mean 'fid10k_test'"):
        protocols.evaluate(bad_generator, ["fid10k_tset"], feature_network=pooled_pixels())


def test_generator_outside_the_model_range_is_refused():
    def too_bright(n, seed):
        return np.full((n, 28, 28, 1), 2.0)

    with pytest.raises(ValueError, match=r"generated images must lie in \[-1"):
        protocols.evaluate(too_bright, ["is10k"], feature_network=pooled_pixels(),
                           num_samples=20)


def test_uint8_generators_are_accepted():
    batch = np.arange(24, dtype=np.uint8).reshape(1, 2, 3, 4)
    assert protocols._quantize(batch) is batch
    np.testing.assert_array_equal(protocols._quantize(batch / 127.5 - 1.0), batch)


def test_non_callable_generator_is_refused():
    with pytest.raises(ValueError, match="generate_fn must be callable"):
        protocols.evaluate(42, ["is10k"], feature_network=pooled_pixels())


def test_every_protocol_describes_itself():
    for name, p in protocols.PROTOCOLS.items():
        assert p.name == name and p.description
        assert (p.reference is None) == (p.num_real is None)


def test_gans_are_sampled_in_float_through_generate_and_latents():
    class FakeGAN:
        def latents(self, n, seed=0):
            return np.random.default_rng(seed).standard_normal((n, 4))

        def generate(self, z, labels=None):
            return np.tanh(np.resize(z, (len(z), 28, 28, 1)))

    gan = FakeGAN()
    fn = protocols.as_generate_fn(gan)
    np.testing.assert_array_equal(fn(3, seed=5), gan.generate(gan.latents(3, 5)))
    result = protocols.evaluate(gan, ["msssim10k"], feature_network=pooled_pixels(),
                                num_samples=20, floors={})
    assert 0.0 <= result["msssim10k"]["value"] <= 1.0
