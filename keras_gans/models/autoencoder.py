"""Autoencoder discriminators, shared by the energy-based families (EBGAN, BEGAN).

In EBGAN (Zhao et al. 2016) and BEGAN (Berthelot et al. 2017) the
discriminator is an autoencoder and its "output" is a reconstruction error,
not a logit. The builders here return a `keras.Model` mapping data to
`[reconstruction, embedding]`: the reconstruction has the data's shape; the
embedding is the encoder's output (EBGAN's pulling-away term is computed on
it).

Two architectures, chosen like the other families' networks:

* `"mlp"` (vectors such as the 2-D mixtures, or flattened images):
  `[Dense, activation] * depth -> Dense(embedding_dim)` then
  `[Dense, activation] * depth -> Dense(data size)`, linear output.
* `"conv"` (images): a small convolutional autoencoder in the style of
  BEGAN's: 3x3 convolutions, channels growing linearly with depth (`width`,
  `2 width`, ...), stride-2 convolutions to downsample, a linear
  fully-connected embedding, nearest-neighbour upsampling in the decoder, no
  normalization layers and a linear output layer.
"""

import math

import keras

from keras_gans.losses import adversarial
from keras_gans.models.dcgan import base_resolution


def _activation(kind, name):
    if kind == "leaky_relu":
        return keras.layers.LeakyReLU(0.2, name=name)
    return keras.layers.Activation(kind, name=name)


def build_mlp_autoencoder(data_shape, width=256, embedding_dim=64, depth=2, activation="elu",
                          name="discriminator"):
    """An MLP autoencoder: data -> (reconstruction, embedding).

    Example:

    >>> ae = build_mlp_autoencoder((2,), width=8, embedding_dim=4)
    >>> [tuple(t.shape) for t in ae.outputs]
    [(None, 2), (None, 4)]
    """
    data_shape = tuple(int(s) for s in data_shape)
    x_in = keras.Input(data_shape, name="data")
    x = keras.layers.Flatten(name="flatten")(x_in) if len(data_shape) > 1 else x_in
    for i in range(depth):
        x = keras.layers.Dense(width, name=f"enc{i}")(x)
        x = _activation(activation, f"enc{i}_act")(x)
    embedding = keras.layers.Dense(embedding_dim, dtype="float32", name="embedding")(x)
    x = embedding
    for i in range(depth):
        x = keras.layers.Dense(width, name=f"dec{i}")(x)
        x = _activation(activation, f"dec{i}_act")(x)
    x = keras.layers.Dense(math.prod(data_shape), dtype="float32", name="to_data")(x)
    recon = keras.layers.Reshape(data_shape, name="reconstruction")(x)
    return keras.Model(x_in, [recon, embedding], name=name)


def build_conv_autoencoder(data_shape, width=64, embedding_dim=64, activation="elu",
                           name="discriminator"):
    """A small convolutional autoencoder for square images.

    The encoder halves the resolution down to the DCGAN base size (7 for
    28x28, 4 for 32 or 64) with stride-2 3x3 convolutions whose channels grow
    as `width * (stage + 2)`; the decoder mirrors it with nearest-neighbour
    upsampling and `width` channels (BEGAN's decoder keeps n channels too).

    Example:

    >>> ae = build_conv_autoencoder((28, 28, 1), width=4, embedding_dim=8)
    >>> [tuple(t.shape) for t in ae.outputs]
    [(None, 28, 28, 1), (None, 8)]
    """
    height, w, channels = (int(s) for s in data_shape)
    if height != w:
        raise ValueError(f"The conv autoencoder needs square images; got {data_shape}.")
    size, stages = base_resolution(height)

    def conv(x, filters, name, strides=1):
        x = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", name=name)(x)
        return _activation(activation, f"{name}_act")(x)

    x_in = keras.Input((height, height, channels), name="images")
    x = conv(x_in, width, "enc_in")
    for i in range(stages):
        x = conv(x, width * (i + 1), f"enc{i}")
        x = conv(x, width * (i + 2), f"enc{i}_down", strides=2)
    x = keras.layers.Flatten(name="flatten")(x)
    embedding = keras.layers.Dense(embedding_dim, dtype="float32", name="embedding")(x)
    x = keras.layers.Dense(size * size * width, name="project")(embedding)
    x = keras.layers.Reshape((size, size, width), name="reshape")(x)
    for i in range(stages):
        x = conv(x, width, f"dec{i}")
        x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"dec{i}_up")(x)
    x = conv(x, width, "dec_out")
    recon = keras.layers.Conv2D(channels, 3, padding="same", dtype="float32",
                                name="reconstruction")(x)
    return keras.Model(x_in, [recon, embedding], name=name)


def build_autoencoder(architecture, data_shape, width, embedding_dim=64, activation="elu",
                      **options):
    """An autoencoder discriminator for a family's `architecture`.

    `"dcgan"` (the image architecture of `ConfigurableGAN`) gets the conv
    autoencoder, `"mlp"` the MLP one.
    """
    if architecture == "dcgan":
        return build_conv_autoencoder(data_shape, width, embedding_dim, activation, **options)
    if architecture == "mlp":
        return build_mlp_autoencoder(data_shape, width, embedding_dim, activation=activation,
                                     **options)
    raise ValueError(f"architecture must be 'dcgan' or 'mlp'; got {architecture!r}.")


def per_example_mean(values):
    """Mean over every axis but the batch axis: [batch, ...] -> [batch]."""
    rank = len(values.shape)
    if rank == 1:
        return values
    return keras.ops.mean(values, axis=tuple(range(1, rank)))


def check_own_loss(family, loss):
    """Rejects an adversarial `loss` for families whose losses are their own.

    `None` and the base default (`"non_saturating"`, which a restored compile
    config passes back) are accepted and ignored.
    """
    if loss is not None and adversarial.get(loss).get_config() != {"name": "non_saturating"}:
        raise ValueError(
            f"{family} has its own losses (reconstruction energies of its autoencoder "
            f"discriminator); do not pass loss= (got {loss!r})."
        )
    return adversarial.get("non_saturating")


def own_loss_option(family):
    """The `loss` Option of a family whose losses are its own: refuses others."""
    from keras_gans.models.options import Option

    return Option("loss", None, f"{family} has its own losses; only None is accepted",
                  check=lambda loss: check_own_loss(family, loss), attr="adversarial_loss")
