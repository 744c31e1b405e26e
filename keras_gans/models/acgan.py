"""Auxiliary classifier GAN (Odena, Olah & Shlens 2017, "Conditional Image
Synthesis with Auxiliary Classifier GANs", ICML 2017, arXiv:1610.09585).

G is conditional (z, c) -> x; D is NOT given the class but predicts it: one
trunk, two heads, a source logit [B, 1] (real or fake) and class logits
[B, K]. With X_real, X_fake = G(z, c) and the paper's log-likelihoods (its
Eqs. 2-3)

    L_S = E[log P(S=real | X_real)] + E[log P(S=fake | X_fake)]
    L_C = E[log P(C=c | X_real)] + E[log P(C=c | X_fake)],

D maximizes L_S + lambda1 L_C and G maximizes -L_S + lambda2 L_C (the paper
has lambda1 = lambda2 = 1). As minimized per-example losses:

    d_loss = l_S(real, fake) + lambda1 (CE(c, real) + CE(c, fake))
    g_loss = l_G(fake) + lambda2 CE(c, fake)

where l_S, l_G are the compiled adversarial loss (default "non_saturating":
l_S is -L_S per example, and G minimizes -log D(G(z)), the non-saturating
form of maximizing -L_S) and CE is the softmax cross-entropy of the
intended class. Logged: `d_cls` = CE(c, real) + CE(c, fake) (D's class
term), `g_cls` = CE(c, fake), and D's classification accuracy on real
(`d_acc_real`) and fake (`d_acc_fake`) examples.

Fakes are conditioned on the labels of the real batch (classes drawn from
the data's label distribution; the paper samples c ~ p_c).
"""

import keras
import tensorflow as tf

from keras_gans import mixed_precision
from keras_gans.models.architectures import ConfigurableGAN
from keras_gans.models.conditioning import require_labels
from keras_gans.models.conditioning import build_concat_generator, build_feature_extractor, dense
from keras_gans.models.registry import register_family
from keras_gans.models.options import Option, non_negative, num_classes, optional_positive_int


def class_cross_entropy(labels, logits):
    """Per-example softmax cross-entropy -log softmax(logits)[label], shape [batch]."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(tf.reshape(labels, [-1]), tf.int32), logits=tf.cast(logits, tf.float32))


def class_accuracy(labels, logits):
    """Per-example 1.0 where argmax(logits) == label, else 0.0."""
    predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
    return tf.cast(tf.equal(predicted, tf.cast(tf.reshape(labels, [-1]), tf.int32)), tf.float32)


def build_two_head_discriminator(architecture, data_shape, width, num_heads_units, d_opts=None,
                                 pooling="flatten", head_names=("source", "classes"),
                                 name="discriminator"):
    """D(x) -> [head_1(phi(x)), head_2(phi(x)), ...]: linear heads on shared features.

    Heads are spectrally normalized when `d_opts["spectral_norm"]` is set.

    Example:

    >>> d = build_two_head_discriminator("dcgan", (8, 8, 1), 4, (1, 10))
    >>> [tuple(t.shape) for t in d.outputs]
    [(None, 1), (None, 10)]
    """
    d_opts = dict(d_opts or {})
    phi = build_feature_extractor(architecture, data_shape, width, d_opts, pooling=pooling)
    x = keras.Input(tuple(data_shape), name=phi.inputs[0].name)
    features = phi(x)
    sn = bool(d_opts.get("spectral_norm", False))
    outputs = [dense(units, head, sn)(features)
               for units, head in zip(num_heads_units, head_names)]
    return keras.Model(x, outputs, name=name)


@register_family("acgan")
class ACGAN(ConfigurableGAN):
    """GAN whose discriminator also classifies (Odena et al. 2017).

    Args:
        data_shape, latent_dim, architecture, width, generator_options,
            discriminator_options, ema_decay, seed: see
            `keras_gans.models.ConfigurableGAN`.
        num_classes: number of classes K.
        embedding_dim: size of G's label embedding (default K).

    `compile` takes `d_class_weight` (lambda1, default 1) and
    `g_class_weight` (lambda2, default 1) besides the base arguments;
    default loss "non_saturating", Adam(2e-4, beta_1=0.5) (the paper's).

    Example:

    >>> gan = ACGAN(data_shape=(8, 8, 1), latent_dim=4, width=4, num_classes=10)
    >>> gan.compile(d_class_weight=1.0, g_class_weight=1.0)
    >>> [tuple(t.shape) for t in gan.discriminator.outputs]
    [(None, 1), (None, 10)]
    """

    example_config = {"data_shape": (2,), "latent_dim": 4, "width": 8, "num_classes": 3,
                      "ema_decay": 0.5}

    constructor_options = (
        Option("num_classes", 10, "number of classes", check=num_classes),
        Option("embedding_dim", None, "size of the learned label embedding; default: one-hot",
               check=optional_positive_int),
    )

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        generator = build_concat_generator(architecture, data_shape, latent_dim, width,
                                           self.num_classes, self.embedding_dim, g_opts)
        discriminator = build_two_head_discriminator(architecture, data_shape, width,
                                                     (1, self.num_classes), d_opts)
        return generator, discriminator


    options = (
        Option("d_class_weight", 1.0, "lambda1: weight of the class term in d_loss",
               check=non_negative),
        Option("g_class_weight", 1.0, "lambda2: weight of the class term in g_loss",
               check=non_negative),
    )

    def extra_metric_names(self):
        return ("d_cls", "g_cls", "d_acc_real", "d_acc_fake")

    def discriminate(self, images, labels=None, training=True):
        # D is not given the class: it predicts it. (The base passes
        # [images, labels] to D for conditional models.) float32 outputs under
        # mixed precision, as the base class's.
        return mixed_precision.to_float32(self.discriminator(images, training=training))

    def compute_discriminator_loss(self, real, fake, labels=None):
        require_labels(self, labels)
        real_source, real_classes = self.discriminate(real, training=True)
        fake_source, fake_classes = self.discriminate(fake, training=True)
        d_cls = class_cross_entropy(labels, real_classes) + class_cross_entropy(labels, fake_classes)
        adversarial = self.adversarial_loss.discriminator_loss(real_source, fake_source)
        return {
            "d_loss": adversarial + self.d_class_weight * d_cls,
            "d_cls": d_cls,
            "d_real": self.d_output_for_log(real_source),
            "d_fake": self.d_output_for_log(fake_source),
            "d_acc_real": class_accuracy(labels, real_classes),
            "d_acc_fake": class_accuracy(labels, fake_classes),
        }

    def compute_generator_loss(self, fake, labels=None, real=None):
        require_labels(self, labels)
        fake_source, fake_classes = self.discriminate(fake, training=True)
        g_cls = class_cross_entropy(labels, fake_classes)
        return {"g_loss": self.adversarial_loss.generator_loss(fake_source)
                + self.g_class_weight * g_cls,
                "g_cls": g_cls}
