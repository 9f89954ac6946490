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


def test_split_signals_merge_to_the_single_pass_and_decide_the_same_shots(tmp_path):
    """``--split-minutes`` without Ray: the driver plans the ranges, a worker computes each range's
    shot signals, the driver merges them; the merged per-frame signals equal the single pass's and
    the video's own pass then decides the same shots and transitions (no shot decode)."""
    from app.cli.engine.driver import Driver, Job
    from app.cli.engine.worker import VideoAnalyzer
    from core.pipeline import analyze, order_stages
    from core.shots.stage import SIG_HIST, SIG_PROBS, SIG_SCALARS
    from core.store import Project
    from core.testing.synth import DISSOLVE, ShotSpec, make_edit
    from models.stages import available_stages

    src = tmp_path / "long.mp4"
    lengths = (40, 55, 35, 50, 80, 40, 60, 45, 70, 30)
    make_edit(src, [ShotSpec(n, look=i) for i, n in enumerate(lengths)], size=(160, 96), gop=25, seed=5,
              transitions=["cut", "cut", DISSOLVE, "cut", "cut", "cut", DISSOLVE, "cut", "cut"])
    single = tmp_path / "single.clipdesk"
    with Project(single) as p:
        analyze(p, src, order_stages(available_stages({}), ["shots"]))
        want = {t: p.query("SELECT name, data FROM signals WHERE name=?", (t,)) for t in (SIG_SCALARS, SIG_HIST,
                                                                                          SIG_PROBS)}
        want_shots = [(s.start_frame, s.end_frame, s.label) for s in p.segments(1, "shot")]
        want_trans = [(s.start_frame, s.end_frame, s.label) for s in p.segments(1, "transition")]
    proj = tmp_path / "split.clipdesk"
    driver = Driver(["shots"])
    worker = VideoAnalyzer()
    try:
        job = Job(0, src, proj)
        driver.probe(job)
        ranges = driver.plan_split(job, split_s=4.0, overlap_s=0.5)  # 20 s: 5 ranges
        assert len(ranges) == 5
        parts = [worker.shot_range(r) for r in ranges]
        assert all(x["ok"] for x in parts), parts
        driver.merge_split(job, parts)
        payload = driver.prepare(job)
        assert payload is not None and payload["pending"] == ["shots"]
        out = worker.analyze(payload)
        assert out["ok"] and driver.commit(job, out["result"])
    finally:
        driver.close()
    with Project(proj, create=False) as p:
        got = {t: p.query("SELECT name, data FROM signals WHERE name=?", (t,)) for t in want}
        assert [(s.start_frame, s.end_frame, s.label) for s in p.segments(1, "shot")] == want_shots
        assert [(s.start_frame, s.end_frame, s.label) for s in p.segments(1, "transition")] == want_trans
    assert got == want  # the same bytes: every owned frame saw the context a single pass gives it
