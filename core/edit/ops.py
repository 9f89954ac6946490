"""Undoable timeline edits: the document side of undo (Kdenlive/Anki style).

Every edit runs inside one ``project.transaction()``: it either succeeds whole or changes
nothing. Writes go through ``Project.insert_segment/update_segment/delete_segment`` so the
label history keeps who/when/old/new (a machine value is never lost, deletes are soft). Each
edit returns a :class:`ChangeSet` naming the touched tracks and segments, so a view refreshes
only those. The Qt ``QUndoStack`` in ``app/`` is only an adapter over :class:`EditStack`.

How undo works: the first ``redo()`` of an edit performs it and records a snapshot of every
segment it touched before and after; ``undo()`` writes the "before" snapshot back and later
``redo()`` calls write the "after" snapshot. Ids stay stable: undoing an insert soft-deletes
the row, redoing it restores the same id.

Thread: whichever thread owns the project's writer (the UI thread in the app); no Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from core.errors import ClipDeskError, ProjectError
from core.segments import ACCEPTED, REJECTED, SCENE, SHOT, SUGGESTED, Segment
from core.store.project import Project, default_user, new_batch

# Tracks whose segments tile the video: moving one edge moves the neighbour's touching edge.
TILING_TRACKS = frozenset({SHOT, SCENE})
STATUSES = frozenset({SUGGESTED, ACCEPTED, REJECTED})
_FIELDS = ("track", "start_frame", "end_frame", "label", "confidence", "attrs", "status", "source")


class EditError(ClipDeskError):
    """An edit was refused (bad range, unknown segment, ...); nothing was changed."""


@dataclass
class ChangeSet:
    video_id: int
    tracks: set[str] = field(default_factory=set)  # tracks touched (the UI refreshes only these)
    segment_ids: set[int] = field(default_factory=set)  # created/changed/deleted/restored

    def merge(self, other: "ChangeSet") -> None:
        self.tracks |= other.tracks
        self.segment_ids |= other.segment_ids


@dataclass(frozen=True)
class _State:
    """A segment's stored values, or ``fields=None`` for 'did not exist yet' (soft-deleted)."""

    fields: dict[str, Any] | None
    deleted: bool


def _snapshot(project: Project, seg_id: int) -> _State:
    s = project.segment(seg_id)
    return _State({k: getattr(s, k) for k in _FIELDS}, project.is_deleted(seg_id))


def _load(project: Project, seg_id: int, *, live: bool = True) -> Segment:
    try:
        s = project.segment(seg_id)
    except ProjectError:
        raise EditError(f"no segment {seg_id}") from None
    if live and project.is_deleted(seg_id):
        raise EditError(f"segment {seg_id} is deleted")
    return s


def _accept_status(seg: Segment) -> str:
    """Editing a machine suggestion means a person looked at it: it becomes accepted."""
    return ACCEPTED if seg.status == SUGGESTED else seg.status


def _check_range(project: Project, video_id: int, start: int, end: int) -> None:
    if end <= start:
        raise EditError(f"segment would have no length ({start}..{end})")
    if start < 0:
        raise EditError(f"segment would start before the video ({start})")
    n = project.video(video_id).frame_count
    if n > 0 and end > n:
        raise EditError(f"segment would end after the video ({end} > {n} frames)")


