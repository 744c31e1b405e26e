"""Semi-supervised GAN (Odena 2016, "Semi-Supervised Learning with Generative
Adversarial Networks", arXiv:1606.01583; Salimans, Goodfellow, Zaremba,
Cheung, Radford & Chen 2016, "Improved Techniques for Training GANs",
NeurIPS 2016, section 5).

D is a K-class classifier that doubles as the real/fake discriminator. Odena
gives D K+1 outputs (class K+1 = "fake"); Salimans et al. note that fixing
the fake logit to 0 loses nothing (softmax is invariant to a shift of all
logits), so D outputs K logits l_1..l_K and

    D(x) = P(real | x) = Z(x) / (Z(x) + 1),   Z(x) = sum_k exp(l_k(x)).

Its log-odds is log Z(x) = logsumexp(l(x)), so the unsupervised loss
(the paper's L_unsupervised)

    -log D(x) - log(1 - D(G(z)))
      = softplus(-logsumexp(l(x))) + softplus(logsumexp(l(G(z))))

is the minimax discriminator loss on the logit logsumexp(l). The supervised
loss is the cross-entropy -log p(y | x, y < K+1) = logsumexp(l) - l_y on the
labelled examples. Per example, D minimizes

    d_loss = unsupervised_weight * unsup + supervised_weight * [labelled] * CE,

so with `labelled_batch_size` labelled examples in a batch of B the
supervised term weighs labelled_batch_size / B of a mean over labelled ones.

G minimizes feature matching by default (Salimans et al.'s choice for
semi-supervised learning, which they found to give better classifiers than
the minibatch-discrimination generator that gave the best samples):
|| mean_real phi(x) - mean_fake phi(G(z)) ||^2 with phi(x) D's features
before the class layer and the means over the global batch (across
replicas; `feature_matching_per_example`). `generator_loss=
"non_saturating"` gives -log D(G(z)) instead.

Batches are `(images, labels)` with label -1 for unlabelled images (see
`keras_gans.data.semisupervised.semi_supervised`), or images only. The
generator is unconditional: `model.num_classes` stays None (in the base
class it means "G and D take labels"); D's classes are
`model.num_label_classes`. `model.classify(images)` gives class
probabilities and `model.classifier()` a `keras.Model` doing the same.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gans.data.validation import to_model_range
from keras_gans.models.acgan import class_accuracy
from keras_gans.models.architectures import ConfigurableGAN, Maxout, build_networks
from keras_gans.models.conditioning import check_num_classes
from keras_gans.models.conditioning import build_feature_extractor, dense
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, non_negative, one_of
from keras_gans.losses.feature_matching import (  # noqa: F401  (re-exported)
    feature_matching_loss,
    feature_matching_per_example,
)
from keras_gans.losses.reduction import global_sum

GENERATOR_LOSSES = ("feature_matching", "non_saturating")


def unsupervised_discriminator_loss(real_logits, fake_logits):
    """Salimans et al.'s -log D(x) - log(1 - D(G(z))) with D = Z / (Z + 1), per example.

    Example:

    >>> round(float(unsupervised_discriminator_loss([[0.0, 0.0]], [[0.0, 0.0]])[0]), 6)
    1.504077
    """
    real = tf.reduce_logsumexp(tf.cast(real_logits, tf.float32), axis=-1)
    fake = tf.reduce_logsumexp(tf.cast(fake_logits, tf.float32), axis=-1)
    return tf.nn.softplus(-real) + tf.nn.softplus(fake)


def supervised_loss(labels, logits):
    """Cross-entropy on labelled examples (label >= 0), 0 on unlabelled ones: [batch]."""
    labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
    labelled = labels >= 0
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.where(labelled, labels, 0), logits=tf.cast(logits, tf.float32))
    return tf.where(labelled, ce, 0.0), tf.cast(labelled, tf.float32)


#: Discriminator options handled here (not by the architecture builders):
#: the regularization of Salimans et al.'s classifier D (their MNIST D adds
#: Gaussian noise to the input, std 0.3, and to every hidden layer, std 0.5;
#: their CIFAR D adds dropout 0.2 to the input and 0.5 after every block).
REGULARIZATION_OPTIONS = ("input_noise", "hidden_noise", "input_dropout", "dropout")

_ACTIVATIONS = (keras.layers.LeakyReLU, keras.layers.ReLU)


def _regularized_features(phi, x, input_noise=0.0, hidden_noise=0.0, input_dropout=0.0,
                          dropout=0.0):
    """phi(x) with noise/dropout on the input and after every hidden activation.

    `phi` must be a chain of layers (the "dcgan" and "mlp" feature
    extractors are). Returns (features, head input): the features are the
    last hidden layer's output BEFORE its own noise/dropout (Salimans et al.'s
    feature matching reads the last hidden layer while the earlier layers
    stay noisy), the head input is after it (what the class layer sees).
    Noise and dropout act in training mode only.
    """

    def regularize(t, noise, rate, tag):
        if rate:
            t = keras.layers.Dropout(rate, name=f"{tag}_dropout")(t)
        if noise:
            t = keras.layers.GaussianNoise(noise, name=f"{tag}_noise")(t)
        return t

    layers = [layer for layer in phi.layers if not isinstance(layer, keras.layers.InputLayer)]
    last_activation = max((i for i, layer in enumerate(layers)
                           if isinstance(layer, _ACTIVATIONS + (Maxout,))), default=-1)
    t = regularize(x, input_noise, input_dropout, "input")
    for i, layer in enumerate(layers):
        t = layer(t)
        if isinstance(layer, _ACTIVATIONS + (Maxout,)) and i != last_activation:
            t = regularize(t, hidden_noise, dropout, layer.name)
    return t, regularize(t, hidden_noise, dropout, "features")


def build_classifier_discriminator(architecture, data_shape, width, num_classes, d_opts=None,
                                   name="discriminator"):
    """D(x) -> [class logits [B, K], features phi(x)].

    `d_opts` are the architecture builder's options plus, optionally, the
    `REGULARIZATION_OPTIONS`: `input_noise` / `hidden_noise` (std of additive
    Gaussian noise on the input / after every hidden activation and on the
    features fed to the class layer) and `input_dropout` / `dropout` (rates,
    same places). All default to 0 (the plain builder's D).

    Example:

    >>> d = build_classifier_discriminator("dcgan", (8, 8, 1), 4, num_classes=10)
    >>> [tuple(t.shape) for t in d.outputs]
    [(None, 10), (None, 64)]
    >>> d = build_classifier_discriminator("dcgan", (16, 16, 1), 4, num_classes=10,
    ...                                    d_opts={"dropout": 0.5, "input_noise": 0.3})
    >>> [layer.name for layer in d.layers if "noise" in layer.name or "dropout" in layer.name]
    ['input_noise', 'down0_lrelu_dropout', 'features_dropout']
    """
    d_opts = dict(d_opts or {})
    reg = {key: float(d_opts.pop(key, 0.0) or 0.0) for key in REGULARIZATION_OPTIONS}
    for key, value in reg.items():
        if value < 0.0 or (key.endswith("dropout") and value >= 1.0):
            raise ValueError(f"discriminator option {key} must lie in "
                             f"{'[0, 1)' if key.endswith('dropout') else '[0, inf)'}; got {value}.")
    phi = build_feature_extractor(architecture, data_shape, width, d_opts)
    x = keras.Input(tuple(data_shape), name=phi.inputs[0].name)
    if any(reg.values()):
        features, head = _regularized_features(phi, x, **reg)
    else:
        features = head = phi(x)
    logits = dense(num_classes, "class_logits", bool(d_opts.get("spectral_norm", False)))(head)
    return keras.Model(x, [logits, features], name=name)


@register_family("semi_supervised_gan")
class SemiSupervisedGAN(ConfigurableGAN):
    """A GAN whose discriminator is a K-class classifier (Odena 2016; Salimans et al. 2016).

    Args:
        data_shape, latent_dim, architecture, width, generator_options,
            discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`. D options default to
            `{"normalization": "layer"}` for "dcgan": BatchNorm would
            normalize real-only and fake-only batches differently in training
            and classify with moving statistics of that mixture at test time.
        num_classes: K, the classes of D (the generator is unconditional).

    `discriminator_options` may also hold `input_noise`, `hidden_noise`
    (std of additive Gaussian noise on D's input / after every hidden layer),
    `input_dropout` and `dropout` (rates at the same places): the heavy D
    regularization of Salimans et al.'s semi-supervised models, active in
    training mode only (see `build_classifier_discriminator`).

    `compile` takes `generator_loss` ("feature_matching" or
    "non_saturating"), `supervised_weight` and `unsupervised_weight`
    (default 1); `loss` must be "non_saturating" (the default) or "minimax",
    the D(x) = Z / (Z + 1) game.

    Example:

    >>> gan = SemiSupervisedGAN(data_shape=(8, 8, 1), latent_dim=4, width=4, num_classes=10)
    >>> gan.compile()
    >>> gan.classify(np.zeros((2, 8, 8, 1), "float32")).shape
    (2, 10)
    """

    default_discriminator_options = {"dcgan": {"normalization": "layer"}}

    example_config = {"data_shape": (8, 8, 1), "latent_dim": 4, "width": 4, "num_classes": 3,
                      "ema_decay": 0.5}

    def __init__(self, data_shape=(28, 28, 1), latent_dim=100, num_classes=10,
                 architecture=None, width=64, generator_options=None,
                 discriminator_options=None, ema_decay=None, seed=0, **kwargs):
        self.num_label_classes = check_num_classes(num_classes, type(self).__name__)
        super().__init__(data_shape=data_shape, latent_dim=latent_dim,
                         architecture=architecture, width=width,
                         generator_options=generator_options,
                         discriminator_options=discriminator_options,
                         ema_decay=ema_decay, seed=seed, **kwargs)

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        generator, _ = build_networks(architecture, data_shape, latent_dim, width, g_opts, {})
        discriminator = build_classifier_discriminator(architecture, data_shape, width,
                                                       self.num_label_classes, d_opts)
        return generator, discriminator

    def family_config(self):
        return {"num_classes": self.num_label_classes}

    options = (
        Option("generator_loss", "feature_matching",
               "G's loss: feature matching (Salimans et al.) or non_saturating",
               check=one_of(*GENERATOR_LOSSES)),
        Option("supervised_weight", 1.0, "weight of the supervised class term in d_loss",
               check=non_negative),
        Option("unsupervised_weight", 1.0, "weight of the unsupervised term in d_loss",
               check=non_negative),
    )

    def configure(self):
        if self.adversarial_loss.name not in ("minimax", "non_saturating"):
            raise ValueError(
                "SemiSupervisedGAN's D is D(x) = Z(x) / (Z(x) + 1): loss must be "
                f"'non_saturating' or 'minimax'; got {self.adversarial_loss.name!r}."
            )
    def extra_metric_names(self):
        return ("d_sup", "d_unsup", "d_acc_labelled")

    # -------------------------------------------------------------- classes
    def classifier(self):
        """A `keras.Model` mapping images in [-1, 1] to class probabilities [B, K]."""
        logits = self.discriminator.outputs[0]
        probs = keras.layers.Softmax(dtype="float32", name="probabilities")(logits)
        return keras.Model(self.discriminator.inputs, probs, name="classifier")

    def classify(self, images, batch_size=256):
        """Class probabilities (numpy [N, K]) of images (uint8, or float in [-1, 1])."""
        images = np.asarray(images)
        if images.dtype == np.uint8:
            images = to_model_range(images)
        images = images.astype(np.float32)
        out = []
        for i in range(0, len(images), batch_size):
            logits, _ = self.discriminator(images[i:i + batch_size], training=False)
            out.append(tf.nn.softmax(tf.cast(logits, tf.float32)).numpy())
        return np.concatenate(out, axis=0)

    # ------------------------------------------------------------- training
    def unpack_batch(self, data):
        # Labels are D's targets (-1 = unlabelled), never G's inputs.
        if isinstance(data, (tuple, list)):
            return data[0], (data[1] if len(data) > 1 else None)
        if isinstance(data, dict):
            return data["images"], data.get("labels")
        return data, None

    def compute_discriminator_loss(self, real, fake, labels=None):
        real_logits, _ = self.discriminate(real, training=True)
        fake_logits, _ = self.discriminate(fake, training=True)
        unsup = self.adversarial_loss.discriminator_loss(
            tf.reduce_logsumexp(real_logits, axis=-1), tf.reduce_logsumexp(fake_logits, axis=-1))
        terms = {"d_unsup": unsup,
                 "d_real": tf.sigmoid(tf.reduce_logsumexp(real_logits, axis=-1)),
                 "d_fake": tf.sigmoid(tf.reduce_logsumexp(fake_logits, axis=-1))}
        d_loss = self.unsupervised_weight * unsup
        if labels is not None:
            sup, labelled = supervised_loss(labels, real_logits)
            d_loss = d_loss + self.supervised_weight * sup
            terms["d_sup"] = sup
            # Accuracy over the labelled examples of the GLOBAL batch (0 when
            # there are none), the same value on every replica.
            correct = class_accuracy(tf.maximum(tf.cast(labels, tf.int32), 0), real_logits)
            terms["d_acc_labelled"] = (global_sum(tf.stop_gradient(tf.reduce_sum(correct * labelled)))
                                       / tf.maximum(global_sum(tf.stop_gradient(tf.reduce_sum(labelled))), 1.0))
        terms["d_loss"] = d_loss
        return terms

    def compute_generator_loss(self, fake, labels=None, real=None):
        fake_logits, fake_features = self.discriminate(fake, training=True)
        if self.generator_loss == "feature_matching":
            if real is None:
                raise ValueError("Feature matching needs the real batch: pass real=....")
            _, real_features = self.discriminate(real, training=True)
            return {"g_loss": feature_matching_per_example(real_features, fake_features)}
        return {"g_loss": self.adversarial_loss.generator_loss(
            tf.reduce_logsumexp(fake_logits, axis=-1))}
