"""Shots: the TransNetV2 refiner (``transnet``) bound to ``core.shots`` in the ``shots`` stage
(``stage``)."""
