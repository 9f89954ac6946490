"""Editing and navigation commands behind the window's shortcuts, as plain functions of the context.

Each command reads the context (selection, playhead, marks), builds a ``core.edit.ops`` edit and
applies it through ``ReviewContext.apply`` (undoable, persisted at once). They return a short
message for the status bar; refused edits raise ``core.errors.ClipDeskError`` with a one-line
reason. GUI thread only.
"""

from __future__ import annotations

from collections import Counter

from app.review.context import ReviewContext
from core import segments as sg
from core.errors import ClipDeskError
from core.segments import Segment

DEFAULT_LABELS: dict[str, list[str]] = {
    sg.HIGHLIGHT: ["goal", "save", "chance", "foul", "celebration", "replay"],
    sg.ACTION: ["pass", "shot_on_goal", "tackle", "header", "serve", "forehand", "backhand"],
    sg.EVENT: ["goal", "card", "substitution", "point", "break"],
    sg.TRANSITION: ["cut", "dissolve", "fade", "wipe"],
    sg.SCENE: ["play", "replay", "crowd", "studio", "close-up"],
    sg.SHOT: ["wide", "medium", "close-up", "replay", "crowd", "graphics"],
}


def _need_selection(ctx: ReviewContext) -> Segment:
    seg = ctx.selection
    if seg is None or seg.id is None:
        raise ClipDeskError("select a segment first")
    return seg


def split_at_playhead(ctx: ReviewContext) -> str:
    from core.edit.ops import Split

    seg = ctx.selection
    if seg is None or not seg.contains(ctx.playhead) or seg.id is None:
        # no selection: split the shot under the playhead
        cands = [s for s in ctx.segments(seg.track if seg is not None else sg.SHOT)
                 if s.contains(ctx.playhead)]
        if not cands:
            raise ClipDeskError("no segment under the playhead to split")
        seg = min(cands, key=lambda s: s.length)
    assert seg.id is not None
    ctx.apply(Split(seg.id, ctx.playhead))
    return f"Split {seg.track} #{seg.id} at frame {ctx.playhead}"


def next_on_track(ctx: ReviewContext, seg: Segment) -> Segment | None:
    after = [s for s in ctx.segments(seg.track) if s.id != seg.id and s.start_frame >= seg.start_frame
             and (s.start_frame, s.id or 0) > (seg.start_frame, seg.id or 0)]
    return min(after, key=lambda s: (s.start_frame, s.end_frame), default=None)


def _selected_ids(ctx: ReviewContext) -> list[int]:
    _need_selection(ctx)
    return [s.id for s in ctx.selected() if s.id is not None]


def merge_with_next(ctx: ReviewContext) -> str:
    """Merge the selected segments (Shift+click), or the selected one with the next."""
    from core.edit.ops import Merge

    seg = _need_selection(ctx)
    ids = _selected_ids(ctx)
    if len(ids) > 1:
        ctx.apply(Merge(ids))
        return f"Merged {len(ids)} {seg.track} segments"
    nxt = next_on_track(ctx, seg)
    if nxt is None or nxt.id is None:
        raise ClipDeskError("no next segment on this track to merge with")
    assert seg.id is not None
    ctx.apply(Merge([seg.id, nxt.id]))
    return f"Merged {seg.track} #{seg.id} with #{nxt.id}"


def delete_selected(ctx: ReviewContext) -> str:
    from core.edit.ops import DeleteSegments

    seg = _need_selection(ctx)
    ids = _selected_ids(ctx)
    ctx.apply(DeleteSegments(ids))
    return f"Deleted {seg.track} #{seg.id}" if len(ids) == 1 else f"Deleted {len(ids)} segments"


