"""Network builders shared by families, and `ConfigurableGAN`.

A family is a training procedure (losses, penalties, update schedule); the
networks it trains come from a builder named here, so every family runs on
images (`"dcgan"` convolutional networks) and on the 2-D mixtures of the
mode-collapse test bed (`"mlp"`), with one config format.
"""

import math

import keras

from keras_gans.models.base import GAN
from keras_gans.models.options import declared_options
from keras_gans.models.dcgan import build_dcgan_discriminator, build_dcgan_generator


class Maxout(keras.layers.Layer):
    """Maxout units (Goodfellow et al. 2013): the max over `pieces` linear pieces.

    Example:

    >>> layer = Maxout(units=4, pieces=3)
    >>> tuple(layer(keras.ops.zeros((2, 5))).shape)
    (2, 4)
    """

    def __init__(self, units, pieces=5, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.pieces = int(pieces)
        self.dense = keras.layers.Dense(self.units * self.pieces, name="linear")

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, x):
        y = self.dense(x)
        y = keras.ops.reshape(y, (-1, self.units, self.pieces))
        return keras.ops.max(y, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "pieces": self.pieces}


keras.saving.register_keras_serializable(package="keras_gans")(Maxout)


def _is_image(data_shape):
    return len(data_shape) == 3


def build_mlp_generator(data_shape, latent_dim=100, width=256, depth=2,
                        normalization="none", output_activation=None, name="generator"):
    """An MLP generator: z -> [Dense, (BN), ReLU] * depth -> data.

    The output is tanh for images (in [-1, 1]) and linear for points.

    Example:

    >>> g = build_mlp_generator((2,), latent_dim=4, width=8)
    >>> tuple(g.output.shape)
    (None, 2)
    """
    data_shape = tuple(int(s) for s in data_shape)
    if output_activation is None:
        output_activation = "tanh" if _is_image(data_shape) else "linear"
    z = keras.Input((latent_dim,), name="z")
    x = z
    for i in range(depth):
        x = keras.layers.Dense(width, name=f"dense{i}")(x)
        if normalization == "batch":
            x = keras.layers.BatchNormalization(synchronized=True, name=f"dense{i}_bn")(x)
        x = keras.layers.ReLU(name=f"dense{i}_relu")(x)
    x = keras.layers.Dense(math.prod(data_shape), name="to_data")(x)
    x = keras.layers.Activation(output_activation, dtype="float32", name="output")(x)
    out = keras.layers.Reshape(data_shape, name="data")(x)
    return keras.Model(z, out, name=name)


def build_mlp_discriminator(data_shape, width=256, depth=2, maxout_pieces=0,
                            spectral_norm=False, dropout=0.0, name="discriminator"):
    """An MLP discriminator: data -> [Dense/Maxout, LeakyReLU(0.2)] * depth -> logit.

    Args:
        maxout_pieces: when > 0, hidden layers are maxout units with that many
            pieces (Goodfellow et al. 2014 used maxout in D).
        spectral_norm: wrap every Dense in `keras.layers.SpectralNormalization`.
        dropout: dropout rate after every hidden layer.
    """
    data_shape = tuple(int(s) for s in data_shape)

    def wrap(layer):
        return keras.layers.SpectralNormalization(layer, name=layer.name + "_sn") \
            if spectral_norm else layer

    x_in = keras.Input(data_shape, name="data")
    x = keras.layers.Flatten(name="flatten")(x_in) if len(data_shape) > 1 else x_in
    for i in range(depth):
        if maxout_pieces:
            x = Maxout(width, maxout_pieces, name=f"maxout{i}")(x)
        else:
            x = wrap(keras.layers.Dense(width, name=f"dense{i}"))(x)
            x = keras.layers.LeakyReLU(0.2, name=f"dense{i}_lrelu")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dense{i}_dropout")(x)
    logits = wrap(keras.layers.Dense(1, dtype="float32", name="logit"))(x)
    return keras.Model(x_in, logits, name=name)


