"""What every export format reads: one video's record, its clock and its live segments.

Rejected suggestions are left out of every export (they are negative training labels, not part
of the timeline) except the review export, which carries everything with its history; accepted
and still-suggested segments are written with their status.

:class:`ExportError` and the one atomic text writer (``write_text_atomic``) live in
:mod:`core.export.paths` and are re-exported here.

Thread: any thread with its own project connection; no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from core.export.paths import ExportError, write_text_atomic
from core.segments import REJECTED, Segment
from core.pipeline import media_status_key
from core.store.project import Project, VideoRecord
from core.timebase import FrameClock

# Tracks in the order exports list them; any other track follows, alphabetically.
TRACK_ORDER = ("shot", "transition", "scene", "speech", "word", "person", "action", "event",
               "scoreboard", "highlight", "cover", "crop")


@dataclass(frozen=True)
class ExportData:
    video: VideoRecord
    clock: FrameClock
    segments: dict[str, list[Segment]]  # track -> segments sorted by start, rejected left out
    # Only for review exports (load(..., review=True)): soft-deleted ids and each segment's history.
    deleted: frozenset[int] = frozenset()
    history: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # What the last decode pass found wrong with the file (e.g. it ends before its declared end).
    warnings: tuple[str, ...] = ()

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


def resolve_video(project: Project, ref: str | int | None, verify: bool = True) -> VideoRecord:
    """A video by id or file name (``None``: the only or first video).

    With ``verify`` a file at the video's path that is not the video the project was analysed
    from is refused (:meth:`Project.video_file`); a missing file is allowed, since exports only
    name it (readers of the frames ask ``video_file`` themselves)."""
    videos = project.videos()
    if not videos:
        raise ExportError(f"{project.path}: the project has no videos (run clipdesk analyze first)")
    found = videos[0] if ref is None or ref == "" else None
    text = str(ref)
    for v in videos if found is None else []:
        if text == str(v.id) or text == v.name or text == v.path or Path(text).name == v.name:
            found = v
            break
    if found is None:
        names = ", ".join(f"{v.id}:{v.name}" for v in videos)
        raise ExportError(f"no video '{ref}' in {project.path} (videos: {names})")
    if verify:
        project.video_file(found.id, missing_ok=True)
    return found


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
    status = project.get_setting(media_status_key(video_id)) or {}
    warnings = tuple(str(w) for w in status.get("warnings", [])) if isinstance(status, dict) else ()
    if not review:
        return ExportData(video, project.clock(video_id), ordered, warnings=warnings)
    ids = [s.id for segs in ordered.values() for s in segs if s.id is not None]
    return ExportData(video, project.clock(video_id), ordered,
                      deleted=frozenset(i for i in ids if project.is_deleted(i)),
                      history={i: project.history(i) for i in ids}, warnings=warnings)


__all__ = ["ExportData", "ExportError", "load", "resolve_video", "track_sort_key", "write_text_atomic"]