def add_from_marks(ctx: ReviewContext, track: str | None = None) -> Segment:
    from core.edit.ops import AddSegment

    if ctx.video is None:
        raise ClipDeskError("no video open")
    if track is None and ctx.selection is None and (ctx.mark_in is None or ctx.mark_out is None):
        # never a silent new highlight from a stray key: with nothing selected, both marks
        raise ClipDeskError("select a segment or set in/out marks (I, O) first")
    a = ctx.mark_in if ctx.mark_in is not None else ctx.playhead
    b = ctx.mark_out if ctx.mark_out is not None else None
    if b is None:
        raise ClipDeskError("set an out mark (O) first")
    a, b = min(a, b), max(a, b)
    if b == a:
        b = a + 1
    track = track or (ctx.selection.track if ctx.selection is not None else sg.HIGHLIGHT)
    edit = AddSegment(ctx.video.id, Segment(track, a, b))
    ctx.apply(edit)
    assert ctx.project is not None and edit.id is not None
    new = ctx.project.segment(edit.id)
    ctx.select(new)
    return new


def set_status(ctx: ReviewContext, status: str, advance: bool = True) -> str:
    from core.edit.ops import SetStatus

    seg = _need_selection(ctx)
    ids = _selected_ids(ctx)
    ctx.apply(SetStatus(ids, status))
    what = f"{seg.track} #{seg.id}" if len(ids) == 1 else f"{len(ids)} {seg.track} segments"
    msg = f"{'Accepted' if status == sg.ACCEPTED else 'Rejected'} {what}"
    if advance:
        jump_unreviewed(ctx, 1, tracks=[seg.track])
    return msg


def relabel(ctx: ReviewContext, label: str | None) -> str:
    from core.edit.ops import Relabel

    seg = _need_selection(ctx)
    ids = _selected_ids(ctx)
    ctx.apply(Relabel(ids, label))
    what = f"{seg.track} #{seg.id}" if len(ids) == 1 else f"{len(ids)} {seg.track} segments"
    return f"Labelled {what} \u2018{label}\u2019"


def labels_for(ctx: ReviewContext, track: str) -> list[str]:
    """The picker's labels for a track: project setting, then labels in use, then defaults."""
    out: list[str] = []
    if ctx.project is not None:
        stored = ctx.project.get_setting(f"labels.{track}")
        if isinstance(stored, list):
            out.extend(str(x) for x in stored)
    used = Counter(s.label for s in ctx.segments(track) if s.label)
    out.extend(lab for lab, _ in used.most_common())
    out.extend(DEFAULT_LABELS.get(track, []))
    return list(dict.fromkeys(out))[:9]


def jump_segment(ctx: ReviewContext, direction: int) -> Segment | None:
    from core.edit.ops import next_segment

    if ctx.project is None or ctx.video is None:
        return None
    track = ctx.selection.track if ctx.selection is not None else sg.SHOT
    pos = ctx.selection.start_frame if ctx.selection is not None else ctx.playhead
    seg = next_segment(ctx.project, ctx.video.id, track, pos, direction)
    if seg is not None:
        ctx.select(seg)
        ctx.seek(seg.start_frame)
    return seg


def jump_unreviewed(ctx: ReviewContext, direction: int,
                    tracks: list[str] | None = None) -> Segment | None:
    from core.edit.ops import next_unreviewed

    if ctx.project is None or ctx.video is None:
        return None
    pos = ctx.selection.start_frame if ctx.selection is not None else ctx.playhead
    seg = next_unreviewed(ctx.project, ctx.video.id, pos, tracks, direction)
    if seg is None and tracks is not None:
        seg = next_unreviewed(ctx.project, ctx.video.id, pos, None, direction)
    if seg is not None:
        ctx.select(seg)
        ctx.seek(seg.start_frame)
    return seg


def shot_boundary(ctx: ReviewContext, direction: int) -> int | None:
    """Frame of the previous/next shot boundary from the playhead (any track if no shots)."""
    segs = ctx.segments(sg.SHOT) or ctx.segments()
    bounds = sorted({s.start_frame for s in segs} | {s.end_frame for s in segs})
    f = ctx.playhead
    if direction > 0:
        cand = [b for b in bounds if b > f and b < ctx.frame_count]
        target = cand[0] if cand else None
    else:
        cand = [b for b in bounds if b < f]
        target = cand[-1] if cand else None
    if target is not None:
        ctx.seek(target)
    return target
