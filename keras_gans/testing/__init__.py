"""Test helpers shared by the families' test files."""

from keras_gans.testing.harness import GANFamilyTests, changed, trainable_snapshot  # noqa: F401
