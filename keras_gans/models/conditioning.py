"""Network builders shared by the conditional and auxiliary-task families.

The families' networks are the library's DCGAN and MLP builders
(`keras_gans.models.architectures.build_networks`) composed with label
inputs and extra heads, so they follow the same options
(`generator_options`, `discriminator_options`):

* `build_concat_generator`: a label embedding concatenated to z (CGAN,
  ACGAN);
* `build_concat_discriminator`: labels as extra input channels (or
  concatenated to the features) of D (CGAN);
* `build_feature_extractor`: D without its logit layer, phi(x), on which
  the families put their heads (ACGAN's classifier, the rotation head, the
  projection output, the sphere's geometric block).

Labels enter as int32 tensors of shape [batch] (`label_input`), the dtype
and shape of the exported `labels` signature argument.
"""

import keras
from keras import ops

from keras_gans.models.architectures import build_networks
from keras_gans.models.dcgan import dcgan_initializer


def label_input(name="labels"):
    """A functional-model input for integer class labels, shape [batch]."""
    return keras.Input((), dtype="int32", name=name)



def check_num_classes(num_classes, family):
    """`num_classes` as an int, refusing fewer than 2 classes."""
    if num_classes is None or int(num_classes) < 2:
        raise ValueError(f"{family} needs num_classes >= 2; got {num_classes}.")
    return int(num_classes)


def require_labels(model, labels):
    """Raises a clear error when a conditional model gets unlabelled batches."""
    if labels is None:
        raise ValueError(
            f"{type(model).__name__} is conditional and trains on (images, labels) "
            f"batches with integer labels in [0, {model.num_classes - 1}]; got images only. "
            "Load the data with keras_gans.data.load(..., with_labels=True)."
        )


@keras.saving.register_keras_serializable(package="keras_gans")
class OneHot(keras.layers.Layer):
    """Integer labels [B] -> one-hot float32 [B, K]."""

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def call(self, labels):
        return ops.one_hot(ops.cast(ops.reshape(labels, [-1]), "int32"), self.num_classes,
                           dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def label_embedding(labels, num_classes, dim, name="label_embedding"):
    """A learned embedding of integer labels, as a bias-free Dense on their one-hot code.

    The same function as `keras.layers.Embedding`, but its gradient is dense.
    An Embedding's gradient is `IndexedSlices`, which `MirroredStrategy`
    all-gathers instead of all-reducing; measured here (TF 2.21), a 2-replica
    ACGAN step with an Embedding in G aborted with "Shape mismatch in the
    collective instance" (the D gradients' all-reduce met the embedding's
    all-gather), and runs with this layer.
    """
    onehot = OneHot(num_classes, name=name + "_onehot")(labels)
    return keras.layers.Dense(dim, use_bias=False, name=name,
                              kernel_initializer="random_uniform")(onehot)


@keras.saving.register_keras_serializable(package="keras_gans")
class LabelMaps(keras.layers.Layer):
    """Integer labels [B] and images [B, H, W, C] -> one-hot label maps [B, H, W, K]."""

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def call(self, inputs):
        labels, images = inputs
        onehot = ops.one_hot(ops.cast(labels, "int32"), self.num_classes, dtype=images.dtype)
        shape = ops.shape(images)
        return ops.tile(onehot[:, None, None, :], [1, shape[1], shape[2], 1])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[1][:3]) + (self.num_classes,)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="keras_gans")
class GlobalSumPooling2D(keras.layers.Layer):
    """Sums feature maps over the spatial axes: [B, H, W, C] -> [B, C]."""

    def call(self, inputs):
        return ops.sum(inputs, axis=(1, 2))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


def build_concat_generator(architecture, data_shape, latent_dim, width, num_classes,
                           embedding_dim=None, g_opts=None, name="generator"):
    """G([z, y]) = G'(concat(z, embed(y))) with G' the named builder's generator.

    An embedding concatenated to z and followed by G's first (linear) layer
    is the same function class as a one-hot y concatenated to z (Mirza &
    Osindero 2014) when `embedding_dim >= num_classes`; the default
    `embedding_dim` is `num_classes`.

    Example:

    >>> g = build_concat_generator("dcgan", (8, 8, 1), 4, 4, num_classes=3)
    >>> [tuple(t.shape) for t in g.inputs]
    [(None, 4), (None,)]
    """
    embedding_dim = int(embedding_dim or num_classes)
    body, _ = build_networks(architecture, data_shape, latent_dim + embedding_dim, width,
                             g_opts, {})
    z = keras.Input((latent_dim,), name="z")
    labels = label_input()
    e = label_embedding(labels, num_classes, embedding_dim)
    h = keras.layers.Concatenate(name="z_and_label")([z, e])
    return keras.Model([z, labels], body(h), name=name)