class Edit:
    """Base class: subclasses implement :meth:`_do` (the first execution) only."""

    text: str = "Edit"

    def __init__(self) -> None:
        self._before: dict[int, _State] = {}
        self._after: dict[int, _State] | None = None
        self._video_id: int | None = None

    # -- for subclasses ---------------------------------------------------------------------
    def _do(self, project: Project, who: str, batch: str) -> None:
        raise NotImplementedError

    def _remember(self, project: Project, seg_id: int) -> None:
        """Call before changing a segment: records its 'before' state (first call wins)."""
        if seg_id not in self._before:
            self._before[seg_id] = _snapshot(project, seg_id)

    def _created(self, seg_id: int) -> None:
        self._before.setdefault(seg_id, _State(None, True))

    def _update(self, project: Project, seg: Segment, who: str, batch: str, **fields: Any) -> None:
        assert seg.id is not None
        self._remember(project, seg.id)
        self._video_id = seg.video_id
        project.update_segment(seg.id, who=who, batch=batch, **fields)

    # -- public -----------------------------------------------------------------------------
    def redo(self, project: Project, who: str, batch: str | None = None) -> ChangeSet:
        """Do (or redo) the edit. ``batch`` groups the history rows of one user operation."""
        batch = batch or new_batch()
        if self._after is None:
            try:
                with project.transaction():
                    self._do(project, who, batch)
                    after = {sid: _snapshot(project, sid) for sid in self._before}
            except BaseException:
                self._reset()
                raise
            self._after = after
            return self._changes(project)
        return self._apply(project, who, batch, self._after)

    def undo(self, project: Project, who: str, batch: str | None = None) -> ChangeSet:
        if self._after is None:
            raise EditError(f"cannot undo '{self.text}': it was not done")
        return self._apply(project, who, batch or new_batch(), self._before)

    def _reset(self) -> None:
        self._before = {}
        self._after = None

    def _apply(self, project: Project, who: str, batch: str, states: dict[int, _State]) -> ChangeSet:
        with project.transaction():
            for sid, st in states.items():
                try:
                    cur = _snapshot(project, sid)
                except ProjectError:
                    raise EditError(f"segment {sid} no longer exists; cannot {self.text}") from None
                if st.fields is not None:
                    assert cur.fields is not None
                    diff = {k: v for k, v in st.fields.items() if cur.fields[k] != v}
                    if diff:
                        project.update_segment(sid, who=who, batch=batch, **diff)
                if cur.deleted != st.deleted:
                    project.delete_segment(sid, who=who, batch=batch, deleted=st.deleted)
        return self._changes(project)

    def _changes(self, project: Project) -> ChangeSet:
        tracks: set[str] = set()
        vid = self._video_id
        for sid in self._before:
            seg = project.segment(sid)
            tracks.add(seg.track)
            vid = seg.video_id if vid is None else vid
            st = self._before[sid]
            if st.fields is not None:
                tracks.add(st.fields["track"])
        return ChangeSet(vid or 0, tracks, set(self._before))


class AddSegment(Edit):
    """A new segment made by a person (e.g. from I/O marks): source ``who``, status accepted."""

    text = "Add segment"

    def __init__(self, video_id: int, segment: Segment) -> None:
        super().__init__()
        self.video_id = video_id
        self.segment = segment
        self.id: int | None = None  # the new segment's id once done

    def _do(self, project: Project, who: str, batch: str) -> None:
        s = self.segment
        _check_range(project, self.video_id, s.start_frame, s.end_frame)
        if s.track in TILING_TRACKS:
            hit = project.query(
                "SELECT id FROM segments WHERE video_id=? AND track=? AND deleted=0 AND start_frame<?"
                " AND end_frame>? LIMIT 1", (self.video_id, s.track, s.end_frame, s.start_frame))
            if hit:
                raise EditError(f"the new {s.track} would overlap {s.track} {hit[0]['id']}"
                                f" ({s.track}s tile the video: split one instead)")
        self._video_id = self.video_id
        new = project.insert_segment(self.video_id, s.with_(source=who, status=ACCEPTED, id=None),
                                     who=who, batch=batch)
        assert new.id is not None
        self.id = new.id
        self._created(new.id)


class DeleteSegments(Edit):
    """Soft-delete segments. On tiling tracks (shot, scene) a neighbour takes the frames."""

    text = "Delete segments"

    def __init__(self, ids: Sequence[int]) -> None:
        super().__init__()
        self.ids = list(dict.fromkeys(ids))
        if len(self.ids) == 1:
            self.text = "Delete segment"

    def _do(self, project: Project, who: str, batch: str) -> None:
        if not self.ids:
            raise EditError("nothing to delete")
        for sid in self.ids:
            seg = _load(project, sid)
            self._video_id = seg.video_id
            if seg.track in TILING_TRACKS:
                # Shots/scenes keep tiling: deleting one removes the cut at its start (the previous
                # segment takes its frames), or at its end for the first one.
                prev, nxt = _track_neighbours(project, seg)
                if prev is not None and prev.end_frame == seg.start_frame:
                    self._update(project, prev, who, batch, end_frame=seg.end_frame,
                                 status=_accept_status(prev))
                elif nxt is not None and nxt.start_frame == seg.end_frame:
                    self._update(project, nxt, who, batch, start_frame=seg.start_frame,
                                 status=_accept_status(nxt))
            self._remember(project, sid)
            project.delete_segment(sid, who=who, batch=batch)


