"""Layers shared by more than one family."""
