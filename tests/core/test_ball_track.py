"""The moving-ball finder and its paths on generated courts (no shared media needed)."""

from __future__ import annotations

import cv2
import numpy as np

from core.persons.ball_track import BallFinder, link_ball


def _court(n: int, seed: int = 0, pan: float = 0.0) -> tuple[list[np.ndarray], list[tuple[float, float] | None]]:
    """``n`` grey 640x360 frames of a court with lines, a static bright spot (a distractor), a
    player-sized block walking, and a ball on a parabola (motion-blurred into a streak), hidden
    for frames 40-44. Returns the frames and the true ball centre per frame (None: hidden)."""
    rng = np.random.default_rng(seed)
    base = np.full((420, 900), 90, np.uint8)
    cv2.line(base, (40, 330), (860, 330), 200, 3)
    cv2.line(base, (400, 60), (400, 400), 200, 3)
    cv2.line(base, (40, 90), (860, 90), 200, 3)
    frames, truth = [], []
    for i in range(n):
        ox = int(round(pan * i))
        world = base.copy()
        cv2.circle(world, (540, 150), 4, 230, -1)  # static bright spot: never the ball
        px = 140 + 2 * i
        cv2.rectangle(world, (px, 230), (px + 25, 310), 60, -1)  # a dark player walking
        cv2.rectangle(world, (px + 5, 235), (px + 20, 245), 170, -1)  # his bright shirt
        t = i / 30.0
        bx, by = 120 + 300 * t, 330 - 420 * t + 300 * t * t  # ballistic path, world pixels
        if 30 <= i < 35 or not 0 <= by - 30 < 356:
            truth.append(None)
        else:
            vx, vy = 300 / 30, (-420 + 600 * t) / 30
            for k in np.linspace(-0.5, 0.5, 5):  # blur along the motion
                cv2.circle(world, (int(round(bx + k * vx)), int(round(by + k * vy))), 2, 200, -1)
            truth.append((bx - 40 - ox, by - 30))
        img = world[30:390, 40 + ox:680 + ox].copy()
        img = cv2.add(img, rng.integers(0, 6, img.shape, dtype=np.uint8))
        frames.append(img)
    return frames, truth


def _run(frames: list[np.ndarray], scale: float = 1.0) -> np.ndarray:
    f = BallFinder(scale)
    for i, g in enumerate(frames):
        f.push(i, g)
    return link_ball(f.candidates, scale)


def _score(track: np.ndarray, truth: list[tuple[float, float] | None], scale: float = 1.0) -> tuple[float, int]:
    rows = {int(r[0]): (r[1] / scale, r[2] / scale) for r in track}
    vis = [i for i, t in enumerate(truth) if t is not None and 1 <= i < len(truth) - 1]
    found = sum(1 for i in vis if i in rows and np.hypot(rows[i][0] - truth[i][0], rows[i][1] - truth[i][1]) <= 10)
    false = sum(1 for i, p in rows.items() if truth[i] is None or np.hypot(p[0] - truth[i][0], p[1] - truth[i][1]) > 10)
    return found / len(vis), false


def test_parabolic_ball_is_tracked_and_static_spot_never_is():
    frames, truth = _court(60)
    track = _run(frames)
    recall, false = _score(track, truth)
    assert recall >= 0.85, recall
    assert false <= 1  # at most an interpolated frame at the edge of the hidden stretch
    assert not np.any(np.hypot(track[:, 1] - 500, track[:, 2] - 120) < 8)  # the static spot
    shirt = np.hypot(track[:, 1] - (112 + 2 * track[:, 0]), track[:, 2] - 210) < 10
    ball = np.array([truth[int(f)] is not None and np.hypot(x - truth[int(f)][0], y - truth[int(f)][1]) < 10
                     for f, x, y in track[:, :3]])
    assert not np.any(shirt & ~ball)  # the walking player's bright shirt


def test_gap_where_the_ball_is_hidden():
    frames, truth = _court(60)
    track = _run(frames)
    hidden = set(range(31, 34)) | set(range(50, 60))
    assert not hidden & {int(f) for f in track[:, 0]}


def test_panning_camera_is_compensated():
    frames, truth = _court(60, pan=3.0)
    recall, false = _score(_run(frames), truth)
    assert recall >= 0.8, recall
    assert false <= 1


def test_source_pixels_and_no_ball_without_motion():
    frames, truth = _court(60)
    big = [cv2.resize(f, (1920, 1080), interpolation=cv2.INTER_NEAREST) for f in frames]
    small = [cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA) for f in big]
    track = _run(small, scale=3.0)
    recall, _ = _score(track, truth, scale=3.0)
    assert recall >= 0.8
    still = [frames[10]] * 30
    assert len(_run(still)) == 0


def test_ball_sink_in_a_decode_pass_gives_source_pixels(tmp_path):
    import av

    from core.media.decode import run_decode
    from core.media.reader import probe
    from core.persons.ball_track import BallSink

    frames, truth = _court(50)
    path = tmp_path / "court.mp4"
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=30)
        st.width, st.height, st.pix_fmt = 1280, 720, "yuv420p"
        st.options = {"crf": "12", "preset": "ultrafast"}
        for g in frames:
            rgb = cv2.cvtColor(cv2.resize(g, (1280, 720), interpolation=cv2.INTER_LINEAR), cv2.COLOR_GRAY2RGB)
            for pkt in st.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    sink = BallSink()
    run_decode(probe(path), [sink])
    assert sink.scale == 2.0
    track = link_ball(sink.candidates, sink.scale)
    recall, false = _score(track, truth, scale=2.0)
    assert recall >= 0.8 and false <= 1