def _seg_or_none(project: Project, rows: list[Any]) -> Segment | None:
    return project.segment(int(rows[0]["id"])) if rows else None


def _track_neighbours(project: Project, seg: Segment) -> tuple[Segment | None, Segment | None]:
    """The live segments of ``seg``'s track starting just before and just after it (indexed
    queries, so a drag on a track of thousands of shots stays instant)."""
    base = "SELECT id FROM segments WHERE video_id=? AND track=? AND deleted=0 AND id!=? AND start_frame"
    args = (seg.video_id, seg.track, seg.id, seg.start_frame)
    prev = project.query(f"{base}<? ORDER BY start_frame DESC, end_frame DESC LIMIT 1", args)
    nxt = project.query(f"{base}>? ORDER BY start_frame, end_frame LIMIT 1", args)
    return _seg_or_none(project, prev), _seg_or_none(project, nxt)


class SetBounds(Edit):
    """Move a segment's edges. On tiling tracks (shot, scene) the neighbour's touching edge
    moves with it (``ripple`` defaults to True there); a move that would leave any segment
    without length or cross a neighbour is refused."""

    text = "Move segment edges"

    def __init__(self, segment_id: int, start_frame: int, end_frame: int,
                 ripple: bool | None = None) -> None:
        super().__init__()
        self.segment_id = segment_id
        self.start_frame = int(start_frame)
        self.end_frame = int(end_frame)
        self.ripple = ripple

    def _do(self, project: Project, who: str, batch: str) -> None:
        seg = _load(project, self.segment_id)
        assert seg.video_id is not None
        s, e = self.start_frame, self.end_frame
        if (s, e) == (seg.start_frame, seg.end_frame):
            raise EditError("segment edges are unchanged")
        _check_range(project, seg.video_id, s, e)
        tiling = seg.track in TILING_TRACKS
        ripple = tiling if self.ripple is None else self.ripple
        prev, nxt = _track_neighbours(project, seg)
        if tiling or ripple:
            if prev is not None and s < prev.end_frame and not (ripple and prev.end_frame == seg.start_frame):
                raise EditError(f"the start would cross the previous segment (ends at {prev.end_frame})")
            if nxt is not None and e > nxt.start_frame and not (ripple and nxt.start_frame == seg.end_frame):
                raise EditError(f"the end would cross the next segment (starts at {nxt.start_frame})")
        if ripple and prev is not None and prev.end_frame == seg.start_frame and s != seg.start_frame:
            if s <= prev.start_frame:
                raise EditError(f"the start would cross the previous segment (starts at {prev.start_frame})")
            self._update(project, prev, who, batch, end_frame=s, status=_accept_status(prev))
        if ripple and nxt is not None and nxt.start_frame == seg.end_frame and e != seg.end_frame:
            if e >= nxt.end_frame:
                raise EditError(f"the end would cross the next segment (ends at {nxt.end_frame})")
            self._update(project, nxt, who, batch, start_frame=e, status=_accept_status(nxt))
        self._update(project, seg, who, batch, start_frame=s, end_frame=e, status=_accept_status(seg))


class Split(Edit):
    """Cut a segment at ``frame``: the left part keeps the id, the right part is new; both keep
    label, confidence, attrs and source."""

    text = "Split segment"

    def __init__(self, segment_id: int, frame: int) -> None:
        super().__init__()
        self.segment_id = segment_id
        self.frame = int(frame)
        self.new_id: int | None = None

    def _do(self, project: Project, who: str, batch: str) -> None:
        seg = _load(project, self.segment_id)
        assert seg.video_id is not None
        f = self.frame
        if not seg.start_frame < f < seg.end_frame:
            raise EditError(f"frame {f} is not inside the segment ({seg.start_frame}..{seg.end_frame})")
        status = _accept_status(seg)
        self._update(project, seg, who, batch, end_frame=f, status=status)
        right = project.insert_segment(
            seg.video_id, seg.with_(start_frame=f, end_frame=seg.end_frame, status=status, id=None),
            who=who, batch=batch)
        assert right.id is not None
        self.new_id = right.id
        self._created(right.id)


