"""Test doubles shared by the test files (test modules cannot import each other).

Example:

>>> gan = with_linear_critic(keras_gans.models.LSGAN, [1.0, 0.0])  # doctest: +SKIP
>>> gan.discriminator(np.array([[2.0, 5.0]], "float32"))  # doctest: +SKIP
[[2.]]
"""

import keras
import numpy as np


def with_linear_critic(cls, kernel, **kwargs):
    """A `ConfigurableGAN` family `cls` whose D is the linear map x -> x . kernel.

    Its logits are then exact and known, for tests of loss values and
    gradients. Vectors of size `len(kernel)`, latent size 4, width 4.
    """

    class LinearCritic(cls):
        def build_networks(self, architecture, data_shape, latent_dim, width, g_opts, d_opts):
            generator, _ = super().build_networks(architecture, data_shape, latent_dim, width,
                                                  g_opts, d_opts)
            x = keras.Input(data_shape)
            logits = keras.layers.Dense(1, use_bias=False, name="linear")(x)
            return generator, keras.Model(x, logits)

    model = LinearCritic(data_shape=(len(kernel),), latent_dim=4, width=4, **kwargs)
    model.discriminator.get_layer("linear").set_weights(
        [np.asarray(kernel, np.float32).reshape(-1, 1)])
    return model


def all_layers(model):
    """Every layer inside `model`, recursively: nested models, wrappers' inner
    layers, layers' sublayers."""
    return list(model._flatten_layers(include_self=False, recursive=True))
