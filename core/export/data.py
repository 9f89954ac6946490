"""What every export format reads: one video's record, its clock and its live segments.

Rejected suggestions are left out of every export (they are negative training labels, not part
of the timeline) except the review export, which carries everything with its history; accepted
and still-suggested segments are written with their status.

Thread: any thread with its own project connection; no Qt.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from core.errors import ClipDeskError
from core.segments import REJECTED, Segment
from core.store.project import Project, VideoRecord
from core.timebase import FrameClock

# Tracks in the order exports list them; any other track follows, alphabetically.
TRACK_ORDER = ("shot", "transition", "scene", "speech", "word", "person", "action", "event",
               "scoreboard", "highlight", "cover", "crop")


class ExportError(ClipDeskError):
    """The export cannot be written as asked (unknown format, no such track or video, ...)."""


@dataclass(frozen=True)
class ExportData:
    video: VideoRecord
    clock: FrameClock
    segments: dict[str, list[Segment]]  # track -> segments sorted by start, rejected left out
    # Only for review exports (load(..., review=True)): soft-deleted ids and each segment's history.
    deleted: frozenset[int] = frozenset()
    history: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def tracks(self) -> list[str]:
        return list(self.segments)

    def time(self, frame: int) -> float:
        """Presentation time of ``frame`` in seconds, rounded to the microsecond."""
        return round(self.clock.time(frame), 6)

    def all_segments(self) -> list[Segment]:
        return [s for segs in self.segments.values() for s in segs]


def track_sort_key(track: str) -> tuple[int, str]:
    return (TRACK_ORDER.index(track) if track in TRACK_ORDER else len(TRACK_ORDER), track)


def resolve_video(project: Project, ref: str | int | None) -> VideoRecord:
    """A video by id or file name (``None``: the only or first video)."""
    videos = project.videos()
    if not videos:
        raise ExportError(f"{project.path}: the project has no videos (run clipdesk analyze first)")
    if ref is None or ref == "":
        return videos[0]
    text = str(ref)
    for v in videos:
        if text == str(v.id) or text == v.name or text == v.path or Path(text).name == v.name:
            return v
    names = ", ".join(f"{v.id}:{v.name}" for v in videos)
    raise ExportError(f"no video '{ref}' in {project.path} (videos: {names})")


def load(project: Project, video_id: int, tracks: Sequence[str] | None = None,
         review: bool = False) -> ExportData:
    """The live, not rejected segments; with ``review`` every segment ever made (rejected and
    soft-deleted too) and the label history of each, for training on corrections."""
    video = project.video(video_id)
    if review:
        live = project.segments(video_id, include_deleted=True)
    else:
        live = [s for s in project.segments(video_id) if s.status != REJECTED]
    by_track: dict[str, list[Segment]] = {}
    for s in live:
        by_track.setdefault(s.track, []).append(s)
    if tracks:
        missing = [t for t in tracks if t not in by_track]
        if missing:
            have = ", ".join(sorted(by_track, key=track_sort_key)) or "none"
            raise ExportError(f"no track '{missing[0]}' in {video.name} (tracks: {have})")
        by_track = {t: by_track[t] for t in tracks}
    ordered = {t: sorted(by_track[t], key=lambda s: (s.start_frame, s.end_frame, s.id or 0))
               for t in sorted(by_track, key=track_sort_key)}
    if not review:
        return ExportData(video, project.clock(video_id), ordered)
    ids = [s.id for segs in ordered.values() for s in segs if s.id is not None]
    return ExportData(video, project.clock(video_id), ordered,
                      deleted=frozenset(i for i in ids if project.is_deleted(i)),
                      history={i: project.history(i) for i in ids})


def write_text_atomic(path: Path, text: str) -> Path:
    """Write via a temporary file in the same folder so a failed export leaves nothing half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