class Merge(Edit):
    """Neighbouring segments of one track become one: the earliest keeps its id, label and
    attrs and spans them all; the others are soft-deleted."""

    text = "Merge segments"

    def __init__(self, segment_ids: Sequence[int]) -> None:
        super().__init__()
        self.segment_ids = list(dict.fromkeys(segment_ids))

    def _do(self, project: Project, who: str, batch: str) -> None:
        if len(self.segment_ids) < 2:
            raise EditError("merge needs at least two segments")
        segs = sorted((_load(project, i) for i in self.segment_ids),
                      key=lambda s: (s.start_frame, s.end_frame))
        if len({(s.video_id, s.track) for s in segs}) != 1:
            raise EditError("only segments on the same track of one video can be merged")
        first = segs[0]
        assert first.video_id is not None
        start = first.start_frame
        end = max(s.end_frame for s in segs)
        chosen = {s.id for s in segs}
        between = [s for s in project.segments(first.video_id, first.track)
                   if s.id not in chosen and s.start_frame < end and s.end_frame > start
                   and not (s.start_frame < start or s.end_frame > end)]
        if between:
            raise EditError(f"segment {between[0].id} lies between the segments to merge")
        reach = segs[0].end_frame
        for s in segs[1:]:
            if s.start_frame > reach and first.track in TILING_TRACKS:
                raise EditError("only touching segments can be merged on this track")
            reach = max(reach, s.end_frame)
        self._update(project, first, who, batch, end_frame=end, status=_accept_status(first))
        for s in segs[1:]:
            assert s.id is not None
            self._remember(project, s.id)
            project.delete_segment(s.id, who=who, batch=batch)


class Relabel(Edit):
    text = "Change label"

    def __init__(self, segment_ids: Sequence[int], label: str | None) -> None:
        super().__init__()
        self.segment_ids = list(dict.fromkeys(segment_ids))
        self.label = label

    def _do(self, project: Project, who: str, batch: str) -> None:
        if not self.segment_ids:
            raise EditError("no segments to relabel")
        for sid in self.segment_ids:
            seg = _load(project, sid)
            self._update(project, seg, who, batch, label=self.label, status=_accept_status(seg))


class SetStatus(Edit):
    """Accept or reject machine suggestions (or put them back to suggested)."""

    def __init__(self, segment_ids: Sequence[int], status: str) -> None:
        super().__init__()
        if status not in STATUSES:
            raise EditError(f"unknown status '{status}' (use {', '.join(sorted(STATUSES))})")
        self.segment_ids = list(dict.fromkeys(segment_ids))
        self.status = status
        self.text = {ACCEPTED: "Accept", REJECTED: "Reject"}.get(status, "Mark unreviewed")

    def _do(self, project: Project, who: str, batch: str) -> None:
        if not self.segment_ids:
            raise EditError("no segments selected")
        for sid in self.segment_ids:
            seg = _load(project, sid)
            self._update(project, seg, who, batch, status=self.status)


class SetAttrs(Edit):
    """Merge ``attrs`` into the segment's attributes; a value of ``None`` removes that key."""

    text = "Change attributes"

    def __init__(self, segment_id: int, attrs: dict[str, Any]) -> None:
        super().__init__()
        self.segment_id = segment_id
        self.attrs = dict(attrs)

    def _do(self, project: Project, who: str, batch: str) -> None:
        seg = _load(project, self.segment_id)
        new = dict(seg.attrs)
        for k, v in self.attrs.items():
            if v is None:
                new.pop(k, None)
            else:
                new[k] = v
        self._update(project, seg, who, batch, attrs=new, status=_accept_status(seg))


