"""The reel's media cut while a recording is followed (core.live.reel): stable highlights are cut
in the background, a highlight whose bounds change is cut again, the end reuses only cuts with the
same frames (equal to cutting them at the end) and leaves nothing stale beside the reel."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from core.export.clip import export_clip, ffmpeg_exe
from core.highlights.export import CUT_FORMATS, export_reel
from core.highlights.project import add_covers
from core.live.follow import FollowOptions, follow
from core.live.reel import CUTS_DIR, LiveReel
from core.live.writer import FileWriter
from core.pipeline import analyze, order_stages
from core.segments import HIGHLIGHT, Segment
from core.store.project import Project
from core.testing.synth import ShotSpec, make_edit, tone

FPS = 25
MEDIA = ("horizontal", "still")


def _stages(names, settings=None):
    from models.stages import available_stages

    return order_stages(available_stages(settings or {"shots.refiner": "none"}), names)


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="gray") for f in c.decode(video=0)]


def _same_frames(a: Path, b: Path) -> bool:
    fa, fb = _frames(a), _frames(b)
    return len(fa) == len(fb) > 0 and all(np.array_equal(x, y) for x, y in zip(fa, fb))


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("live-reel")
    lengths = (50, 60, 70, 40, 80)
    make_edit(d / "e.mp4", [ShotSpec(n) for n in lengths], size=(320, 180), fps=FPS, gop=25,
              audio=tone(330, sum(lengths) / FPS))
    ts = d / "rec.ts"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(d / "e.mp4"), "-c", "copy", "-f", "mpegts",
                    str(ts)], check=True)
    return ts


def _set_highlights(p: Project, vid: int, bounds: list[tuple[int, int]]) -> None:
    segs = [Segment(HIGHLIGHT, a, b, label="moment", source="model:highlights@1", attrs={"order": i + 1})
            for i, (a, b) in enumerate(bounds)]
    p.replace_machine_segments(vid, HIGHLIGHT, segs, None)


def test_stable_highlights_are_cut_once_recut_when_they_change_and_reused_at_the_end(recording, tmp_path):
    reel = tmp_path / "reel"
    with Project(tmp_path / "p.clipdesk") as p:
        analyze(p, recording, _stages(["shots"]))
        v = p.videos()[0]
        cut = LiveReel(recording, reel, MEDIA, v.info.rotation, v.info.display_size, stable_updates=2,
                       behind_s=1.0, nice=0)
        _set_highlights(p, v.id, [(50, 110), (180, 250)])
        cut.observe(p, v.id, 12.0, True)
        assert cut.stats.queued == 0  # seen once: not stable yet
        cut.observe(p, v.id, 12.0, True)
        assert cut.stats.queued == 2
        _set_highlights(p, v.id, [(50, 110), (180, 265)])  # the second one grew
        cut.observe(p, v.id, 12.0, True)
        cut.observe(p, v.id, 12.0, False)  # a commit without re-ranking counts nothing
        assert cut.stats.queued == 2
        cut.observe(p, v.id, 12.0, True)
        assert cut.stats.queued == 3 and cut.stats.recut == 1
        cut.stop()  # waits for every queued cut
        assert not cut.stats.failed
        # the end: covers from the searches done while following, then the reel
        hs = add_covers(p, v.id, p.segments(v.id, HIGHLIGHT), choose=cut.choose_cover)
        p.replace_machine_segments(v.id, HIGHLIGHT, hs, None)
        manifest = export_reel(p, v.id, reel, CUT_FORMATS, MEDIA, reuse=cut.reuse)
        stamps = {x.name: x.stat().st_mtime_ns for x in reel.glob("*.mp4")}
        # the reel written again without stills (what the follower does when a still fails) keeps the clips
        export_reel(p, v.id, reel, CUT_FORMATS, ("horizontal",), reuse=cut.reuse)
        assert {x.name: x.stat().st_mtime_ns for x in reel.glob("*.mp4")} == stamps
        cut.cleanup()
        clk = p.clock(v.id)
    assert cut.stats.cut >= 4 and cut.stats.covers_reused == 2 and cut.stats.covers_searched == 0
    assert cut.stats.reused == 4  # both clips and both stills came from the follow
    rows = manifest["highlights"]
    assert [(r["start_frame"], r["end_frame"]) for r in rows] == [(50, 110), (180, 265)]
    files = sorted(x.name for x in reel.iterdir())
    media = [f for f in files if f.endswith((".mp4", ".jpg"))]
    assert sorted(media) == sorted(f for r in rows for f in r["files"].values())
    assert not (reel / CUTS_DIR).exists()  # the cut of the old bounds went with the private folder
    # the clips cut during the follow hold the frames a cut at the end gives
    for r in rows:
        fresh = export_clip(recording, clk, r["start_frame"], r["end_frame"], tmp_path / f"end_{r['order']}.mp4")
        assert _same_frames(reel / r["files"]["horizontal"], fresh.path)
        assert len(_frames(fresh.path)) == r["end_frame"] - r["start_frame"]


def test_follow_cuts_during_the_stream_and_the_reel_equals_one_cut_at_the_end(tmp_path):
    """A board whose score changes at 3 s, then cut shots, written on a fast clock: the goal's
    highlight is cut while the stream is written; the reel at the end reuses it (clip, cover
    search and still) and holds the frames a cut at the end gives."""
    from core.testing.scoreboard import BoardPhase, make_board_clip

    make_board_clip(tmp_path / "b.mp4", [BoardPhase(0, 0, 0), BoardPhase(3, 1, 0)], 8.0, fps=FPS)
    make_edit(tmp_path / "a.mp4", [ShotSpec(n) for n in (60, 70, 50, 80, 60, 70, 60)], size=(640, 360), fps=FPS,
              gop=25)
    ts = tmp_path / "rec.ts"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(tmp_path / "b.mp4"), "-i", str(tmp_path / "a.mp4"),
                    "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "25", "-f", "mpegts", str(ts)], check=True)
    live = tmp_path / "live.ts"
    live.write_bytes(b"")
    writer = FileWriter(ts, live, duration_s=26.0, speed=3.0)
    writer.start()
    reel = tmp_path / "reel"
    stages = _stages(["shots", "scoreboard", "highlights"], {"shots.refiner": "none", "highlights": {"clip_s": 6.0}})
    with Project(tmp_path / "live.clipdesk") as p:
        rep = follow(p, live, stages, _live,
                     options=FollowOptions(every_s=2.0, idle_s=1.5, poll_s=0.02, commit_share=1.0, reel_dir=reel,
                                           stable_updates=2, stable_behind_s=4.0))
        clk = p.clock(p.videos()[0].id)
    writer.join()
    st = rep.live_reel
    assert rep.reel and st is not None and not st.failed
    assert st.queued >= 1 and st.reused >= 2 and st.covers_reused >= 1, st  # clip and still from the follow
    rows = rep.reel["highlights"]
    assert rows and not (reel / CUTS_DIR).exists()
    assert sorted(x.name for x in reel.glob("*.mp4")) == sorted([*(r["files"]["horizontal"] for r in rows), "reel.mp4"])
    assert rep.reel["reel_video"] == "reel.mp4"  # the follower joins the clips into one reel video
    assert sorted(x.name for x in reel.glob("*.jpg")) == sorted(r["files"]["still"] for r in rows)
    for r in rows:
        fresh = export_clip(live, clk, r["start_frame"], r["end_frame"], tmp_path / f"end_{r['order']}.mp4")
        assert _same_frames(reel / r["files"]["horizontal"], fresh.path)


def _live(stage):
    from models.live import live_stage

    return live_stage(stage)


def _poses(rows: list[tuple[int, int, float, tuple[float, float, float, float]]]):
    from core.persons.poses import COLS, PoseTable

    a = np.zeros((len(rows), COLS), np.float32)
    for i, (f, t, score, box) in enumerate(rows):
        a[i, :7] = (f, t, score, *box)
        a[i, 7:] = 0.9
    return PoseTable(a)


def test_covers_are_reused_when_the_final_pass_relinks_the_poses(recording, tmp_path):
    """The follow read a highlight's cover frames with its live poses; the final persons pass links
    other tracks (other ids, a person found, one lost): the end reads no frame again and chooses
    the cover a search at the end with the final poses chooses. A highlight with other bounds is
    searched."""
    from core.highlights.project import choose_cover

    with Project(tmp_path / "p.clipdesk") as p:
        analyze(p, recording, _stages(["shots"]))
        v = p.videos()[0]
        clk = p.clock(v.id)
        src = str(recording)
        cut = LiveReel(recording, tmp_path / "reel", ("still",), v.info.rotation, v.info.display_size,
                       stable_updates=1, behind_s=1.0, nice=0)
        live = _poses([(60, 1, 0.9, (10, 10, 60, 120)), (90, 1, 0.9, (12, 10, 62, 120))])
        final = _poses([(60, 7, 0.8, (10, 10, 60, 120)), (75, 9, 0.95, (120, 40, 200, 170)),
                        (100, 9, 0.95, (122, 40, 202, 170))])
        _set_highlights(p, v.id, [(50, 110)])
        cut.observe(p, v.id, 12.0, True)  # queued: its frames are read with the live poses
        cut._jobs.put(None)
        assert cut._thread is not None
        cut._thread.join(60)
        assert cut.stats.cut == 1 and not cut.stats.failed
        for poses in (final, live, None):
            want = choose_cover(src, clk, 50, 110, [], poses, v.info.display_size, v.info.rotation)
            assert cut.choose_cover(src, clk, 50, 110, [], poses, v.info.display_size, v.info.rotation) == want
        assert cut.stats.covers_reused == 3 and cut.stats.covers_searched == 0
        with_final = cut.choose_cover(src, clk, 50, 110, [], final, v.info.display_size, v.info.rotation)
        assert with_final is not None and with_final["subject"] > 0  # the final poses weigh the frames
        cut.choose_cover(src, clk, 50, 112, [], final, v.info.display_size, v.info.rotation)
        assert cut.stats.covers_searched == 1  # other bounds: read
        cut.cleanup()


def test_highlights_not_cut_during_the_follow_are_cut_before_the_reel_and_reused(recording, tmp_path):
    """At the end, the final highlights nobody cut during the follow are queued (cut on two threads)
    and the reel takes every file from them: the same frames as a cut at the end."""
    reel = tmp_path / "reel"
    with Project(tmp_path / "p.clipdesk") as p:
        analyze(p, recording, _stages(["shots"]))
        v = p.videos()[0]
        cut = LiveReel(recording, reel, MEDIA, v.info.rotation, v.info.display_size, stable_updates=5,
                       behind_s=1.0, nice=0)
        _set_highlights(p, v.id, [(50, 110), (180, 250)])
        cut.observe(p, v.id, 12.0, True)
        assert cut.stats.queued == 0  # never stable during the follow
        hs = add_covers(p, v.id, p.segments(v.id, HIGHLIGHT), choose=cut.choose_cover)
        p.replace_machine_segments(v.id, HIGHLIGHT, hs, None)
        assert cut.queue_final(p, v.id) == 2 and cut.queue_final(p, v.id) == 0
        cut.stop({(50, 110), (180, 250)})
        manifest = export_reel(p, v.id, reel, CUT_FORMATS, (*MEDIA, "reel"), reuse=cut.reuse)
        cut.cleanup()
        clk = p.clock(v.id)
    assert cut.stats.at_end == 2 and cut.stats.reused == 4 and not cut.stats.failed, cut.stats
    assert cut.stats.covers_searched == 2 and cut.stats.covers_reused == 0  # read once, by the end's cover pass
    whole: list[np.ndarray] = []
    for r in manifest["highlights"]:
        fresh = export_clip(recording, clk, r["start_frame"], r["end_frame"], tmp_path / f"end_{r['order']}.mp4")
        assert _same_frames(reel / r["files"]["horizontal"], fresh.path)
        assert r["cover_frame"] == hs[r["order"] - 1].attrs["cover_frame"]
        whole.extend(_frames(fresh.path))
    # reel.mp4, joined from the clips cut before the reel by a stream copy, holds the frames of the
    # highlights cut at the end, in reel order, none dropped or doubled at the joins
    assert manifest["reel_video"] == "reel.mp4"
    joined = _frames(reel / "reel.mp4")
    assert len(joined) == len(whole) == 60 + 70
    assert all(np.array_equal(a, b) for a, b in zip(joined, whole))


def test_cover_frames_read_by_decoding_on_equal_the_frames_read_by_seeking(recording, monkeypatch):
    """The cover search reaches a sample close after the last by decoding on instead of seeking
    (in a .ts each seek decodes from the keyframe before it): the same frames, the same scores."""
    from core.highlights import covers
    from core.media.reader import probe
    from core.timebase import FrameClock

    info = probe(recording)
    clk = FrameClock(info.rate, info.frame_count)
    on = covers.sample_cover_frames(str(recording), clk, 40, 250, samples=12, thumb_width=128)
    monkeypatch.setattr(covers, "FORWARD_S", 0.0)  # every sample by a seek
    seek = covers.sample_cover_frames(str(recording), clk, 40, 250, samples=12, thumb_width=128)
    assert [s.frame for s in on] == [s.frame for s in seek] and len(on) == 12
    for a, b in zip(on, seek):
        assert np.array_equal(a.image, b.image) and (a.sharpness, a.exposure) == (b.sharpness, b.exposure)


def test_cover_frames_are_the_frames_the_cover_search_reads(recording, tmp_path):
    """The cover key is made of the frames :func:`sample_cover` reads: the two pick the same frames
    for short and long highlights, at the end of the video, with transitions inside and around."""
    from core.highlights.project import sample_cover
    from core.live.reel import cover_frames

    with Project(tmp_path / "p.clipdesk") as p:
        analyze(p, recording, _stages(["shots"]))
        v = p.videos()[0]
        clk = p.clock(v.id)
        n = clk.frame_count
        cases = [(50, 110, []), (0, 7, []), (10, 200, [(60, 64), (120, 121)]), (n - 40, n + 9, [(n - 30, n - 20)]),
                 (100, 130, [(90, 140)])]
        for a, b, trans in cases:
            read = [s.frame for s in sample_cover(str(recording), clk, a, b, trans, v.info.display_size)]
            assert cover_frames(clk, a, b, trans) == read, (a, b, trans)


def test_covers_are_reused_when_the_final_shots_pass_moves_a_transition(recording, tmp_path):
    """A transition the follow saw next to a highlight moves in the final shots pass: the frames read
    are the same, so the end reads nothing again and chooses the cover a search at the end with the
    final transitions chooses; a transition that changes which frames are read is searched."""
    from core.highlights.project import choose_cover
    from core.live.reel import cover_frames

    with Project(tmp_path / "p.clipdesk") as p:
        analyze(p, recording, _stages(["shots"]))
        v = p.videos()[0]
        clk = p.clock(v.id)
        src, size, rot = str(recording), v.info.display_size, v.info.rotation
        live_t, final_t = [(108, 112)], [(45, 49), (109, 114)]  # moved, and one more before it
        assert cover_frames(clk, 50, 110, live_t) == cover_frames(clk, 50, 110, final_t)
        cut = LiveReel(recording, tmp_path / "reel", ("still",), rot, size, stable_updates=1, behind_s=1.0, nice=0)
        want_live = choose_cover(src, clk, 50, 110, live_t, None, size, rot)
        got_live = cut.choose_cover(src, clk, 50, 110, live_t, None, size, rot)  # read (as during the follow)
        assert got_live == want_live and cut.stats.covers_searched == 1
        want = choose_cover(src, clk, 50, 110, final_t, None, size, rot)
        assert cut.choose_cover(src, clk, 50, 110, final_t, None, size, rot) == want
        assert cut.stats.covers_reused == 1 and cut.stats.covers_searched == 1
        inside = [(78, 80)]  # a cut inside the highlight: other frames are read
        assert cover_frames(clk, 50, 110, inside) != cover_frames(clk, 50, 110, live_t)
        assert cut.choose_cover(src, clk, 50, 110, inside, None, size, rot) == choose_cover(
            src, clk, 50, 110, inside, None, size, rot)
        assert cut.stats.covers_searched == 2
        cut.cleanup()
