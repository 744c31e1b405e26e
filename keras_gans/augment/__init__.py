"""Data-efficient GAN training: DiffAugment, ADA, and consistency regularization.

`get(identifier)` turns the `compile(augment=...)` option into an object:

* `"diffaugment"` (or `{"name": "diffaugment", "policy": "color,translation"}`):
  `DiffAugment`, applied to every image D sees in training;
* `"ada"` (or `{"name": "ada", "ada_kimg": 20}`): `AdaptiveAugment` with its
  probability p steered by the sign-of-D(real) controller;
* `"cr"`, `"bcr"`, `"zcr"`, `"bcr+zcr"`: `ConsistencyRegularization` terms.

Each object's randomness comes from the model's replica-exact streams.

Example:

>>> get("ada").get_config()["target"]
0.6
>>> serialize(get({"name": "diffaugment", "policy": "translation"}))
{'name': 'diffaugment', 'policy': 'translation', 'translation_ratio': 0.125, 'cutout_ratio': 0.5}
"""

from keras_gans.augment.ada import AdaptiveAugment, ada_adjust  # noqa: F401
from keras_gans.augment.diffaugment import DiffAugment  # noqa: F401
from keras_gans.augment.regularization import MODES, ConsistencyRegularization  # noqa: F401

NAMES = ("diffaugment", "ada") + MODES


def get(identifier):
    """An augmentation object from a name, a `{"name": ..., **config}` dict, or an instance."""
    if identifier is None or isinstance(identifier, (DiffAugment, AdaptiveAugment,
                                                     ConsistencyRegularization)):
        return identifier
    if isinstance(identifier, str):
        identifier = {"name": identifier}
    if isinstance(identifier, dict):
        config = dict(identifier)
        name = str(config.pop("name", "")).lower()
        if name == "diffaugment":
            return DiffAugment(**config)
        if name == "ada":
            return AdaptiveAugment(**config)
        if name in MODES:
            config.pop("mode", None)
            return ConsistencyRegularization(mode=name, **config)
    raise ValueError(
        f"augment must be None, one of {NAMES}, a dict {{'name': ..., **options}} or an "
        f"augmentation object; got {identifier!r}.")


def serialize(augment):
    """The `{"name": ..., **config}` dict `get` rebuilds `augment` from (None stays None)."""
    return None if augment is None else augment.get_config()
