"""Scoreboard: RapidOCR text detection and recognition (``ocr``) and the ``scoreboard`` stage
(``stage``)."""
