"""Scoreboard reading: locate the board (``locate``), parse OCR lines (``parse``), smooth the
readings over time into constant segments (``smooth``) and turn changes into events (``events``).

Pure functions over plain data (no OCR engine here: ``models.scoreboard.ocr`` supplies text); callable from
any thread.
"""

from core.match.scoreboard.events import score_events
from core.match.scoreboard.locate import BoardLayout, TextBox, locate_candidates
from core.match.scoreboard.parse import BoardReading, parse_board
from core.match.scoreboard.smooth import Observation, smooth_readings

__all__ = ["BoardLayout", "BoardReading", "Observation", "TextBox", "locate_candidates",
           "parse_board", "score_events", "smooth_readings"]
