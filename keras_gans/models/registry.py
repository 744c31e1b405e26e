"""The family registry: one line per family, listable and looked up by key."""

import difflib

import keras

FAMILIES = {}


def register_family(key):
    """Class decorator: registers a GAN family under `key` and with Keras serialization.

    Example:

    >>> @register_family("my_gan")  # doctest: +SKIP
    ... class MyGAN(GAN): ...
    """

    def wrap(cls):
        if key in FAMILIES and FAMILIES[key] is not cls:
            raise ValueError(f"A family is already registered as {key!r}: {FAMILIES[key]}.")
        cls.family = key
        keras.saving.register_keras_serializable(package="keras_gans")(cls)
        FAMILIES[key] = cls
        return cls

    return wrap


def get(name):
    """Returns the family class registered as `name` (e.g. "dcgan")."""
    if isinstance(name, type):
        return name
    key = str(name).lower()
    if key not in FAMILIES:
        close = difflib.get_close_matches(key, FAMILIES, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            f"Unknown GAN family {name!r}.{hint} Available: {', '.join(list_families())}."
        )
    return FAMILIES[key]


def list_families():
    """Keys of the registered families, sorted."""
    return sorted(FAMILIES)
