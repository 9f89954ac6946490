"""Producer report: every section renders, with and without the optional analyses; the numbers
behind it (speech share, dead time, highlights per period) are right."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from core.audio.features import AudioLanes, save_audio_lanes
from core.media.reader import probe
from core.export.report import SECTIONS, dead_time, render_report, report_data, write_report
from core.segments import ACTION, EVENT, HIGHLIGHT, REJECTED, SCENE, SHOT, SPEECH, Segment
from core.store.project import Project
from core.testing.synth import make_clip

FPS = 25


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    make_clip(path, frames=60 * FPS, size=(64, 48))
    return path


def _fill(p: Project, vid: int) -> None:
    edges = [0, 100, 400, 420, 440, 460, 900, 1500]
    for a, b in zip(edges, edges[1:], strict=False):
        p.insert_segment(vid, Segment(SHOT, a, b, source="model:t@1"))
    for a, b in ((0, 250), (500, 750)):  # 20 s of speech in 60 s
        p.insert_segment(vid, Segment(SPEECH, a, b, "words", source="model:t@1"))
    p.insert_segment(vid, Segment(ACTION, 400, 450, "shot_on_goal", 0.8, source="model:t@1"))
    p.insert_segment(vid, Segment(EVENT, 450, 451, "goal", 0.9, source="model:t@1"))
    p.insert_segment(vid, Segment(SCENE, 0, 700, "first_half", source="model:t@1"))
    p.insert_segment(vid, Segment(SCENE, 700, 1500, "second_half", source="model:t@1"))
    p.insert_segment(vid, Segment(HIGHLIGHT, 380, 520, "goal", 0.9,
                                  {"score": 0.9, "why": ["score changed <0-0> \u2192 1-0"], "order": 1,
                                   "cover_frame": 450},
                                  source="model:t@1"))
    p.insert_segment(vid, Segment(HIGHLIGHT, 1000, 1100, "moment", 0.4, {"order": 2},
                                  source="model:t@1", status=REJECTED))
    n = 600
    exc = np.full(n, 0.1, np.float32)
    exc[170:200] = 0.9
    save_audio_lanes(p, vid, AudioLanes(np.zeros((n * 10, 2), np.float16), np.full(n, -30, np.float32),
                                        np.zeros(n, np.float32), exc))


def test_report_has_every_section_and_right_numbers(project: Project, video: Path, tmp_path: Path) -> None:
    vid = project.add_video(probe(video)).id
    _fill(project, vid)
    d = report_data(project, vid)
    assert d.speech_share == pytest.approx(20 / 60, abs=0.01)
    assert [h.label for h in d.highlights] == ["goal"]  # the rejected one is left out
    assert [(p[0], p[3]) for p in d.periods] == [("first_half", 1), ("second_half", 0)]
    assert d.period_kind == "match periods"
    # nothing happens from 30 s to the end except the quiet stretch: dead time is 30..60 s
    assert d.dead == [(30.0, 60.0)]
    out = write_report(project, vid, tmp_path / "r.html")
    text = out.read_text()
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in text, sid
    assert text.count("<svg") == 6  # shots, speech strip, actions, excitement, periods, dead strip
    assert "&lt;0-0&gt;" in text and "<0-0>" not in text  # the why is escaped
    assert "Not analysed" not in text
    assert not re.search(r'(src|href)="(?!#|data:)', text)  # self-contained: nothing loaded from outside
    assert text.count('src="data:image/jpeg;base64,') == 1  # the cover thumbnail, inline


def test_report_without_optional_analyses(project: Project, video: Path, tmp_path: Path) -> None:
    vid = project.add_video(probe(video)).id
    project.insert_segment(vid, Segment(SHOT, 0, 1500, source="model:t@1"))
    text = render_report(report_data(project, vid))
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in text, sid
    assert "run the <code>speech</code> stage" in text
    assert "run the <code>audio</code> stage" in text
    assert "run the <code>highlights</code> stage" in text
    # no speech, events or highlights: the whole minute is dead time
    assert report_data(project, vid).dead == [(0.0, 60.0)]


def test_dead_time_rules() -> None:
    assert dead_time(100.0, [(0.0, 20.0), (25.0, 100.0)], None, 0.1) == []  # 5 s gap: pacing
    assert dead_time(100.0, [(0.0, 20.0)], None, 0.1) == [(20.0, 100.0)]
    loud = np.zeros(1000, np.float32)
    loud[500:600] = 0.9  # 50..60 s the crowd is loud: not dead
    assert dead_time(100.0, [], loud, 0.1) == [(0.0, 50.0), (60.0, 100.0)]
