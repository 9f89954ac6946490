"""Persons: YOLO pose detection and tracking (``pose``) and the ``persons`` stage (``stage``)."""
