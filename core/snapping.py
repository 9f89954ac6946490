"""Snapping for timeline drags: where an edge may land and which target wins.

Targets are shot boundaries, speech-segment edges (the pauses between phrases), the playhead,
I/O marks and the edges of other segments. :class:`SnapIndex` keeps each track's edge frames
sorted and rebuilds only the tracks a :class:`~core.ops.ChangeSet` touched, so a drag over a
timeline of thousands of segments costs a bisect per mouse move.

Thread: the thread that owns the project connection (the UI thread); pure data otherwise.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterable, Sequence

from core.ops import ChangeSet
from core.segments import SHOT, SPEECH
from core.store.project import Project

# Preferred kind when two targets are equally near (lower wins).
PRIORITY = {"shot": 0, "speech": 1, "playhead": 2, "mark": 3, "edge": 4}


@dataclass(frozen=True, order=True)
class SnapTarget:
    frame: int
    kind: str  # shot | speech | playhead | mark | edge


def _kind_for(track: str) -> str:
    return "shot" if track == SHOT else "speech" if track == SPEECH else "edge"


class SnapIndex:
    """Sorted edge frames per track of one video, cached until a change touches the track."""

    def __init__(self, project: Project, video_id: int) -> None:
        self.project = project
        self.video_id = video_id
        self._edges: dict[str, list[tuple[int, int]]] | None = None  # track -> [(frame, seg id)]

    def invalidate(self, changes: ChangeSet | None = None) -> None:
        """Forget cached edges: all of them, or only the tracks ``changes`` touched."""
        if changes is None or self._edges is None:
            self._edges = None
            return
        if changes.video_id != self.video_id:
            return
        for t in changes.tracks:
            self._edges.pop(t, None)
        self._load(changes.tracks)

    def _load(self, tracks: Iterable[str] | None = None) -> dict[str, list[tuple[int, int]]]:
        if self._edges is None:
            self._edges = {}
            tracks = None
        wanted = set(tracks) if tracks is not None else None
        fresh: dict[str, list[tuple[int, int]]] = {}
        for seg in self.project.segments(self.video_id):
            if wanted is not None and seg.track not in wanted:
                continue
            lst = fresh.setdefault(seg.track, [])
            lst.append((seg.start_frame, seg.id or 0))
            lst.append((seg.end_frame, seg.id or 0))
        for t, lst in fresh.items():
            lst.sort()
            self._edges[t] = lst
        return self._edges

    def edges(self) -> dict[str, list[tuple[int, int]]]:
        return self._edges if self._edges is not None else self._load()

    def targets(self, *, playhead: int | None, exclude_ids: Iterable[int] = (),
                tracks: Sequence[str] | None = None, marks: Iterable[int] = ()) -> list[SnapTarget]:
        """All targets sorted by frame (then by priority); edges of ``exclude_ids`` are left out
        (the segment being dragged must not snap to itself)."""
        excl = set(exclude_ids)
        wanted = set(tracks) if tracks is not None else None
        found: set[SnapTarget] = set()
        for track, lst in self.edges().items():
            if wanted is not None and track not in wanted:
                continue
            kind = _kind_for(track)
            found.update(SnapTarget(f, kind) for f, sid in lst if sid not in excl)
        if playhead is not None:
            found.add(SnapTarget(int(playhead), "playhead"))
        found.update(SnapTarget(int(m), "mark") for m in marks)
        return sorted(found, key=lambda t: (t.frame, PRIORITY.get(t.kind, 99)))


def snap_targets(project: Project, video_id: int, *, playhead: int | None,
                 exclude_ids: Iterable[int] = (), tracks: Sequence[str] | None = None,
                 marks: Iterable[int] = ()) -> list[SnapTarget]:
    """One-off targets; keep a :class:`SnapIndex` instead while dragging repeatedly."""
    return SnapIndex(project, video_id).targets(playhead=playhead, exclude_ids=exclude_ids,
                                                tracks=tracks, marks=marks)


def snap(frame: int, targets: Sequence[SnapTarget], tolerance_frames: int) -> SnapTarget | None:
    """The nearest target within ``tolerance_frames`` of ``frame`` (``targets`` sorted by frame,
    as returned above); equally near targets prefer shot > speech > playhead > mark > edge."""
    if not targets or tolerance_frames < 0:
        return None
    lo = bisect.bisect_left(targets, frame - tolerance_frames, key=lambda t: t.frame)
    hi = bisect.bisect_right(targets, frame + tolerance_frames, key=lambda t: t.frame)
    best: SnapTarget | None = None
    best_key: tuple[int, int] | None = None
    for t in targets[lo:hi]:
        key = (abs(t.frame - frame), PRIORITY.get(t.kind, 99))
        if best_key is None or key < best_key:
            best, best_key = t, key
    return best
