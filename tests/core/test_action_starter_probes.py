"""Pose probes between the persons stage's samples (starter v4): where they go, what they find,
and the jump and shot rules on tracks with probes added."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.actions import starter
from core.actions.probe import crop_box, pose_on_crop, probe_poses, with_probes
from core.persons.poses import PoseTable
from tests.core.test_action_starter import FPS, _pose, _track

SAMPLES = list(range(0, 150, 15))  # poses at 2 fps: a 0.15 s flight falls between two samples


def _rows(frames: list[int], poses: list[np.ndarray], tid: int = 1) -> np.ndarray:
    return np.stack(_track(tid, frames, poses))


def test_probes_go_between_the_samples_around_raised_arms_and_nowhere_else() -> None:
    still = _rows(SAMPLES, [_pose(600, 600) for _ in SAMPLES])
    assert starter.probe_frames(still, FPS) == []
    # the gather at 45 (hands at the forehead) and the follow-through at 60: the gap between them
    poses = [_pose(600, 600, arms="set" if f == 45 else "shot" if f == 60 else "down") for f in SAMPLES]
    fr = starter.probe_frames(_rows(SAMPLES, poses), FPS)
    assert len(fr) == starter.StarterParams().probe_per_gap and all(45 < f < 60 for f in fr), fr
    # two shots a second apart are two runs: each gets its probes
    two = [_pose(600, 600, arms="shot" if f in (30, 90) else "down") for f in SAMPLES]
    fr2 = starter.probe_frames(_rows(SAMPLES, two), FPS)
    assert any(f < 45 for f in fr2) and any(f > 75 for f in fr2), fr2
    # the cost bound: at most probe_max_per_s per second of the track
    many = [_pose(600, 600, arms="shot" if i % 2 else "down") for i, _ in enumerate(SAMPLES)]
    p = starter.StarterParams(probe_max_per_s=1.0)
    assert len(starter.probe_frames(_rows(SAMPLES, many), FPS, p)) <= 1.0 * (SAMPLES[-1] + 1) / FPS + 1
    table = PoseTable(np.concatenate([_rows(SAMPLES, poses, 1), _rows(SAMPLES, [_pose(200, 600)] * len(SAMPLES), 2)]))
    assert set(starter.probe_requests(table, FPS)) == {1}


def test_a_probe_at_the_apex_makes_the_jump_and_the_shot() -> None:
    # regular samples: the gather (hands at the forehead) and the landing, both on the ground
    reg = [_pose(600, 600, arms="set" if f == 45 else "down") for f in SAMPLES]
    base = _rows(SAMPLES, reg)
    assert not [s for s in starter.detect(PoseTable(base), FPS, None) if s.label == "jump"]
    # probes at 49, 53, 56: the middle one in the air (0.08 body heights) with the ball released
    probes = _rows([49, 53, 56], [_pose(600, 590, arms="set"), _pose(600, 584, arms="shot"),
                                  _pose(600, 592, arms="shot")])
    table = with_probes(PoseTable(base), probes)
    segs = starter.detect(table, FPS, None)
    jumps = [s for s in segs if s.label == "jump"]
    assert len(jumps) == 1 and jumps[0].start_frame < 53 < jumps[0].end_frame, [(s.label, s.start_frame) for s in segs]
    assert (jumps[0].end_frame - jumps[0].start_frame) / FPS <= 0.35
    assert [s for s in segs if s.label == "shot" and s.start_frame <= 53 < s.end_frame]
    # the ground line comes from the lowest feet nearby, so a neighbouring probe half in the air
    # does not hide the apex; a probe that is only a knee bend (hips down) is no jump
    bend = _pose(600, 600, arms="shot")
    bend[[13, 14, 15, 16], 1] -= 16
    t2 = with_probes(PoseTable(base), _rows([49, 53, 56], [_pose(600, 596), bend, _pose(600, 597)]))
    assert not [s for s in starter.detect(t2, FPS, None) if s.label == "jump"]


class _Reader:
    """A frame reader over generated frames (counts the frames decoded)."""

    def __init__(self, n: int, size: tuple[int, int] = (1280, 720)) -> None:
        self.n, self.size, self.reads = n, size, []  # type: ignore[var-annotated]

    def read(self, index: int) -> np.ndarray:
        self.reads.append(index)
        img = np.zeros((self.size[1], self.size[0], 3), np.uint8)
        img[..., 0] = index % 256
        return img


def test_probe_poses_map_the_crop_back_and_keep_only_the_person() -> None:
    box = np.array([500.0, 380.0, 700.0, 610.0])
    x1, y1, x2, y2 = crop_box(box, (1280, 720))
    assert x1 < 500 and y1 < 380 - 0.3 * 230 and x2 > 700 and y2 >= 610 and y2 <= 720
    kp = _pose(600, 600, arms="shot")
    seen: list[tuple[int, int]] = []

    def detect(crop: np.ndarray) -> Any:
        seen.append(crop.shape[:2])
        # the model answers in crop pixels: the person, and someone else far off to the side
        me = np.concatenate([[box[0] - x1, box[1] - y1, box[2] - x1, box[3] - y1, 0.8],
                             (kp - [x1, y1, 0]).reshape(-1)])
        other = me.copy()
        other[[0, 2]] += 400
        other[5::3] += 400
        return np.stack([other, me]).astype(np.float32)

    q = pose_on_crop(np.zeros((720, 1280, 3), np.uint8), box, detect)
    assert q is not None and np.allclose(q[:4], box, atol=1e-3)
    assert np.allclose(q[5:].reshape(17, 3)[:, :2], kp[:, :2], atol=1e-3)
    assert seen == [(y2 - y1, x2 - x1)]
    assert pose_on_crop(np.zeros((720, 1280, 3), np.uint8), box, lambda c: np.zeros((0, 56), np.float32)) is None
    # rows of the track at the probe frames; nearby probes decode on instead of seeking back
    rows = _rows([0, 30, 60], [_pose(600, 600)] * 3)
    reader = _Reader(90)

    def person(crop: np.ndarray) -> Any:  # whoever stands where the crop's margins put the box
        h, w = crop.shape[:2]
        d = np.zeros((1, 56), np.float32)
        d[0, :5] = (0.3 / 1.6 * w, 0.4 / 1.5 * h, 1.3 / 1.6 * w, 1.4 / 1.5 * h, 0.9)
        return d

    out = probe_poses(reader, PoseTable(rows), {1: [40, 50, 45]}, person)
    assert out[:, 0].tolist() == [40, 45, 50] and set(out[:, 1].tolist()) == {1}
    assert reader.reads == list(range(40, 51))
    merged = with_probes(PoseTable(rows), np.concatenate([out, rows[:1]]))
    assert len(merged) == 6  # a frame already sampled is not added twice


def test_a_burst_of_motion_above_the_head_gets_a_probe_at_its_peak() -> None:
    """Off by default since starter v5 (no gain on the tuning clips, a false stroke on the proxy):
    ``probe_bursts`` turns them on."""
    from tests.core.test_action_starter import _motion

    on = starter.StarterParams(probe_bursts=True)

    poses = [_pose(600, 600) for _ in SAMPLES]  # no sample catches the arms up
    rows = _rows(SAMPLES, poses)
    x1, y1, x2, y2 = rows[0, 3:7]
    above = (x1, y1 - 0.4 * (y2 - y1), x2, y1)  # the band over the head: a ball released, arms thrown up
    assert starter.probe_frames(rows, FPS, on, motion=_motion(150, [])) == []
    assert starter.probe_frames(rows, FPS, on, motion=_motion(150, [(52, 53, above)])) == [52]
    assert starter.probe_frames(rows, FPS, motion=_motion(150, [(52, 53, above)])) == []  # the default
    # the peak of a burst, not each frame of it
    m = _motion(150, [(48, 57, above)])
    m.grid[52] *= 1.5
    assert starter.probe_frames(rows, FPS, on, motion=m) == [52]
    # motion in the body only (running, dribbling) is no reason for a probe
    assert starter.probe_frames(rows, FPS, on, motion=_motion(150, [(52, 53, (x1, y1 + 40, x2, y2))])) == []
    # above the head all the time (a racket player, a crowd behind): only peaks well over that
    busy = _motion(150, [(0, 150, above)])
    busy.grid *= 0.3
    assert starter.probe_frames(rows, FPS, on, motion=busy) == []


def test_crops_of_yuv_planes_are_the_rgb_crops_and_probes_decode_on_within_a_gop() -> None:
    """Probes read YUV 4:2:0 planes and convert only the crop; between two probes with no
    keyframe between them the reader decodes on (a seek would decode from that keyframe anyway)."""
    import cv2

    from core.actions.probe import _decode_on, cut, image_size

    rng = np.random.default_rng(0)
    rgb = cv2.resize(rng.integers(0, 255, (36, 64, 3), np.uint8), (640, 360), interpolation=cv2.INTER_LINEAR)
    yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)  # (H * 3 / 2, W), the layout av gives for yuv420p
    assert image_size(yuv) == image_size(rgb) == (640, 360)
    c, x1, y1 = cut(yuv, 101, 51, 181, 201)  # odd corners move to even pixels
    assert (x1, y1) == (100, 50) and c.shape[2] == 3 and c.shape[0] % 2 == 0 and c.shape[1] % 2 == 0
    whole = cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420)  # the whole frame converted: the same pixels
    ref = whole[y1:y1 + c.shape[0], x1:x1 + c.shape[1]].astype(int)
    assert np.abs(c.astype(int) - ref).mean() < 1
    assert np.abs(c.astype(int) - rgb[y1:y1 + c.shape[0], x1:x1 + c.shape[1]]).mean() < 8
    c2, a, b = cut(rgb, 101, 51, 181, 201)
    assert (a, b) == (101, 51) and c2.shape == (150, 80, 3)
    keys = np.array([0, 250, 500])
    assert _decode_on(100, 240, keys) and not _decode_on(240, 260, keys) and _decode_on(250, 260, keys)
    assert not _decode_on(-1, 10, keys) and not _decode_on(50, 50, keys)
    assert _decode_on(10, 40, None) and not _decode_on(10, 100, None)  # without keyframes: 45 frames
    rows = _rows([0, 300, 600], [_pose(600, 600)] * 3)
    reader = _Reader(700)

    def person(crop: np.ndarray) -> Any:
        h, w = crop.shape[:2]
        d = np.zeros((1, 56), np.float32)
        d[0, :5] = (0.3 / 1.6 * w, 0.4 / 1.5 * h, 1.3 / 1.6 * w, 1.4 / 1.5 * h, 0.9)
        return d

    out = probe_poses(reader, PoseTable(rows), {1: [100, 240, 260, 400]}, person, keys=keys)
    assert out[:, 0].tolist() == [100, 240, 260, 400]
    # 100 by a seek, on to 240 (same GOP), 260 by a seek (keyframe 250 after 240), on to 400
    assert reader.reads == [100, *range(101, 241), 260, *range(261, 401)]


def test_several_crops_go_to_the_model_in_one_call_when_it_takes_several() -> None:
    rows = _rows([0, 30, 60], [_pose(600, 600)] * 3)
    calls: list[int] = []

    class Many:
        def __call__(self, crop: np.ndarray) -> Any:
            return self.many([crop])[0]

        def many(self, crops: list[np.ndarray]) -> list[Any]:
            calls.append(len(crops))
            out = []
            for c in crops:
                h, w = c.shape[:2]
                d = np.zeros((1, 56), np.float32)
                d[0, :5] = (0.3 / 1.6 * w, 0.4 / 1.5 * h, 1.3 / 1.6 * w, 1.4 / 1.5 * h, 0.9)
                out.append(d)
            return out

    frames = list(range(1, 60, 5))
    out = probe_poses(_Reader(90), PoseTable(rows), {1: frames}, Many())
    from core.actions.probe import BATCH

    assert out[:, 0].tolist() == frames and calls == [BATCH, len(frames) - BATCH]


def test_keyframes_and_the_yuv_reader_on_a_real_video(tmp_path: Any) -> None:
    """The keyframes come from the packets (and, for a stretch, only around it); frames read
    through :func:`open_reader` and decoded on between keyframes are the frames an RGB reader
    gets by seeking."""
    import av

    from core.actions.probe import cut, keyframes, open_reader
    from core.media.reader import FrameReader, probe
    from core.timebase import FrameClock

    path = tmp_path / "gop.mp4"
    rng = np.random.default_rng(1)
    base = rng.integers(0, 255, (72, 128, 3), dtype=np.uint8)
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = 128, 72, "yuv420p"
        vs.options = {"g": "25", "keyint_min": "25", "sc_threshold": "0"}
        for i in range(120):
            for pkt in vs.encode(av.VideoFrame.from_ndarray(np.roll(base, 3 * i, axis=1), format="rgb24")):
                c.mux(pkt)
        for pkt in vs.encode():
            c.mux(pkt)
    info = probe(path)
    clock = FrameClock(info.rate, info.frame_count)
    keys = keyframes(str(path), clock)
    assert keys.tolist() == [0, 25, 50, 75, 100]
    part = keyframes(str(path), clock, 60, 70).tolist()
    assert part[0] == 50 and 75 in part and 0 not in part
    assert keyframes(str(tmp_path / "missing.mp4"), clock).tolist() == []
    with open_reader(info, clock) as yuv, FrameReader(str(path), clock, size=info.display_size) as rgb:
        for f in (30, 31, 44, 60, 99):
            y = yuv.read(f)
            assert y.ndim == 2 and y.shape == (108, 128)
            a, x1, y1 = cut(y, 10, 10, 90, 60)
            b = rgb.read(f)[y1:y1 + a.shape[0], x1:x1 + a.shape[1]]
            assert np.abs(a.astype(int) - b.astype(int)).mean() < 3, f
