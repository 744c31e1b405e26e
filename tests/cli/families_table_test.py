"""The CLI's TensorFlow-free family table matches the real registry."""

import inspect

from keras_gans import models
from keras_gans.cli.families_table import FAMILY_TABLE


def test_every_registered_family_has_a_row_and_every_row_a_family():
    assert sorted(FAMILY_TABLE) == models.list_families()


def test_class_names_and_descriptions_are_the_registry_s():
    for key, (class_name, _, description) in FAMILY_TABLE.items():
        cls = models.get(key)
        assert cls.__name__ == class_name, key
        assert (cls.__doc__ or "").strip().splitlines()[0] == description, key


def test_the_labels_column_says_which_families_are_conditional():
    for key, (_, conditional, _) in FAMILY_TABLE.items():
        cls = models.get(key)
        model = cls(**cls.example_config)
        assert (getattr(model, "num_classes", None) is not None) == conditional, key
