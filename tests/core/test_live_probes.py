"""The actions stage's pose probes taken during a follow (core.live.probes, models.live.LiveActions):
answers reused at the end give exactly the rows and the actions of the offline stage."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import numpy as np

from core.actions import starter
from core.actions.probe import probe_poses
from core.export.clip import ffmpeg_exe
from core.live.probes import ProbeCache, ProbeWorker
from core.media.reader import probe
from core.persons.poses import POSE_SIGNAL, PoseTable
from core.pipeline import StageContext
from core.progress import Task
from core.segments import ACTION
from core.store.project import Project
from tests.core.test_action_starter import _pose, _track

SAMPLES = list(range(0, 150, 15))


class _Reader:
    """Generated frames whose pixels depend on the frame index; counts the reads."""

    def __init__(self, size: tuple[int, int] = (1280, 720)) -> None:
        self.size, self.reads = size, []  # type: ignore[var-annotated]

    def read(self, index: int) -> np.ndarray:
        self.reads.append(index)
        img = np.zeros((self.size[1], self.size[0], 3), np.uint8)
        img[..., 0] = (index * 7) % 256
        img[:, ::2, 1] = (index * 3) % 256
        return img


class _Model:
    """A pose model whose answer depends on the crop's pixels (so a wrong frame or crop shows)."""

    def __init__(self) -> None:
        self.crops = 0

    def __call__(self, crop: np.ndarray) -> np.ndarray:
        self.crops += 1
        h, w = crop.shape[:2]
        m = float(crop.mean()) / 255.0
        d = np.zeros((1, 56), np.float32)
        d[0, :5] = (0.2 * w, 0.25 * h, 0.8 * w, (0.9 + 0.05 * m) * h, 0.5 + 0.4 * m)
        d[0, 5::3] = np.linspace(0.3, 0.7, 17) * w
        d[0, 6::3] = np.linspace(0.1 + 0.1 * m, 0.9, 17) * h
        d[0, 7::3] = 0.9
        return d


def _table(shift: int = 0, upto: int | None = None) -> PoseTable:
    """Two players shooting (arms set, then up): probe requests around each; ``shift``: other
    track ids (a final pass links other tracks), ``upto``: only the samples before that frame."""
    rows = []
    for tid, cx in ((1, 400), (2, 900)):
        fr = [f for f in SAMPLES if upto is None or f < upto]
        poses = [_pose(cx, 600, arms="set" if f in (45, 105) else "shot" if f in (60, 120) else "down")
                 for f in fr]
        rows += _track(tid + shift, fr, poses)
    return PoseTable(np.stack(rows))


def test_answers_of_the_follow_give_the_offline_probe_rows_and_only_the_rest_runs_at_the_end() -> None:
    final = _table()
    req = starter.probe_requests(final, 30.0)
    assert req and sum(len(v) for v in req.values()) >= 4
    offline_model = _Model()
    want = probe_poses(_Reader(), final, req, offline_model)
    assert len(want)
    # during the follow: the first half of the tracks, under other ids
    live = _table(shift=10, upto=75)
    live_req = starter.probe_requests(live, 30.0)
    assert live_req
    cache = ProbeCache((1280, 720))
    during = _Model()
    cache.fill(_Reader(), live, live_req, during)
    assert during.crops > 0
    miss = cache.missing(final, req)
    assert 0 < sum(len(v) for v in miss.values()) < sum(len(v) for v in req.values())
    end = _Model()
    cache.fill(_Reader(), final, miss, end)
    got = cache.rows_for(final, req)
    assert np.array_equal(got, want)  # the same rows, in the same order
    assert end.crops < offline_model.crops and during.crops + end.crops == offline_model.crops
    assert not cache.missing(final, req)


def test_the_probe_worker_answers_on_its_thread_and_stops() -> None:
    from core.actions import probe as probe_mod

    live = _table(upto=90)
    req = starter.probe_requests(live, 30.0)
    info = type("Info", (), {"path": "unused.mp4", "display_size": (1280, 720), "rotation": 0,
                             "width": 1280, "height": 720})()
    cache = ProbeCache((1280, 720))
    model = _Model()
    worker = ProbeWorker(cache, info, lambda: model, nice=0)
    orig_keys, orig_open = probe_mod.keyframes, probe_mod.open_reader

    class _Ctx:
        def __enter__(self) -> _Reader:
            return _Reader()

        def __exit__(self, *a: Any) -> None:
            return None

    probe_mod.keyframes = lambda *a, **k: np.zeros(0, np.int64)  # type: ignore[assignment]
    probe_mod.open_reader = lambda *a, **k: _Ctx()  # type: ignore[assignment]
    try:
        worker.submit(live, req, clock=None)
        deadline = time.monotonic() + 30
        while cache.missing(live, req) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        probe_mod.keyframes, probe_mod.open_reader = orig_keys, orig_open
    assert not cache.missing(live, req) and model.crops > 0 and not worker.errors
    assert worker.detect is model
    worker.submit(live, req, clock=None)  # stopped: ignored
    assert worker._jobs.qsize() <= 1


def _project(tmp_path: Any, name: str, mp4: Any) -> tuple[Project, StageContext]:
    info = probe(mp4)
    p = Project(tmp_path / f"{name}.clipdesk")
    v = p.add_video(info)
    p.put_signal(v.id, POSE_SIGNAL, "test", _table().array)
    run = p.start_run(v.id, "actions", "starter", "test", {})
    return p, StageContext(p, p.video(v.id), info, Task(), run)


def test_live_actions_finish_equals_the_offline_stage_with_probes_of_the_follow_reused(tmp_path) -> None:
    """The actions stage's finish over the finished file, offline and as the follower runs it with
    the probes of the live tracks answered during the follow: the same action segments, fewer
    crops through the model at the end."""
    from models.actions.stage import ActionsStage
    from models.live import LiveActions

    mp4 = tmp_path / "v.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                    "-t", "5.2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", str(mp4)], check=True)
    off_model, live_model = _Model(), _Model()
    pa, ca = _project(tmp_path, "offline", mp4)
    pb, cb = _project(tmp_path, "live", mp4)
    with pa, pb:
        ActionsStage({}, pose_probe=lambda: off_model).finish(ca)
        want = [(s.start_frame, s.end_frame, s.label, s.attrs.get("person")) for s in pa.segments(ca.video.id, ACTION)]
        assert want and off_model.crops > 0
        stage = ActionsStage({}, pose_probe=lambda: live_model)
        lv = LiveActions(stage)
        lv.make_sinks(cb)
        assert lv.cache is not None and lv.worker is not None
        lv.worker.stop()  # answered on this thread here (the worker's thread is tested above)
        live = _table(shift=10, upto=75)
        from core.actions.probe import keyframes, open_reader

        clock = pb.clock(cb.video.id)
        with open_reader(cb.info, clock) as reader:
            lv.cache.fill(reader, live, starter.probe_requests(live, 30.0), live_model,
                          keys=keyframes(str(mp4), clock))
        during = live_model.crops
        assert during > 0
        lv.finish(cb)
        got = [(s.start_frame, s.end_frame, s.label, s.attrs.get("person")) for s in pb.segments(cb.video.id, ACTION)]
        assert got == want
        assert lv.stats["answered_during_follow"] > 0
        assert live_model.crops - during < off_model.crops  # the end ran only the rest
        assert not hasattr(stage.__dict__, "_probed") and "_probed" not in stage.__dict__