def build_feature_extractor(architecture, data_shape, width, d_opts=None, pooling="flatten",
                            name="features"):
    """phi(x): the named builder's discriminator up to (not including) its logit.

    Args:
        pooling: for "dcgan", "flatten" (the DCGAN discriminator's own
            features) or "sum" (global sum pooling of the last feature maps,
            as in the ResNet discriminators of Miyato & Koyama 2018).

    Example:

    >>> phi = build_feature_extractor("dcgan", (8, 8, 1), 4, pooling="sum")
    >>> tuple(phi.output.shape)
    (None, 4)
    """
    _, d = build_networks(architecture, data_shape, 1, width, {}, d_opts)
    if pooling == "flatten" or architecture != "dcgan":
        features = d.layers[-1].input  # the logit layer's input
    elif pooling == "sum":
        maps = d.get_layer("flatten").input
        features = GlobalSumPooling2D(name="global_sum_pool")(maps)
    else:
        raise ValueError(f"pooling must be 'flatten' or 'sum'; got {pooling!r}.")
    return keras.Model(d.inputs, features, name=name)


def dense(units, name, spectral_norm=False, init=None):
    """A float32 Dense head (DCGAN's N(0, 0.02) init by default), spectrally normalized on request."""
    # A new initializer per layer (dcgan_initializer): a shared unseeded instance
    # would give same-shaped layers the same weights.
    layer = keras.layers.Dense(units, kernel_initializer=init or dcgan_initializer(), dtype="float32",
                               name=name)
    if spectral_norm:
        return keras.layers.SpectralNormalization(layer, name=name + "_sn")
    return layer


def build_concat_discriminator(architecture, data_shape, width, num_classes, d_opts=None,
                               conditioning="input", embedding_dim=None, hidden_units=None,
                               name="discriminator"):
    """D([x, y]) -> logit [batch, 1] with y concatenated to D's input or features.

    Args:
        conditioning: "input": for images, K one-hot label maps are appended
            to the image channels (y "fed into D as an additional input
            layer", Mirza & Osindero 2014); for vectors, a label embedding is
            concatenated to x. "features": a label embedding is concatenated
            to phi(x), followed by a hidden LeakyReLU layer of
            `hidden_units` (default 4 * width) and the logit (without the
            hidden layer, y could only shift the logit by a per-class
            constant).
        embedding_dim: embedding size (default: num_classes).

    Example:

    >>> d = build_concat_discriminator("dcgan", (8, 8, 1), 4, num_classes=3)
    >>> tuple(d.output.shape)
    (None, 1)
    """
    d_opts = dict(d_opts or {})
    data_shape = tuple(int(s) for s in data_shape)
    embedding_dim = int(embedding_dim or num_classes)
    spectral_norm = bool(d_opts.get("spectral_norm", False))
    x = keras.Input(data_shape, name="images" if len(data_shape) == 3 else "data")
    labels = label_input()
    if conditioning == "input":
        if len(data_shape) == 3:
            maps = LabelMaps(num_classes, name="label_maps")([labels, x])
            joined = keras.layers.Concatenate(name="image_and_labels")([x, maps])
        else:
            e = label_embedding(labels, num_classes, embedding_dim)
            joined = keras.layers.Concatenate(name="data_and_label")([x, e])
        joined_shape = tuple(joined.shape[1:])
        _, body = build_networks(architecture, joined_shape, 1, width, {}, d_opts)
        return keras.Model([x, labels], body(joined), name=name)
    if conditioning == "features":
        phi = build_feature_extractor(architecture, data_shape, width, d_opts)
        e = label_embedding(labels, num_classes, embedding_dim)
        h = keras.layers.Concatenate(name="features_and_label")([phi(x), e])
        h = dense(hidden_units or 4 * width, "joint", spectral_norm)(h)
        h = keras.layers.LeakyReLU(0.2, name="joint_lrelu")(h)
        return keras.Model([x, labels], dense(1, "logit", spectral_norm)(h), name=name)
    raise ValueError(f"conditioning must be 'input' or 'features'; got {conditioning!r}.")
