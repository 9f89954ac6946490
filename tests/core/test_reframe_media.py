"""Reframing real footage: subject coverage, path continuity, pins with undo, black bars, export."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from core.export.clip import export_project_clip
from core.media.reader import probe
from core.pipeline import analyze
from core.persons.poses import load_poses
from core.reframe.aspect import Rect
from core.reframe.path import CropPath
from core.reframe.plan import ReframeSettings, add_pin, content_rect, plan_video, resolve, video_crop_path
from core.reframe.subject import subject_targets
from core.segments import CROP
from core.store import Project
from models.persons.stage import PersonsStage

pytestmark = pytest.mark.shared_media


@pytest.fixture(scope="module")
def tennis(shared_media: Path, tmp_path_factory: pytest.TempPathFactory):
    video = shared_media / "video" / "tennis-tracking__video_input1.mp4"
    p = Project(tmp_path_factory.mktemp("tennis") / "t.clipdesk")
    # no far-end tile here (reframing follows the near player; the tile has its own test in
    # tests/models/test_persons_media.py): keeps this 1080p analysis within the test timeout
    report = analyze(p, video, [PersonsStage(fps=3.0, dense_fps=3.0, tile_every=0)])
    yield p, report.video
    p.close()


def test_subject_stays_inside_a_smooth_vertical_crop(tennis):
    p, v = tennis
    segs = plan_video(p, v.id, "9:16")
    assert len(segs) == 1 and segs[0].attrs["aspect"] == "9:16"
    a = segs[0].attrs
    assert a["mode"] in ("static", "tracking", "panning") and a["approved"] is None
    assert all(len(k) == 5 for k in a["keyframes"]) and a["content"] == [0, 0, 1920, 1080]
    rects = video_crop_path(p, v.id, "9:16").rects(0, v.frame_count)
    assert (rects[:, 2] == 608).all() and (rects[:, 3] == 1080).all()
    tg = subject_targets(load_poses(p, v.id), 0, v.frame_count, v.height, follow=a["subject"])
    seen = np.isfinite(tg.cx)
    assert seen.mean() > 0.5
    inside = (tg.cx - tg.half_w >= rects[:, 0] - 2) & (tg.cx + tg.half_w <= rects[:, 0] + rects[:, 2] + 2)
    assert inside[seen].mean() >= 0.95
    limit = ReframeSettings().max_speed * v.width / v.rate.fps
    assert np.abs(np.diff(rects[:, 0])).max() <= limit + 2


def test_pin_resolve_is_undoable(tennis):
    from core.edit.ops import EditStack, SetAttrs

    p, v = tennis
    seg = plan_video(p, v.id, "9:16")[0]
    stack = EditStack(p)
    pins = add_pin(seg.attrs["pins"], 60, 400.0, 540.0)
    assert seg.id is not None
    stack.push(SetAttrs(seg.id, resolve(p, v.id, seg, pins=pins, mode="tracking")))
    pinned = p.segment(seg.id)
    r = CropPath.from_attrs(pinned.start_frame, pinned.end_frame, pinned.attrs, (1920, 1080)).rects(
        np.array([60]))[0]
    assert r[0] + r[2] / 2 == pytest.approx(400, abs=2) and pinned.attrs["mode"] == "tracking"
    # a re-plan keeps the user's crop
    again = plan_video(p, v.id, "9:16")
    assert again[0].id == seg.id and again[0].attrs["pins"] == pins
    stack.undo()
    assert p.segment(seg.id).attrs == seg.attrs
    stack.redo()
    assert p.segment(seg.id).attrs["pins"] == pins
    stack.undo()


def test_other_aspects_coexist(tennis):
    p, v = tennis
    plan_video(p, v.id, "9:16")
    sq = plan_video(p, v.id, "1:1")
    assert sq and sq[0].attrs["keyframes"][0][3] == 1080
    aspects = sorted(s.attrs["aspect"] for s in p.segments(v.id, CROP))
    assert aspects == ["1:1", "9:16"]


def test_reframed_export_with_scoreboard_overlay(tennis, tmp_path: Path):
    p, v = tennis
    p.set_setting("reframe", {"scoreboard_box": [60, 880, 520, 140]})
    for s in p.segments(v.id, CROP):  # re-plan with the user's scoreboard box
        p.delete_segment(s.id)
    plan_video(p, v.id, "4:5")
    res = export_project_clip(p, v.id, 30, 60, tmp_path / "c.mp4", "4:5", crop_json=tmp_path / "c.json")
    assert res.size == (1080, 1350) and res.frames == 30 and res.has_audio
    with av.open(str(res.path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert c.streams.audio[0].codec_context.name == "aac"
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 30
    # the re-placed scoreboard sits at the top of the frame and differs from the pitch behind it
    top = frames[10][60:230, 100:980].astype(float)
    assert top.std() > 20


def test_pillarboxed_source_keeps_crop_inside_picture(shared_media: Path, tmp_path: Path):
    video = shared_media / "video" / "moviepy__chaplin.mp4"
    with Project(tmp_path / "c.clipdesk") as p:
        v = p.add_video(probe(video))
        rect = content_rect(p, v.id)
        # measured by eye on the column profile: picture columns 72..567, full height
        assert abs(rect.x - 72) <= 2 and abs(rect.w - 496) <= 4 and rect.h >= 350
        plan_video(p, v.id, "1:1")
        r = video_crop_path(p, v.id, "1:1").rects(0, v.frame_count)
        assert (r[:, 0] >= rect.x).all() and (r[:, 0] + r[:, 2] <= rect.x + rect.w).all()
        wide = plan_video(p, v.id, "4:5")[0].attrs
        assert Rect(*wide["content"]) == rect
