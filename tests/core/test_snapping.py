"""Snap targets and the nearest-target rule, including cache refresh after edits."""

from __future__ import annotations

from pathlib import Path

from core.media.reader import MediaInfo
from core.edit.ops import EditStack, SetBounds
from core.segments import Segment
from core.edit.snapping import SnapIndex, SnapTarget, snap, snap_targets
from core.store.project import Project
from core.timebase import Rate


def _video(project: Project, tmp_path: Path, frames: int) -> int:
    f = tmp_path / "v.mp4"
    f.write_bytes(b"placeholder")
    info = MediaInfo(path=str(f), size_bytes=11, container="mp4", video_codec="h264", width=320,
                     height=240, rate=Rate(25), frame_count=frames, duration=frames / 25)
    return project.add_video(info).id


def _fill(project: Project, v: int) -> dict[str, int]:
    ids = {}
    for name, seg in {
        "shot1": Segment("shot", 0, 100, source="model:s@1"),
        "shot2": Segment("shot", 100, 200, source="model:s@1"),
        "speech": Segment("speech", 30, 96, label="hi", source="model:a@1"),
        "hl": Segment("highlight", 50, 150, source="user:x"),
        "act": Segment("action", 104, 120, source="model:act@1"),
    }.items():
        ids[name] = project.insert_segment(v, seg).id or 0
    return ids


def test_targets_kinds_and_exclusion(project: Project, tmp_path: Path) -> None:
    v = _video(project, tmp_path, 200)
    ids = _fill(project, v)
    t = snap_targets(project, v, playhead=97, exclude_ids=[ids["hl"]], marks=[10])
    assert t == sorted(t, key=lambda x: x.frame)
    kinds = {(x.frame, x.kind) for x in t}
    assert {(0, "shot"), (100, "shot"), (200, "shot"), (30, "speech"), (96, "speech"),
            (97, "playhead"), (10, "mark"), (104, "edge"), (120, "edge")} == kinds
    only = snap_targets(project, v, playhead=None, tracks=["speech"])
    assert [(x.frame, x.kind) for x in only] == [(30, "speech"), (96, "speech")]


def test_snap_nearest_and_priority(project: Project, tmp_path: Path) -> None:
    v = _video(project, tmp_path, 200)
    _fill(project, v)
    t = snap_targets(project, v, playhead=98, marks=[102])
    assert snap(98, t, 3) == SnapTarget(98, "playhead")  # nearest wins over the shot at 100
    assert snap(99, t, 3) == SnapTarget(100, "shot")  # playhead 98 and shot 100 tie: shot first
    assert snap(101, t, 3) == SnapTarget(100, "shot")  # 100 and 102 equally near: shot first
    assert snap(97, t, 1) == SnapTarget(96, "speech")  # 96 (speech) and 98 (playhead) tie
    assert snap(60, t, 5) is None
    assert snap(52, t, 2) == SnapTarget(50, "edge")
    assert snap(50, [], 5) is None and snap(50, t, -1) is None


def test_index_refreshes_touched_tracks(project: Project, tmp_path: Path) -> None:
    v = _video(project, tmp_path, 200)
    ids = _fill(project, v)
    index = SnapIndex(project, v)
    stack = EditStack(project, "user:t", on_change=index.invalidate)
    assert snap(82, index.targets(playhead=None), 3) is None
    stack.push(SetBounds(ids["shot2"], 80, 200))
    assert snap(82, index.targets(playhead=None), 3) == SnapTarget(80, "shot")
    stack.undo()
    assert snap(82, index.targets(playhead=None), 3) is None


def test_many_segments(project: Project, tmp_path: Path) -> None:
    n = 5000
    v = _video(project, tmp_path, n * 10)
    with project.transaction():
        for i in range(n):
            project.insert_segment(v, Segment("shot", i * 10, i * 10 + 10, source="model:s@1"),
                                   history=False)
    index = SnapIndex(project, v)
    t = index.targets(playhead=12345)
    assert len(t) == n + 2
    hits = [snap(f, t, 2) for f in range(0, n * 10, 7)]
    frames = range(0, n * 10, 7)
    assert all(abs(h.frame - f) <= 2 for h, f in zip(hits, frames, strict=True) if h is not None)
    assert sum(h is None for h in hits) > 0 and snap(12344, t, 3) == SnapTarget(12345, "playhead")
