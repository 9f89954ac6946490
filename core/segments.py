"""Plain data types for timeline content: segments on named tracks."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

# Track names used across ClipDesk (others may be added freely; the timeline shows any track).
SHOT = "shot"
TRANSITION = "transition"
SCENE = "scene"
SPEECH = "speech"
WORD = "word"
PERSON = "person"
ACTION = "action"
EVENT = "event"
SCOREBOARD = "scoreboard"
HIGHLIGHT = "highlight"
COVER = "cover"
CROP = "crop"

# Review status of a segment.
SUGGESTED = "suggested"  # made by a model, not yet looked at
ACCEPTED = "accepted"  # a person accepted or edited it
REJECTED = "rejected"  # a person rejected it (kept as a negative training label)


@dataclass(frozen=True)
class Segment:
    """A half-open frame range ``[start_frame, end_frame)`` on a track."""

    track: str
    start_frame: int
    end_frame: int
    label: str | None = None
    confidence: float | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    source: str = "user:local"
    status: str = SUGGESTED
    id: int | None = None
    video_id: int | None = None
    run_id: int | None = None

    def __post_init__(self) -> None:
        if self.end_frame < self.start_frame:
            raise ValueError(f"segment end {self.end_frame} before start {self.start_frame}")

    @property
    def length(self) -> int:
        return self.end_frame - self.start_frame

    def contains(self, frame: int) -> bool:
        return self.start_frame <= frame < self.end_frame

    def with_(self, **changes: Any) -> "Segment":
        return replace(self, **changes)

    @property
    def is_machine(self) -> bool:
        return self.source.startswith("model:")


def model_source(name: str, version: str) -> str:
    return f"model:{name}@{version}"
