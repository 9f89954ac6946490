"""The starter action detector (kinematic rules + dense motion), the motion grid, and the
evaluation against hand-labelled spans."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.actions import starter
from core.actions.motion import MotionGrid, MotionSink, box_energy, global_shift, motion_cells
from core.actions.spans import ClipResult, Span, evaluate, load_spans, shrink_spans
from core.errors import ClipDeskError
from core.persons.poses import PoseTable, pack

FPS = 30.0
SPANS = Path(__file__).resolve().parents[1] / "data" / "action_spans.json"


def _pose(cx: float, feet: float, h: float = 200.0, arms: str = "down", facing_away: bool = True,
          side_on: bool = False) -> np.ndarray:
    """COCO-17 keypoints of an upright person ``h`` pixels tall, feet at ``feet``."""
    top = feet - h
    kp = np.zeros((17, 3), np.float32)
    kp[:, 2] = 0.9
    half = 0.0 if side_on else 0.09 * h
    sgn = 1 if facing_away else -1  # facing away: the right shoulder is on the image's right
    sh_y, hip_y, knee_y = top + 0.2 * h, top + 0.5 * h, top + 0.75 * h
    kp[0] = (cx, top + 0.08 * h, 0.9)
    for i, dx in ((1, -5), (2, 5), (3, -9), (4, 9)):  # eyes, ears
        kp[i] = (cx + dx, top + 0.07 * h, 0.9)
    kp[5], kp[6] = (cx - sgn * half, sh_y, .9), (cx + sgn * half, sh_y, .9)
    kp[11], kp[12] = (cx - sgn * 0.06 * h, hip_y, .9), (cx + sgn * 0.06 * h, hip_y, .9)
    kp[13], kp[14] = (cx - 0.06 * h, knee_y, .9), (cx + 0.06 * h, knee_y, .9)
    kp[15], kp[16] = (cx - 0.06 * h, feet, .9), (cx + 0.06 * h, feet, .9)
    if arms == "down":
        wl, wr = (cx - 0.1 * h, hip_y), (cx + 0.1 * h, hip_y)
    elif arms == "shot":  # both hands together above the head
        wl, wr = (cx - 0.03 * h, top - 0.1 * h), (cx + 0.03 * h, top - 0.1 * h)
    elif arms == "celebrate":  # a V
        wl, wr = (cx - 0.3 * h, top - 0.1 * h), (cx + 0.3 * h, top - 0.1 * h)
    elif arms == "set":  # the ball held at the forehead, hands together just under the nose's level
        wl, wr = (cx - 0.02 * h, top + 0.13 * h), (cx + 0.02 * h, top + 0.13 * h)
    elif arms == "near":  # both hands a little out to the image's right (a far player's take-back)
        wl, wr = (cx + 0.13 * h, hip_y - 0.05 * h), (cx + 0.17 * h, hip_y - 0.05 * h)
    else:  # "right": both hands out to the image's right at waist height
        wl, wr = (cx + 0.25 * h, hip_y - 0.05 * h), (cx + 0.35 * h, hip_y - 0.05 * h)
    kp[9], kp[10] = (*wl, .9), (*wr, .9)
    kp[7], kp[8] = ((kp[5, 0] + wl[0]) / 2, (sh_y + wl[1]) / 2, .9), ((kp[6, 0] + wr[0]) / 2, (sh_y + wr[1]) / 2, .9)
    return kp


def _track(tid: int, frames: list[int], poses: list[np.ndarray]) -> list[np.ndarray]:
    rows = []
    for f, kp in zip(frames, poses):
        x1, x2 = float(kp[:, 0].min()) - 10, float(kp[:, 0].max()) + 10
        y1, y2 = float(kp[:, 1].min()) - 10, float(kp[:, 1].max()) + 5
        rows.append(pack(f, tid, 0.9, np.array([x1, y1, x2, y2]), kp))
    return rows


def _motion(frames: int, bursts: list[tuple[int, int, tuple[float, float, float, float]]],
            size: tuple[int, int] = (1280, 720)) -> MotionGrid:
    """A motion grid with motion in ``box`` (source pixels) during each ``[a, b)`` frame range."""
    gh, gw = 36, 64
    grid = np.zeros((frames, gh, gw), np.float32)
    for a, b, (x1, y1, x2, y2) in bursts:
        c1, c2 = int(x1 / size[0] * gw), int(np.ceil(x2 / size[0] * gw))
        r1, r2 = int(y1 / size[1] * gh), int(np.ceil(y2 / size[1] * gh))
        grid[a:b, r1:r2, c1:c2] = 0.6
    return MotionGrid(np.arange(frames), grid, *size)


SAMPLES = list(range(0, 150, 8))
SPRINT = starter.StarterParams(sprint=True)  # poses at ~4 fps, as the persons stage samples them


def test_a_shot_is_found_and_timed_by_the_motion() -> None:
    poses = [_pose(600, 600, arms="shot" if f in (56, 64) else "down") for f in SAMPLES]
    table = PoseTable(np.stack(_track(3, SAMPLES, poses)))
    motion = _motion(150, [(45, 78, (520, 300, 680, 600))])
    segs = starter.detect(table, FPS, motion)
    assert [s.label for s in segs] == ["shot"]
    s = segs[0]
    assert s.attrs["person"] == 3 and s.attrs["model"] == "starter" and "hands raised" in s.attrs["why"]
    assert abs(s.start_frame - 45) <= 3 and abs(s.end_frame - 78) <= 3, (s.start_frame, s.end_frame)
    assert 0.3 <= (s.confidence or 0) <= 1
    # without the motion grid the edges fall between the pose samples around the key poses
    s2 = starter.detect(table, FPS, None)[0]
    assert s2.label == "shot" and 48 <= s2.start_frame <= 56 and 64 < s2.end_frame <= 72


def test_a_small_players_set_point_is_a_shot() -> None:
    # a far player's pose sample catches the ball at the forehead (hands 0.05 body heights under
    # the nose, above the shoulders): keypoints that close together still make a shot
    poses = [_pose(600, 600, arms="set" if f == 56 else "down") for f in SAMPLES]
    segs = starter.detect(PoseTable(np.stack(_track(3, SAMPLES, poses))), FPS, None)
    assert [s.label for s in segs] == ["shot"] and segs[0].start_frame < 56 < segs[0].end_frame


def test_standing_still_is_no_action_and_long_raised_arms_are_a_celebration() -> None:
    still = PoseTable(np.stack(_track(1, SAMPLES, [_pose(600, 600) for _ in SAMPLES])))
    assert starter.detect(still, FPS, _motion(150, [])) == []
    up = [_pose(600, 600, arms="celebrate" if 24 <= f <= 80 else "down") for f in SAMPLES]
    segs = starter.detect(PoseTable(np.stack(_track(2, SAMPLES, up))), FPS, None)
    assert [s.label for s in segs] == ["celebration"] and "arms raised" in segs[0].attrs["why"]


def test_racket_stroke_side_and_sprint() -> None:
    # facing away, shoulders side-on, hands on the image's right = the player's right: forehand
    fh = [_pose(600, 600, arms="right", side_on=40 <= f <= 56) if 40 <= f <= 56 else _pose(600, 600) for f in SAMPLES]
    segs = starter.detect(PoseTable(np.stack(_track(1, SAMPLES, fh))), FPS, None)
    assert [s.label for s in segs] == ["forehand"]
    # facing the camera, the image's right is the player's left: backhand
    bh = [_pose(600, 600, arms="right", side_on=True, facing_away=False) if 40 <= f <= 56
          else _pose(600, 600, facing_away=False) for f in SAMPLES]
    assert [s.label for s in starter.detect(PoseTable(np.stack(_track(1, SAMPLES, bh))), FPS, None)] == ["backhand"]
    # a far player's take-back: hands only 0.17 body heights out (both wrists by the racket)
    far = [_pose(600, 600, arms="near", side_on=True, facing_away=False) if 40 <= f <= 56
           else _pose(600, 600, facing_away=False) for f in SAMPLES]
    assert [s.label for s in starter.detect(PoseTable(np.stack(_track(1, SAMPLES, far))), FPS, None)] == ["backhand"]
    # 3 body heights a second for 1.3 s: a sprint
    run = [_pose(200 + 600 * min(max(f - 40, 0), 40) / FPS, 600) for f in SAMPLES]
    assert not starter.detect(PoseTable(np.stack(_track(4, SAMPLES, run))), FPS, None)  # off by default
    segs = starter.detect(PoseTable(np.stack(_track(4, SAMPLES, run))), FPS, None, SPRINT)
    sp = [s for s in segs if s.label == "sprint"]
    assert len(sp) == 1 and "body heights a second" in sp[0].attrs["why"]
    assert abs(sp[0].start_frame - 40) <= 8 and abs(sp[0].end_frame - 80) <= 8, (sp[0].start_frame, sp[0].end_frame)


def test_a_hop_is_a_jump_as_long_as_its_flight() -> None:
    # one pose sample catches the person 0.08 body heights up (feet and all): a small jump shot
    hop = [_pose(600, 600 - (16 if f == 56 else 0)) for f in SAMPLES]
    segs = [s for s in starter.detect(PoseTable(np.stack(_track(1, SAMPLES, hop))), FPS, None) if s.label == "jump"]
    assert len(segs) == 1 and "off the ground" in segs[0].attrs["why"]
    s = segs[0]
    assert s.start_frame < 56 < s.end_frame and 0.1 <= (s.end_frame - s.start_frame) / FPS <= 0.35
    assert starter.flight_frames(0.3, FPS, starter.StarterParams()) > starter.flight_frames(0.1, FPS,
                                                                                            starter.StarterParams())
    # the ankles up but the hips where they were: a knee bend (or a bad sample), no jump
    bend = [_pose(600, 600) for f in SAMPLES]
    bend[7][[13, 14, 15, 16], 1] -= 16
    assert not [s for s in starter.detect(PoseTable(np.stack(_track(1, SAMPLES, bend))), FPS, None)
                if s.label == "jump"]
    # 0.04 body heights (on tiptoe, or a box that jitters) is no jump
    tiptoe = [_pose(600, 600 - (8 if f == 56 else 0)) for f in SAMPLES]
    assert not starter.detect(PoseTable(np.stack(_track(1, SAMPLES, tiptoe))), FPS, None)


def test_jogging_jitter_and_a_camera_pan_are_no_sprint() -> None:
    # a jog: 1.5 body heights a second for the whole track
    jog = [_pose(200 + 300 * f / FPS, 600) for f in SAMPLES]
    assert not [s for s in starter.detect(PoseTable(np.stack(_track(1, SAMPLES, jog))), FPS, None, SPRINT)
                if s.label == "sprint"]
    # a 20 px player whose box jumps by up to 6 px between samples, going nowhere
    rng = np.random.default_rng(0)
    small = [_pose(300 + rng.uniform(-6, 6), 100 + rng.uniform(-3, 3), h=20) for _ in SAMPLES]
    assert not [s for s in starter.detect(PoseTable(np.stack(_track(1, SAMPLES, small))), FPS, None, SPRINT)
                if s.label == "sprint"]
    # the camera pans: everybody moves across the image at 3 body heights a second
    rows = []
    for tid, x0 in enumerate((100, 400, 700, 1000)):
        rows += _track(tid + 1, SAMPLES, [_pose(x0 + 600 * f / FPS, 600) for f in SAMPLES])
    segs = starter.detect(PoseTable(np.stack(rows)), FPS, None, SPRINT)
    assert not [s for s in segs if s.label == "sprint"]
    # ... and one of them runs away from the others: only he sprints
    rows = [r for r in rows if r[1] != 4] + _track(4, SAMPLES, [_pose(1000 + 1500 * f / FPS, 600) for f in SAMPLES])
    segs = starter.detect(PoseTable(np.stack(rows)), FPS, None, SPRINT)
    assert {s.attrs["person"] for s in segs if s.label == "sprint"} == {4}


def test_motion_grid_ignores_camera_pans_and_round_trips() -> None:
    rng = np.random.default_rng(1)
    import cv2

    base = cv2.GaussianBlur((rng.random((180, 320)) * 255).astype(np.uint8), (5, 5), 0)
    panned = np.roll(base, (2, -6), axis=(0, 1))
    assert global_shift(base, panned) == (2, -6)
    assert motion_cells(base, panned)[3:-3, 3:-3].max() == 0.0  # a pan is not motion
    moved = panned.copy()
    moved[60:100, 100:140] = 255 - moved[60:100, 100:140]  # something moves as well
    cells = motion_cells(base, moved)
    assert cells[12:20, 20:28].mean() > 0.5 and cells[25:, 40:].max() == 0.0

    sink = MotionSink(30.0)

    class Info:
        display_size = (640, 360)

    sink.begin(Info())
    for i in range(5):
        sink.frame(i, i / 30, np.roll(base, 3 * i, axis=1))
    grid = sink.result()
    q, fr = grid.pack()
    back = MotionGrid.unpack(q, fr)
    assert list(back.frames) == [1, 2, 3, 4] and back.width == 640 and back.shape == grid.shape
    e = box_energy(back, np.array([1, 2]), np.array([[0, 0, 640, 360], [np.nan] * 4]))
    assert e.shape == (2, 4) and e[1].sum() == 0


def test_evaluation_recall_false_actions_and_offsets() -> None:
    truth = [Span(30, 60, "shot", (100, 100, 200, 300)), Span(200, 230, "forehand", (100, 100, 200, 300))]
    pred = [Span(33, 63, "shot", (110, 100, 210, 300)),  # hit, 0.1 s off at both ends
            Span(200, 230, "backhand", (100, 100, 200, 300)),  # wrong class, right family
            Span(400, 420, "shot", (110, 100, 210, 300)),  # a false shot
            Span(30, 60, "shot", (900, 100, 1000, 300))]  # someone else
    res = evaluate([ClipResult("c", 600, 30.0, pred, truth)])
    assert res["hits"] == 1 and res["recall"] == 0.5 and res["median_boundary_offset_s"] == pytest.approx(0.1)
    assert res["false_per_10s_without_class"]["shot"] == pytest.approx(10 * 2 / ((600 - 30) / 30), abs=1e-3)
    fam = evaluate([ClipResult("c", 600, 30.0, pred, truth)], family=True)
    assert fam["recall"] == 1.0
    # a shot inside a stretch where shots could not be judged is not counted false
    ign = evaluate([ClipResult("c", 600, 30.0, pred, truth, [Span(390, 430, "shot")])])
    assert ign["false_per_10s_without_class"]["shot"] == pytest.approx(10 * 1 / ((600 - 30) / 30), abs=1e-3)


def test_the_hand_labelled_spans_file() -> None:
    clips = load_spans(SPANS)
    splits = {c.split for c in clips.values()}
    assert splits == {"tuning", "heldout"}
    assert sum(len(c.spans) for c in clips.values()) >= 60
    # the clips held out last session stay held out
    for name in ("tennis-tracking__video_input3.mp4", "ai-basketball-analysis__ncku_new.mp4",
                 "yolov4-deepsort__football1.mp4", "mmaction2__demo_demo.mp4", "mmaction2__tests_data_test.avi"):
        assert clips[name].split == "heldout"
    assert all(s.cls in starter.CLASSES for c in clips.values() for s in c.spans)
    assert any(c.split == "heldout" and c.spans for c in clips.values())


def test_a_bad_spans_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "s.json"
    bad.write_text('{"kind": "clipdesk.action-spans/1", "split": {"tuning": []}, "clips": {"a": {"spans": []}}}')
    with pytest.raises(ClipDeskError, match="in no split"):
        load_spans(bad)
    bad.write_text('{"kind": "clipdesk.action-spans/1", "split": {"tuning": ["a"]}, "clips": {"a": {"spans": [], '
                   '"ignore": [{"start": 9, "end": 3, "class": "jump"}]}}}')
    with pytest.raises(ClipDeskError, match="ignore 9-3"):
        load_spans(bad)
    bad.write_text("not json")
    with pytest.raises(ClipDeskError):
        load_spans(bad)


def test_the_small_player_proxy_scales_the_labels_about_the_centre() -> None:
    s = shrink_spans([Span(3, 9, "shot", (0, 0, 960, 540)), Span(1, 2, "jump")], 2, (960, 540))
    assert s[0].box == (240, 135, 720, 405) and (s[0].start, s[0].end, s[0].cls) == (3, 9, "shot")
    assert s[1].box is None


def test_every_labelled_span_lies_inside_its_shared_clip(shared_media: Path) -> None:
    import json

    meta = {Path(m["file"]).name: m for m in json.loads((shared_media / "media_metadata.json").read_text())
            if m["file"].startswith("video/")}
    for name, clip in load_spans(SPANS).items():
        assert name in meta, f"{name}: not a shared clip"
        n = int(meta[name]["frames_decoded"])
        w, h = int(meta[name]["width"]), int(meta[name]["height"])
        for s in clip.spans + clip.ignore:
            assert 0 <= s.start < s.end <= n, (name, s)
            if s.box:
                assert 0 <= s.box[0] < s.box[2] <= w and 0 <= s.box[1] < s.box[3] <= h, (name, s)
