"""Persons: compact pose storage and tracks (``poses``) and classical ball detection (``ball``).
The detectors themselves live in ``models.persons``."""
