"""Snapping for timeline drags: where an edge may land and which target wins.

Targets are shot boundaries, speech-segment edges (the pauses between phrases), the playhead,
I/O marks and the edges of other segments. :class:`SnapIndex` keeps each track's edge frames
sorted and rebuilds only the tracks a :class:`~core.edit.ops.ChangeSet` touched, so a drag over a
timeline of thousands of segments costs a bisect per mouse move.

Thread: the thread that owns the project connection (the UI thread); pure data otherwise.
"""

from __future__ import annotations

import bisect
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np

from core.edit.ops import ChangeSet
from core.segments import SHOT, SPEECH
from core.store.project import Project

# Preferred kind when two targets are equally near (lower wins).
PRIORITY = {"shot": 0, "speech": 1, "playhead": 2, "mark": 3, "edge": 4}
_KINDS = {p: k for k, p in PRIORITY.items()}


class SnapTarget(NamedTuple):
    frame: int
    kind: str  # shot | speech | playhead | mark | edge


def _kind_for(track: str) -> str:
    return "shot" if track == SHOT else "speech" if track == SPEECH else "edge"


class SnapIndex:
    """Sorted edge frames per track of one video, cached until a change touches the track."""

    def __init__(self, project: Project, video_id: int) -> None:
        self.project = project
        self.video_id = video_id
        self._edges: dict[str, np.ndarray] | None = None
        self._memo: tuple[Any, list[SnapTarget]] | None = None

    def invalidate(self, changes: ChangeSet | None = None) -> None:
        """Forget cached edges: all of them, or only the tracks ``changes`` touched."""
        self._memo = None
        if changes is None or self._edges is None:
            self._edges = None
            return
        if changes.video_id != self.video_id:
            return
        for t in changes.tracks:
            self._edges.pop(t, None)
        self._load(changes.tracks)

    def _load(self, tracks: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        if self._edges is None:
            self._edges = {}
            tracks = None
        wanted = set(tracks) if tracks is not None else None
        rows = self.project.query(  # plain columns only: no JSON decoding for thousands of rows
            "SELECT id, track, start_frame, end_frame FROM segments WHERE video_id=? AND deleted=0",
            (self.video_id,))
        fresh: dict[str, list[tuple[int, int, int]]] = {}
        for r in rows:
            if wanted is None or r["track"] in wanted:
                fresh.setdefault(r["track"], []).append((r["start_frame"], r["end_frame"], r["id"]))
        for t, lst in fresh.items():
            a = np.asarray(lst, dtype=np.int64).reshape(-1, 3)
            # rows of (frame, segment id): both edges of every segment
            self._edges[t] = np.concatenate([a[:, [0, 2]], a[:, [1, 2]]])
        return self._edges

    def edges(self) -> dict[str, np.ndarray]:
        """Track -> int64 array of rows ``(frame, segment id)``."""
        return self._edges if self._edges is not None else self._load()

    def targets(self, *, playhead: int | None, exclude_ids: Iterable[int] = (),
                tracks: Sequence[str] | None = None, marks: Iterable[int] = ()) -> list[SnapTarget]:
        """All targets sorted by frame (then by priority); edges of ``exclude_ids`` are left out
        (the segment being dragged must not snap to itself)."""
        excl = frozenset(int(i) for i in exclude_ids)
        mark_set = frozenset(int(m) for m in marks)
        key = (None if playhead is None else int(playhead), excl,
               None if tracks is None else tuple(tracks), mark_set)
        if self._memo is not None and self._memo[0] == key:
            return self._memo[1]  # a drag asks again and again with the same arguments
        wanted = set(tracks) if tracks is not None else None
        parts: list[np.ndarray] = []
        for track, arr in self.edges().items():
            if wanted is not None and track not in wanted:
                continue
            if excl:
                arr = arr[~np.isin(arr[:, 1], np.fromiter(excl, dtype=np.int64))]
            parts.append(arr[:, 0] * 8 + PRIORITY[_kind_for(track)])  # frame and kind in one key
        extra = [f * 8 + PRIORITY["mark"] for f in mark_set]
        if playhead is not None:
            extra.append(int(playhead) * 8 + PRIORITY["playhead"])
        parts.append(np.asarray(extra, dtype=np.int64))
        keys = np.unique(np.concatenate(parts))  # sorted by frame, then priority
        out = [SnapTarget(f, _KINDS[p]) for f, p in zip((keys >> 3).tolist(), (keys & 7).tolist(),
                                                         strict=True)]
        self._memo = (key, out)
        return out


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
