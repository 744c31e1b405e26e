"""Evaluation metrics for generative models, and the protocols that name them.

Every metric is a pure function of feature or probability arrays
(`fid_from_features(real_features, fake_features)`, ...), with a streaming
form (`fid_from_images(feature_fn, real_images, fake_images)`) built on the
one shared `compute_features`. (The functions are not named after their
modules, `fid`, `kid`, ..., so that `keras_gans.metrics.fid` stays the module.)
`evaluate` runs named protocols (`fid10k_test`,
`kid10k_test`, `is10k`, `pr10k_test`, `dc10k_test`, `modes10k`, `msssim10k`,
`ifid10k_test`) and returns each number with its record and real-data floor.
See docs/metrics.md.

Example:

>>> import numpy as np
>>> from keras_gans import metrics
>>> x = np.random.default_rng(0).normal(size=(1000, 8))
>>> abs(metrics.fid_from_features(x, x)) < 1e-9
True
>>> results = metrics.evaluate(gan, ["fid10k_test", "is10k"])  # doctest: +SKIP
"""

from keras_gans.metrics.classifier import (
    build_fashion_mnist_classifier,
    classifier_features,
    classifier_heads,
    load_fashion_mnist_classifier,
    weights_sha256,
)
from keras_gans.metrics.density_coverage import (
    density_coverage_from_features,
    density_coverage_from_images,
)
from keras_gans.metrics.feature_extractors import (
    INCEPTION_2015_GRAPH_SHA256,
    FeatureExtractor,
    fashion_mnist_classifier_extractor,
    get_feature_extractor,
    inception_graph_extractor,
    inception_preprocess,
    keras_inception_extractor,
    load_inception_graph,
)
from keras_gans.metrics.fid import (
    feature_statistics,
    fid_from_features,
    fid_from_images,
    frechet_distance,
    intra_class_fid,
)
from keras_gans.metrics.inception_score import (
    inception_score_from_images,
    inception_score_from_probs,
)
from keras_gans.metrics.kid import kid_from_features, kid_from_images
from keras_gans.metrics.mode_coverage import mode_coverage_from_images, mode_coverage_from_probs
from keras_gans.metrics.ms_ssim import ms_ssim_diversity, multiscale_ssim
from keras_gans.metrics.precision_recall import (
    precision_recall_from_features,
    precision_recall_from_images,
)
from keras_gans.metrics.protocols import PROTOCOLS, Protocol, evaluate, format_result, get_protocol
from keras_gans.metrics.streaming import compute_features, generated_batches, iterate_batches
from keras_gans.metrics.mixture import kl_to_uniform, mixture_metrics, mode_histogram  # noqa: F401,E402
