"""Undoable edits as round trips: state0 -> edit -> state1 -> undo -> state0 -> redo -> state1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.media.reader import MediaInfo
from core.edit.ops import (
    AddSegment,
    Batch,
    ChangeSet,
    DeleteSegments,
    Edit,
    EditError,
    EditStack,
    Merge,
    Relabel,
    SetAttrs,
    SetBounds,
    SetStatus,
    Split,
    next_segment,
    next_unreviewed,
)
from core.segments import ACCEPTED, REJECTED, SUGGESTED, Segment
from core.store.project import Project
from core.timebase import Rate

WHO = "user:tester"


def _add_video(project: Project, tmp_path: Path, frames: int = 300) -> int:
    """A registered video without decoding: ops only need its frame count."""
    f = tmp_path / "v.mp4"
    f.write_bytes(b"placeholder")
    info = MediaInfo(path=str(f), size_bytes=11, container="mp4", video_codec="h264", width=320,
                     height=240, rate=Rate(25), frame_count=frames, duration=frames / 25)
    return project.add_video(info).id


def state(project: Project, video_id: int) -> list[tuple[Any, ...]]:
    """Everything an edit may change, including soft-deleted rows."""
    return [(s.id, s.track, s.start_frame, s.end_frame, s.label, s.confidence, tuple(sorted(s.attrs.items())),
             s.status, s.source, project.is_deleted(s.id or 0))
            for s in project.segments(video_id, include_deleted=True)]


@pytest.fixture
def vid(project: Project, tmp_path: Path) -> int:
    v = _add_video(project, tmp_path)
    src = "model:shots@1"
    for a, b in ((0, 100), (100, 180), (180, 300)):
        project.insert_segment(v, Segment("shot", a, b, confidence=0.9, source=src), history=False)
    project.insert_segment(v, Segment("speech", 20, 60, label="hello there", source="model:asr@1"),
                           history=False)
    project.insert_segment(v, Segment("speech", 70, 90, label="again", source="model:asr@1"),
                           history=False)
    return v


def ids(project: Project, v: int, track: str) -> list[int]:
    return [s.id or 0 for s in project.segments(v, track)]


def round_trip(project: Project, v: int, edit: Edit) -> tuple[list[Any], list[Any], ChangeSet]:
    seen: list[ChangeSet] = []
    stack = EditStack(project, WHO, on_change=seen.append)
    s0 = state(project, v)
    cs = stack.push(edit)
    s1 = state(project, v)
    assert s1 != s0
    assert stack.can_undo and not stack.can_redo and stack.undo_text == edit.text
    assert stack.undo() is not None
    assert _same_live(state(project, v), s0)
    assert stack.can_redo and stack.redo_text == edit.text
    assert stack.redo() is not None
    assert state(project, v) == s1
    assert stack.undo() is not None and _same_live(state(project, v), s0)
    assert stack.redo() is not None and state(project, v) == s1
    assert len(seen) == 5 and all(c.video_id == v for c in seen)
    return s0, s1, cs


def _same_live(now: list[Any], before: list[Any]) -> bool:
    """After undo every old row is back exactly and every row the edit created is soft-deleted."""
    old_ids = {r[0] for r in before}
    return [r for r in now if r[0] in old_ids] == before and all(r[-1] for r in now if r[0] not in old_ids)


def test_add_segment_round_trip(project: Project, vid: int) -> None:
    edit = AddSegment(vid, Segment("highlight", 40, 120, label="goal"))
    _, _, cs = round_trip(project, vid, edit)
    assert cs.tracks == {"highlight"} and cs.segment_ids == {edit.id}
    seg = project.segment(edit.id or 0)
    assert seg.source == WHO and seg.status == ACCEPTED and not project.is_deleted(seg.id or 0)
    ops = [h["op"] for h in project.history(seg.id or 0)]
    assert ops == ["create", "delete", "restore", "delete", "restore"]
    assert {h["who"] for h in project.history(seg.id or 0)} == {WHO}


def test_delete_round_trip_is_soft(project: Project, vid: int) -> None:
    sp = ids(project, vid, "speech")
    _, s1, cs = round_trip(project, vid, DeleteSegments(sp))
    assert cs.tracks == {"speech"} and cs.segment_ids == set(sp)
    assert project.segments(vid, "speech") == []
    assert len(project.segments(vid, "speech", include_deleted=True)) == 2


def test_delete_shot_keeps_tiling(project: Project, vid: int) -> None:
    a, b, c = ids(project, vid, "shot")
    _, _, cs = round_trip(project, vid, DeleteSegments([b]))
    assert [(s.id, s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == [
        (a, 0, 180), (c, 180, 300)]
    assert cs.segment_ids == {a, b}
    round_trip(project, vid, DeleteSegments([a]))  # the first shot: the next one takes its frames
    assert [(s.id, s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == [(c, 0, 300)]


def test_add_overlapping_shot_is_refused(project: Project, vid: int) -> None:
    s0 = state(project, vid)
    with pytest.raises(EditError, match="split"):
        EditStack(project, WHO).push(AddSegment(vid, Segment("shot", 50, 60)))
    assert state(project, vid) == s0


def test_set_bounds_ripples_on_shots(project: Project, vid: int) -> None:
    a, b, c = ids(project, vid, "shot")
    _, _, cs = round_trip(project, vid, SetBounds(b, 90, 190))
    spans = [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")]
    assert spans == [(0, 90), (90, 190), (190, 300)]
    assert cs.segment_ids == {a, b, c} and cs.tracks == {"shot"}
    assert all(s.status == ACCEPTED for s in project.segments(vid, "shot"))
    hist = project.history(b)
    starts = [h for h in hist if h["field"] == "start_frame"]
    assert starts[0]["old_value"] == 100 and starts[0]["new_value"] == 90 and starts[0]["who"] == WHO
    assert any(h["field"] == "status" and h["old_value"] == SUGGESTED for h in hist)


def test_set_bounds_without_ripple_on_free_track(project: Project, vid: int) -> None:
    first, second = ids(project, vid, "speech")
    round_trip(project, vid, SetBounds(first, 25, 75))  # free tracks may overlap
    assert [(s.start_frame, s.end_frame) for s in project.segments(vid, "speech")] == [(25, 75), (70, 90)]


@pytest.mark.parametrize("bounds", [(90, 90), (95, 90), (-1, 50), (250, 301), (0, 180), (100, 300)])
def test_set_bounds_refusals_change_nothing(project: Project, vid: int, bounds: tuple[int, int]) -> None:
    b = ids(project, vid, "shot")[1]
    stack = EditStack(project, WHO)
    s0 = state(project, vid)
    n_hist = len(project.history(b))
    with pytest.raises(EditError):
        stack.push(SetBounds(b, *bounds))
    assert state(project, vid) == s0 and len(project.history(b)) == n_hist
    assert not stack.can_undo


def test_set_bounds_no_ripple_on_shots_refuses_overlap(project: Project, vid: int) -> None:
    b = ids(project, vid, "shot")[1]
    stack = EditStack(project, WHO)
    with pytest.raises(EditError):
        stack.push(SetBounds(b, 90, 180, ripple=False))
    stack.push(SetBounds(b, 110, 180, ripple=False))  # leaves a gap: allowed when asked
    assert [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == [
        (0, 100), (110, 180), (180, 300)]


def test_split_round_trip(project: Project, vid: int) -> None:
    first = ids(project, vid, "speech")[0]
    edit = Split(first, 40)
    _, _, cs = round_trip(project, vid, edit)
    left, right = project.segment(first), project.segment(edit.new_id or 0)
    assert (left.start_frame, left.end_frame, right.start_frame, right.end_frame) == (20, 40, 40, 60)
    assert left.label == right.label == "hello there" and right.source == left.source
    assert cs.segment_ids == {first, edit.new_id}
    with pytest.raises(EditError):
        EditStack(project, WHO).push(Split(first, 20))


def test_merge_round_trip(project: Project, vid: int) -> None:
    a, b, c = ids(project, vid, "shot")
    round_trip(project, vid, Merge([b, a]))
    assert [(s.id, s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == [
        (a, 0, 180), (c, 180, 300)]
    assert project.is_deleted(b)


def test_merge_refuses_gaps_and_mixed_tracks(project: Project, vid: int) -> None:
    a, _, c = ids(project, vid, "shot")
    sp = ids(project, vid, "speech")
    stack = EditStack(project, WHO)
    s0 = state(project, vid)
    for bad in ([a, c], [a, sp[0]], [a]):
        with pytest.raises(EditError):
            stack.push(Merge(bad))
    assert state(project, vid) == s0


def test_relabel_status_attrs_round_trips(project: Project, vid: int) -> None:
    sp = ids(project, vid, "speech")
    round_trip(project, vid, Relabel(sp, "fixed text"))
    assert [s.label for s in project.segments(vid, "speech")] == ["fixed text", "fixed text"]
    old = [h for h in project.history(sp[0]) if h["field"] == "label"][0]
    assert old["old_value"] == "hello there"  # the machine's value survives in the history
    round_trip(project, vid, SetStatus([sp[1]], REJECTED))
    assert project.segment(sp[1]).status == REJECTED
    round_trip(project, vid, SetAttrs(sp[0], {"cover_frame": 30, "note": "x"}))
    round_trip(project, vid, SetAttrs(sp[0], {"note": None}))
    assert project.segment(sp[0]).attrs == {"cover_frame": 30}
    with pytest.raises(EditError):
        SetStatus(sp, "maybe")


def test_batch_is_one_step_and_all_or_nothing(project: Project, vid: int) -> None:
    a, b, _ = ids(project, vid, "shot")
    sp = ids(project, vid, "speech")
    stack = EditStack(project, WHO)
    s0 = state(project, vid)
    with pytest.raises(EditError):
        stack.push(Batch("Bad", [Relabel(sp, "x"), SetBounds(b, 5, 5)]))
    assert state(project, vid) == s0 and stack.count == 0
    cs = stack.push(Batch("Tidy", [Relabel(sp, "x"), SetBounds(b, 95, 180), DeleteSegments([sp[1]])]))
    assert cs.tracks == {"shot", "speech"} and stack.count == 1 and stack.undo_text == "Tidy"
    batches = {h["batch"] for sid in cs.segment_ids for h in project.history(sid) if h["op"] != "create"}
    assert len(batches) == 1  # one user operation in the history
    s1 = state(project, vid)
    stack.undo()
    assert state(project, vid) == s0
    stack.redo()
    assert state(project, vid) == s1


def test_stack_drops_redo_after_new_push(project: Project, vid: int) -> None:
    sp = ids(project, vid, "speech")
    stack = EditStack(project, WHO)
    stack.push(Relabel(sp, "a"))
    stack.push(Relabel(sp, "b"))
    stack.undo()
    assert stack.can_redo and stack.index == 1 and stack.count == 2
    stack.push(Relabel(sp, "c"))
    assert not stack.can_redo and stack.count == 2
    assert stack.undo() is not None and stack.undo() is not None and stack.undo() is None
    assert [s.label for s in project.segments(vid, "speech")] == ["hello there", "again"]
    stack.clear()
    assert stack.count == 0 and not stack.can_undo and stack.undo_text == ""


def test_edits_persist_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "p.clipdesk"
    with Project(path) as p:
        v = _add_video(p, tmp_path)
        sid = p.insert_segment(v, Segment("shot", 0, 300, source="model:shots@1")).id or 0
        stack = EditStack(p, WHO)
        stack.push(Split(sid, 120))
        stack.push(AddSegment(v, Segment("highlight", 10, 50, label="goal")))
        stack.undo()
        saved = state(p, v)
    with Project(path, create=False) as p:
        assert state(p, v) == saved
        assert [(s.start_frame, s.end_frame) for s in p.segments(v, "shot")] == [(0, 120), (120, 300)]
        assert p.segments(v, "highlight") == []


def test_navigation(project: Project, vid: int) -> None:
    a, b, c = ids(project, vid, "shot")
    assert (next_segment(project, vid, "shot", 0, 1) or Segment("x", 0, 0)).id == b
    assert (next_segment(project, vid, "shot", 150, -1) or Segment("x", 0, 0)).id == b
    assert next_segment(project, vid, "shot", 180, 1) is None
    sp = ids(project, vid, "speech")
    EditStack(project, WHO).push(SetStatus([sp[0]], ACCEPTED))
    nxt = next_unreviewed(project, vid, 0, tracks=["speech", "shot"])
    assert nxt is not None and nxt.id == sp[1]
    prev = next_unreviewed(project, vid, 100, direction=-1)
    assert prev is not None and prev.id == sp[1]
    assert next_unreviewed(project, vid, 300, tracks=["speech"]) is None
