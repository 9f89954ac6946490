"""The order the Ray engine hands videos out in (no Ray needed): longest first, so no worker is
left with a long video at the end; a project that learns a setting from its first video keeps its
videos' order (the same video teaches it as in a local run); unreadable files come first."""

from __future__ import annotations

from pathlib import Path

from app.cli.engine.driver import Driver, Job
from app.cli.engine.ray_engine import longest_first
from core.testing.synth import ShotSpec, make_edit


def test_longest_first_but_a_learning_project_keeps_its_order(tmp_path):
    lengths = {"a.mp4": 20, "b.mp4": 60, "c.mp4": 40}
    for name, n in lengths.items():
        make_edit(tmp_path / name, [ShotSpec(n)], size=(64, 48))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\0" * 100)
    names = ["a.mp4", "b.mp4", "bad.mp4", "c.mp4"]

    def jobs(shared: bool) -> list[Job]:
        return [Job(i, tmp_path / n, tmp_path / ("all.clipdesk" if shared else Path(n).with_suffix(".clipdesk")))
                for i, n in enumerate(names)]

    def order(wanted: list[str], shared: bool) -> list[str]:
        driver = Driver(wanted)
        try:
            return [j.path.name for j in longest_first(jobs(shared), driver)]
        finally:
            driver.close()

    assert order(["shots"], shared=False) == ["bad.mp4", "b.mp4", "c.mp4", "a.mp4"]
    assert order(["shots"], shared=True) == ["bad.mp4", "b.mp4", "c.mp4", "a.mp4"]
    # search learns the project's codebook from its first video: one shared project keeps the order
    assert order(["shots", "search"], shared=True) == names
    # one project per video: each learns from its only video, so the order is free again
    assert order(["shots", "search"], shared=False) == ["bad.mp4", "b.mp4", "c.mp4", "a.mp4"]


def test_a_worker_builds_only_the_stages_asked_once_and_the_warm_up_is_the_first_videos(tmp_path):
    """As ``analyze --stages`` locally, a worker builds only the asked stages (and what they need);
    the warm-up the driver sends while the workers start builds exactly what the first video of a
    new project asks for, so that video builds nothing."""
    from app.cli.engine.worker import VideoAnalyzer

    make_edit(tmp_path / "a.mp4", [ShotSpec(20), ShotSpec(20)], size=(64, 48))
    driver = Driver(["shots", "scenes"])
    worker = VideoAnalyzer()
    try:
        names = driver.stage_names({})
        assert names == ["shots", "scenes"]
        assert worker.warm({}, names) >= 0 and worker.loads == 1
        assert [s.name for s in worker.stages({}, names)] == ["shots", "scenes"]
        job = Job(0, tmp_path / "a.mp4", tmp_path / "a.clipdesk")
        driver.probe(job)
        payload = driver.prepare(job)
        assert payload is not None and payload["wanted"] == names
        out = worker.analyze(payload)
        assert out["ok"] and out["result"]["report"]["ran"] == names
        assert worker.loads == 1  # the first video used the warm-up's stages
    finally:
        driver.close()


def test_the_warm_up_also_loads_what_a_stage_would_load_at_its_first_video(monkeypatch):
    """The scoreboard builds its OCR engine (three ONNX sessions) at the first video's decode pass;
    a worker's warm-up builds it while the driver plans, once per process."""
    from app.cli.engine.worker import VideoAnalyzer
    from models.scoreboard import ocr as ocr_mod

    monkeypatch.setattr(ocr_mod, "_SHARED", {})
    worker = VideoAnalyzer()
    assert worker.warm({}, ["scoreboard"]) >= 0
    assert list(ocr_mod._SHARED) == [(1,)]


def test_an_actor_with_one_cpu_decodes_with_one_thread_and_the_same_frames(tmp_path, monkeypatch):
    import hashlib

    import core.media.decode as decode
    from app.cli.engine.worker import VideoAnalyzer
    from core.media.decode import FrameSpec, Sink, run_decode
    from core.media.reader import probe

    make_edit(tmp_path / "a.mp4", [ShotSpec(15), ShotSpec(15)], size=(96, 64))

    class Hashes(Sink):
        name = "hashes"

        def __init__(self) -> None:
            self.video = FrameSpec(fmt="rgb24")
            self.got: list[str] = []

        def frame(self, index, time, image) -> None:  # type: ignore[no-untyped-def]
            self.got.append(hashlib.sha1(image.tobytes()).hexdigest())

    def frames() -> list[str]:
        sink = Hashes()
        run_decode(probe(tmp_path / "a.mp4"), [sink])
        return sink.got

    monkeypatch.setattr(decode, "VIDEO_THREADS", 0)
    auto = frames()
    VideoAnalyzer("cpu", "w1", decode_threads=1)  # what RayPool.add_actor asks for
    assert decode.VIDEO_THREADS == 1
    assert frames() == auto and len(auto) == 30


def test_a_workers_scratch_project_is_a_new_empty_project(tmp_path):
    """The scratch project a worker seeds for each video is a copy of an empty one it made once:
    the same schema, settings and pragmas as a project created for the video."""
    import sqlite3

    from app.cli.engine.worker import VideoAnalyzer
    from core.store import Project

    worker = VideoAnalyzer()
    for name in ("a.clipdesk", "b.clipdesk"):
        with worker._scratch(tmp_path / name) as p:
            assert p.videos() == []
            p.set_setting("x", 1)  # the next copy does not see what this one wrote
    with worker._scratch(tmp_path / "c.clipdesk") as p:
        assert p.get_setting("x") is None
    Project(tmp_path / "new.clipdesk").close()

    def dump(path):
        con = sqlite3.connect(path)
        try:
            rows = {t: con.execute(f"SELECT * FROM {t}").fetchall()  # noqa: S608 - table names from the file
                    for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            return (sorted(con.execute("SELECT type, name, sql FROM sqlite_master").fetchall(), key=str), rows,
                    [con.execute(f"PRAGMA {k}").fetchone() for k in ("journal_mode", "user_version", "application_id")])
        finally:
            con.close()

    assert dump(tmp_path / "c.clipdesk") == dump(tmp_path / "new.clipdesk")
