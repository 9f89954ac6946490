"""Scoreboard reading: locate the board (``locate``), parse OCR lines (``parse``), smooth the
readings over time into constant segments (``smooth``) and turn changes into events (``events``).

Pure functions over plain data (no OCR engine here: ``models.ocr`` supplies text); callable from
any thread.
"""

from core.scoreboard.events import score_events
from core.scoreboard.locate import BoardLayout, TextBox, locate_candidates
from core.scoreboard.parse import BoardReading, parse_board
from core.scoreboard.smooth import Observation, smooth_readings

__all__ = ["BoardLayout", "BoardReading", "Observation", "TextBox", "locate_candidates",
           "parse_board", "score_events", "smooth_readings"]
