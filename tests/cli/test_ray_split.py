"""A long video split into keyframe ranges (app.cli.engine.split): every frame of a range decodes
to the same pixels as in the whole file, and the shots found in the ranges, merged at the seams,
equal the single pass. No Ray needed: the ranges are analysed here one after another."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def _shot_starts(video: Path, offset: int = 0) -> list[int]:
    from core.pipeline import analyze, order_stages
    from core.store import Project
    from models.stages import available_stages

    with Project(video.with_suffix(".clipdesk")) as p:
        rep = analyze(p, video, order_stages(available_stages({}), ["shots"]))
        return sorted(offset + s.start_frame for s in p.segments(rep.video.id, "shot") if s.start_frame > 0)


def test_ranges_decode_the_same_frames_and_merge_to_the_single_pass(tmp_path):
    from app.cli.engine.split import cut_range, frame_table, merge_boundaries, plan_ranges
    from core.testing.synth import ShotSpec, make_edit

    src = tmp_path / "long.mp4"
    # Cuts at 40, 95, 130 (a seam falls near it), 180, 260; keyframes every 25 frames.
    make_edit(src, [ShotSpec(n, look=i) for i, n in enumerate((40, 55, 35, 50, 80, 40))], size=(160, 96),
              gop=25, seed=3)
    pts, keys, _ = frame_table(src)
    assert len(pts) == 300 and keys[:3] == [0, 25, 50]
    ranges = plan_ranges(len(pts), keys, parts=3, overlap=20)
    assert len(ranges) == 3
    assert [r.own_first for r in ranges] == [0, 100, 200] and ranges[-1].own_end == 300
    assert all(r.first <= r.own_first and r.end >= r.own_end for r in ranges)  # overlap on both sides
    full = _frames(src)
    found = []
    for r in ranges:
        part = cut_range(src, tmp_path / f"range{r.index}.mp4", pts, r)
        frames = _frames(part)
        assert len(frames) >= r.own_end - r.first
        assert all(np.array_equal(a, full[r.first + k]) for k, a in enumerate(frames)), r
        found.append(_shot_starts(part, r.first))
    single = _shot_starts(src)
    assert single == [40, 95, 130, 180, 260]
    assert merge_boundaries(ranges, found) == single