def build_networks(architecture, data_shape, latent_dim, width, generator_options=None,
                   discriminator_options=None):
    """(generator, discriminator) of a named architecture: "dcgan" or "mlp"."""
    g_opts = dict(generator_options or {})
    d_opts = dict(discriminator_options or {})
    data_shape = tuple(int(s) for s in data_shape)
    if architecture == "dcgan":
        if not _is_image(data_shape) or data_shape[0] != data_shape[1]:
            raise ValueError(
                f"The dcgan architecture needs square images (H, H, C); got data_shape "
                f"{data_shape}. Use architecture='mlp' for vectors."
            )
        res, ch = data_shape[0], data_shape[-1]
        return (build_dcgan_generator(res, ch, latent_dim, width, **g_opts),
                build_dcgan_discriminator(res, ch, width, **d_opts))
    if architecture == "mlp":
        return (build_mlp_generator(data_shape, latent_dim, width, **g_opts),
                build_mlp_discriminator(data_shape, width, **d_opts))
    raise ValueError(f"architecture must be 'dcgan' or 'mlp'; got {architecture!r}.")


class ConfigurableGAN(GAN):
    """A GAN whose networks come from a named builder; families subclass it.

    Args:
        data_shape: (H, W, C) for images, (D,) for vectors.
        latent_dim: size of z.
        architecture: "dcgan" or "mlp"; default: the family's
            `default_architecture` ("mlp" for vectors).
        width: base width of both networks.
        generator_options, discriminator_options: extra builder options, e.g.
            `{"normalization": "layer"}` or `{"spectral_norm": True}`.
        ema_decay, seed: see `GAN`.
    """

    default_architecture = "dcgan"
    example_config = {"data_shape": (2,), "latent_dim": 4, "width": 8, "ema_decay": 0.5}
    #: Builder options a family needs by default (e.g. no BatchNorm in a
    #: gradient-penalized critic); user options override them.
    default_discriminator_options = {}
    default_generator_options = {}

    #: `Option`s of the constructor arguments a family adds (saved by
    #: `get_config`, set as attributes before the networks are built). A
    #: `num_classes` option also makes the model conditional.
    constructor_options = ()

    #: The paper's size of z, used when the constructor gets none.
    default_latent_dim = 100

    def __init__(self, data_shape=(28, 28, 1), latent_dim=None, architecture=None, width=64,
                 generator_options=None, discriminator_options=None, ema_decay=None, seed=0,
                 **kwargs):
        if latent_dim is None:
            latent_dim = self.default_latent_dim
        extras = declared_options(type(self), "constructor_options")
        for opt in extras.values():
            value = kwargs.pop(opt.name) if opt.name in kwargs else opt.initial()
            setattr(self, opt.attr, opt.convert(value))
        if "num_classes" in extras:
            kwargs["num_classes"] = getattr(self, extras["num_classes"].attr)
        data_shape = tuple(int(s) for s in data_shape)
        if architecture is None:
            architecture = self.default_architecture if _is_image(data_shape) else "mlp"
        self.data_shape = data_shape
        self.architecture = architecture
        self.width = int(width)
        self.generator_options = dict(generator_options or {})
        self.discriminator_options = dict(discriminator_options or {})
        g_opts = {**self.default_generator_options_for(architecture), **self.generator_options}
        d_opts = {**self.default_discriminator_options_for(architecture),
                  **self.discriminator_options}
        generator, discriminator = self.build_networks(
            architecture, data_shape, latent_dim, self.width, g_opts, d_opts)
        super().__init__(generator, discriminator, latent_dim=latent_dim,
                         ema_decay=ema_decay, seed=seed, **kwargs)

    def default_generator_options_for(self, architecture):
        return dict(self.default_generator_options.get(architecture, {}))

    def default_discriminator_options_for(self, architecture):
        return dict(self.default_discriminator_options.get(architecture, {}))

    def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
        """Override to build family-specific networks (e.g. an autoencoder D)."""
        return build_networks(architecture, data_shape, latent_dim, width, g_opts, d_opts)

    def architecture_config(self):
        return {"data_shape": list(self.data_shape), "latent_dim": self.latent_dim,
                "architecture": self.architecture, "width": self.width,
                "generator_options": self.generator_options,
                "discriminator_options": self.discriminator_options,
                **{opt.name: getattr(self, opt.attr) for opt in
                   declared_options(type(self), "constructor_options").values()},
                **self.family_config()}

    @classmethod
    def accepted_data_arguments(cls):
        names = super().accepted_data_arguments()
        if ("num_classes" in declared_options(cls, "constructor_options")
                and "num_classes" not in names):
            names += ("num_classes",)
        return names

    def family_config(self):
        """Constructor arguments a family adds (saved in `get_config`)."""
        return {}
