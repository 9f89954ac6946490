"""Highlights end to end on a generated edit with known events: loud bursts in the audio, a burst
of short shots, speech inserted across shot cuts. Shots and audio lanes come from the real
stages (one decode pass); the highlight stage, covers and the reel hand-off run on the result."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.audio.stage import AudioLanesStage
from core.highlights.bounds import SpeechIndex
from core.highlights.export import export_reel
from core.highlights.project import update_highlights
from core.highlights.reel import reel_segments
from core.highlights.stage import HighlightStage
from core.edit.ops import EditStack, SetStatus
from core.pipeline import analyze
from core.segments import ACCEPTED, HIGHLIGHT, REJECTED, SHOT, SPEECH, Segment
from core.shots.stage import ShotStage
from core.store.project import Project
from core.testing.synth import ShotSpec, make_edit

FPS = 25
SR = 16000
# 4 s shots, a burst of five 0.6 s shots at 28 s, then 4 s shots again: cuts at 4, 8, ... 28,
# 28.6, ... 31, 35, 39, 43, 47, 51, 55, 59.
LENGTHS = [100] * 7 + [15] * 5 + [100] * 8
LOUD = [(10.5, 12.0), (44.0, 45.5)]  # crowd roars (seconds)
BURST = (28.0, 31.0)
SPEECH_S = [(11.6, 12.6), (46.5, 47.6)]  # each runs across a shot cut (12 s, 47 s)
KNOWN = [11.2, 29.5, 44.8]  # the moments a highlight must contain


def _audio(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(7)
    a = (0.01 * rng.standard_normal(int(seconds * SR))).astype(np.float32)
    for s, e in LOUD:
        i, j = int(s * SR), int(e * SR)
        a[i:j] += (0.5 * rng.standard_normal(j - i)).astype(np.float32)
    return a


@pytest.fixture(scope="module")
def edit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("hl")
    video = d / "edit.mp4"
    total = sum(LENGTHS) / FPS
    make_edit(video, [ShotSpec(n) for n in LENGTHS], size=(160, 96), fps=FPS, audio=_audio(total),
              audio_rate=SR)
    path = d / "edit.clipdesk"
    with Project(path) as p:
        rep = analyze(p, video, [ShotStage(), AudioLanesStage()])
        vid = rep.video.id
        for a, b in SPEECH_S:
            p.insert_segment(vid, Segment(SPEECH, int(a * FPS), int(b * FPS), "and he scores", 0.9,
                                          source="model:test@1"))
        p.set_setting("highlights", {"clip_s": 8.0, "reel_s": None})
        analyze(p, video, [ShotStage(), HighlightStage.from_settings({"highlights": p.get_setting("highlights")})])
    return video, path


def test_known_events_land_in_highlights_on_shot_cuts_outside_speech(edit: tuple[Path, Path]) -> None:
    _, path = edit
    with Project(path) as p:
        vid = p.videos()[0].id
        hs = p.segments(vid, HIGHLIGHT)
        shots = p.segments(vid, SHOT)
        speech = p.segments(vid, SPEECH)
    assert 3 <= len(hs) <= 5
    for t in KNOWN:
        assert any(h.contains(int(t * FPS)) for h in hs), f"known event at {t} s not in a highlight"
    cuts = {s.start_frame for s in shots} | {s.end_frame for s in shots}
    sidx = SpeechIndex(speech)
    for h in hs:
        assert not sidx.inside(h.start_frame) and not sidx.inside(h.end_frame), h
        assert h.start_frame in cuts and h.end_frame in cuts, (h.start_frame, h.end_frame)
        assert isinstance(h.attrs.get("cover_frame"), int) and h.contains(h.attrs["cover_frame"])
        assert h.attrs["why"] and h.confidence == h.attrs["score"]
    whys = " | ".join(w for h in hs for w in h.attrs["why"])
    assert "crowd/commentary peak" in whys and "short shots" in whys
    assert sorted(h.attrs["order"] for h in hs) == list(range(1, len(hs) + 1))


def test_rerun_keeps_reviewed_highlights(edit: tuple[Path, Path]) -> None:
    _, path = edit
    with Project(path) as p:
        vid = p.videos()[0].id
        hs = p.segments(vid, HIGHLIGHT)
        stack = EditStack(p)
        stack.push(SetStatus([hs[0].id], ACCEPTED))  # type: ignore[list-item]
        stack.push(SetStatus([hs[1].id], REJECTED))  # type: ignore[list-item]
        update_highlights(p, vid, covers=False)
        after = p.segments(vid, HIGHLIGHT)
        assert {hs[0].id, hs[1].id} <= {s.id for s in after}
        rejected = next(s for s in after if s.id == hs[1].id)
        for s in after:  # a rejected moment is not proposed again
            if s.id != rejected.id:
                assert not (s.start_frame < rejected.end_frame and rejected.start_frame < s.end_frame)
        reel, reviewed = reel_segments(p, vid)
        assert reviewed and [s.id for s in reel] == [hs[0].id]
        stack.undo()
        stack.undo()


def test_reel_hand_off(edit: tuple[Path, Path], tmp_path: Path) -> None:
    import opentimelineio as otio

    _, path = edit
    with Project(path) as p:
        vid = p.videos()[0].id
        reel, _ = reel_segments(p, vid)
        man = export_reel(p, vid, tmp_path / "reel", media=("horizontal", "gif", "still"))
    out = tmp_path / "reel"
    for name in ("reel.otio", "reel.fcpxml", "reel.xml", "reel.edl", "reel_chapters.txt",
                 "source_chapters.txt", "reel.json"):
        assert (out / name).stat().st_size > 0, name
    tl = otio.adapters.read_from_file(str(out / "reel.otio"))
    clips = list(tl.tracks[0].find_clips())
    assert [(c.source_range.start_time.to_frames(), c.source_range.duration.to_frames()) for c in clips] == \
        [(s.start_frame, s.length) for s in reel]
    edl = (out / "reel.edl").read_text()
    assert edl.count(" V     C ") == len(reel)
    chapters = (out / "reel_chapters.txt").read_text().splitlines()
    assert chapters[0].startswith("0:00 1.") and len(chapters) == len(reel)
    assert json.loads((out / "reel.json").read_text())["schema"] == "clipdesk.reel/1"
    first = man["highlights"][0]["files"]
    assert {"horizontal", "gif", "still"} <= set(first)
    for f in first.values():
        assert (out / f).stat().st_size > 0


def test_cover_avoids_a_replay_wipe(tmp_path: Path) -> None:
    from core.highlights.project import choose_cover
    from core.timebase import FrameClock

    truth = make_edit(tmp_path / "w.mp4", [ShotSpec(20), ShotSpec(20)], transitions=[("wipe", 30)],
                      size=(160, 96))
    tr = truth.transitions[0]
    clk = FrameClock(truth.rate, truth.frame_count)
    cover = choose_cover(str(truth.path), clk, 0, truth.frame_count, [(tr.start, tr.end)])
    assert cover is not None
    assert not tr.start - 2 <= cover["frame"] < tr.end + 2
    assert 0 < cover["sharpness"] <= 1 and 0 < cover["score"] <= 1


def test_vertical_clip_of_a_highlight_is_9_by_16(tmp_path: Path) -> None:
    from core.highlights.export import write_media
    from core.media.reader import probe
    from core.testing.synth import make_clip

    make_clip(tmp_path / "c.mp4", frames=75, size=(160, 96))
    with Project(tmp_path / "p.clipdesk") as p:
        vid = p.add_video(probe(tmp_path / "c.mp4")).id
        s = p.insert_segment(vid, Segment(HIGHLIGHT, 10, 40, "goal", 0.9, {"order": 1}))
        (row,) = write_media(p, vid, [s], tmp_path / "out", ["vertical"])
    info = probe(tmp_path / "out" / row["files"]["vertical"])
    assert info.frame_count == 30
    assert abs(info.width / info.height - 9 / 16) < 0.03