class Batch(Edit):
    """Several edits as one undo step (all or nothing)."""

    def __init__(self, text: str, edits: Sequence[Edit]) -> None:
        super().__init__()
        self.text = text
        self.edits = list(edits)

    def redo(self, project: Project, who: str, batch: str | None = None) -> ChangeSet:
        if not self.edits:
            raise EditError("empty batch")
        first = self._after is None
        try:
            with project.transaction():
                batch = batch or new_batch()  # one history batch for the whole step
                cs = [e.redo(project, who, batch) for e in self.edits]
        except BaseException:
            if first:
                for e in self.edits:
                    e._reset()
            raise
        self._after = {}
        return _union(cs)

    def undo(self, project: Project, who: str, batch: str | None = None) -> ChangeSet:
        if self._after is None:
            raise EditError(f"cannot undo '{self.text}': it was not done")
        batch = batch or new_batch()
        with project.transaction():
            cs = [e.undo(project, who, batch) for e in reversed(self.edits)]
        return _union(cs)


def _union(changes: Sequence[ChangeSet]) -> ChangeSet:
    out = ChangeSet(next((c.video_id for c in changes if c.video_id), 0))
    for c in changes:
        out.merge(c)
    return out


class EditStack:
    """The document's undo history. ``on_change`` is called with each ChangeSet applied."""

    def __init__(self, project: Project, who: str | None = None,
                 on_change: Callable[[ChangeSet], None] | None = None) -> None:
        self.project = project
        self.who = who or default_user()
        self.on_change = on_change
        self._edits: list[Edit] = []
        self._index = 0  # edits[:index] are done

    def _emit(self, cs: ChangeSet) -> ChangeSet:
        if self.on_change is not None:
            self.on_change(cs)
        return cs

    def push(self, edit: Edit) -> ChangeSet:
        """Do ``edit``; on success it becomes the next undo step (dropping any redo steps)."""
        cs = edit.redo(self.project, self.who)
        del self._edits[self._index:]
        self._edits.append(edit)
        self._index = len(self._edits)
        return self._emit(cs)

    def undo(self) -> ChangeSet | None:
        if not self.can_undo:
            return None
        cs = self._edits[self._index - 1].undo(self.project, self.who)
        self._index -= 1
        return self._emit(cs)

    def redo(self) -> ChangeSet | None:
        if not self.can_redo:
            return None
        cs = self._edits[self._index].redo(self.project, self.who)
        self._index += 1
        return self._emit(cs)

    def clear(self) -> None:
        self._edits.clear()
        self._index = 0

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._edits)

    @property
    def undo_text(self) -> str:
        return self._edits[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._edits[self._index].text if self.can_redo else ""

    @property
    def index(self) -> int:
        return self._index

    @property
    def count(self) -> int:
        return len(self._edits)


# -- navigation ---------------------------------------------------------------------------------
def next_segment(project: Project, video_id: int, track: str, frame: int,
                 direction: int = 1) -> Segment | None:
    """The next (direction > 0) or previous segment of ``track`` by start frame, from ``frame``."""
    op, order = (">", "") if direction >= 0 else ("<", " DESC")
    rows = project.query(
        f"SELECT id FROM segments WHERE video_id=? AND track=? AND deleted=0 AND start_frame{op}?"
        f" ORDER BY start_frame{order}, end_frame{order}, id{order} LIMIT 1", (video_id, track, frame))
    return _seg_or_none(project, rows)


def next_unreviewed(project: Project, video_id: int, frame: int, tracks: Sequence[str] | None = None,
                    direction: int = 1) -> Segment | None:
    """The nearest still-suggested segment starting after (or before) ``frame``."""
    op, order = (">", "") if direction >= 0 else ("<", " DESC")
    sql = "SELECT id FROM segments WHERE video_id=? AND deleted=0 AND status=? AND start_frame" + op + "?"
    args: list[Any] = [video_id, SUGGESTED, frame]
    if tracks is not None:
        if not tracks:
            return None
        sql += f" AND track IN ({','.join('?' * len(tracks))})"
        args.extend(tracks)
    sql += f" ORDER BY start_frame{order}, track, id LIMIT 1"
    return _seg_or_none(project, project.query(sql, args))
