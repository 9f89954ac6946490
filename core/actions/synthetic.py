"""Synthetic pose tracks with known action spans, for tests, benchmarks and demos.

Generates COCO-17 skeletons in pixel coordinates that walk about and now and then perform one
of a few actions (``wave``: a hand waved above the head; ``kick``: one leg swung forward and up;
``jump``: the body leaves the ground with bent knees), with size, position, speed, facing,
keypoint jitter and dropped joints varied at random. :data:`MOTION_CLASSES` adds the starter
detector's other classes, drawn the way its rules describe them: ``shot`` (both hands raised
together above the head and released), ``serve`` (one arm stretched high, the other low),
``forehand`` / ``backhand`` (shoulders turned side-on, the racket arm swung across on the
right / left of the body), ``fall`` (the body tips over to lying), ``sprint`` (running at 2-3
body heights a second) and ``celebration`` (both arms up and apart, long). The output is a pose table in the
:mod:`core.persons.poses` layout plus the ground-truth spans, so a pipeline can be checked end to end
without real footage. Not training data for real video: models trained on it are for tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.persons.poses import COLS, N_KPT, pack

SYNTH_CLASSES = ("wave", "kick", "jump")
# The starter detector's classes (core.actions.starter.CLASSES), for pre-training the ST-GCN.
MOTION_CLASSES = ("shot", "serve", "forehand", "backhand", "jump", "kick", "fall", "sprint", "celebration")
SPRINT_SPEED = 2.4  # body heights per second while sprinting
CLASS_SECONDS = {"celebration": (1.8, 3.5), "sprint": (1.0, 2.5), "fall": (1.0, 2.0)}

# Standing pose in body units (hip centre at 0, y down, height ~1), COCO order.
_BASE = np.array([
    (0.0, -0.42), (0.02, -0.44), (-0.02, -0.44), (0.05, -0.43), (-0.05, -0.43),
    (0.1, -0.3), (-0.1, -0.3), (0.13, -0.15), (-0.13, -0.15), (0.14, -0.02), (-0.14, -0.02),
    (0.07, 0.0), (-0.07, 0.0), (0.08, 0.25), (-0.08, 0.25), (0.08, 0.5), (-0.08, 0.5),
], np.float64)


@dataclass(frozen=True)
class SynthSpan:
    track_id: int
    start_frame: int
    end_frame: int  # exclusive
    label: str


def _pose(t: float, label: str | None, phase: float, walk_f: float, amp: float) -> np.ndarray:
    """Body-unit keypoints at time ``t`` seconds; ``phase`` in [0, 1] within an action."""
    p = _BASE.copy()
    s = np.sin(2 * np.pi * walk_f * t)
    if label != "jump":  # walking: legs and arms swing in opposition
        p[[13, 15], 0] += 0.05 * s * amp
        p[[14, 16], 0] -= 0.05 * s * amp
        p[[9], 0] -= 0.04 * s * amp
        p[[10], 0] += 0.04 * s * amp
    if label == "wave":
        env = np.sin(np.pi * phase)
        p[8] = (-0.2, -0.3 - 0.15 * env)
        p[10] = (-0.22 + 0.09 * np.sin(2 * np.pi * 3 * phase), -0.3 - 0.35 * env)
    elif label == "kick":
        env = np.sin(np.pi * phase) ** 2
        p[14] = (-0.08 - 0.17 * env, 0.25 - 0.12 * env)
        p[16] = (-0.08 - 0.38 * env, 0.5 - 0.25 * env)
        p[[9, 10], 0] *= 1 + 0.8 * env  # arms out for balance
    elif label == "jump":
        lift = max(0.0, np.sin(np.pi * phase)) * 0.3
        crouch = 0.08 * (np.cos(2 * np.pi * phase) + 1) / 2
        p[:, 1] -= lift
        p[[13, 14], 0] *= 1.3
        p[[13, 14], 1] -= crouch
        p[:11, 1] += crouch
        p[[9, 10], 1] -= 0.3 * np.sin(np.pi * phase)
    elif label == "shot":  # gather at the chest, both hands up together over the head, release
        env = np.sin(np.pi * min(1.0, phase * 1.4)) if phase < 1 / 1.4 else 0.0
        p[[7, 8], 1] = -0.3 - 0.22 * env
        p[7, 0], p[8, 0] = 0.1 - 0.03 * env, -0.1 + 0.03 * env
        p[9] = (0.03, -0.12 - 0.55 * env)
        p[10] = (-0.03, -0.12 - 0.55 * env)
        p[:, 1] -= 0.06 * max(0.0, np.sin(np.pi * phase))  # on the toes
    elif label == "serve":  # toss arm and racket arm: one high above the head, the other low
        env = np.sin(np.pi * phase)
        p[8] = (-0.12, -0.3 - 0.25 * env)
        p[10] = (-0.12 + 0.05 * env, -0.1 - 0.62 * env)
        p[9] = (0.16, 0.02 + 0.05 * env)
    elif label in ("forehand", "backhand"):  # turned side-on, the racket arm out on one side
        # facing the camera the person's right (COCO's right joints) is image left (-x): a
        # right-hander's forehand is out on -x, the backhand reaches across to +x
        side = -1.0 if label == "forehand" else 1.0
        turn = np.sin(np.pi * phase)
        p[[5, 6], 0] *= 1 - 0.9 * turn  # shoulders in line with the camera
        p[[11, 12], 0] *= 1 - 0.6 * turn
        reach = 0.3 + 0.12 * np.sin(2 * np.pi * phase)  # taken back, then swung through
        p[10] = (side * reach * turn, -0.22 + 0.05 * np.cos(2 * np.pi * phase))
        p[8] = (side * 0.5 * reach * turn, -0.26)
    elif label == "fall":  # tips over from the feet, then lies
        ang = (np.pi / 2) * min(1.0, phase / 0.5) * 0.95
        c, sn = np.cos(ang), np.sin(ang)
        q = p - np.array([0.0, 0.5])
        p = np.stack([c * q[:, 0] + sn * q[:, 1], -sn * q[:, 0] + c * q[:, 1]], axis=1) + np.array([0.0, 0.5])
    elif label == "sprint":  # long fast strides, arms pumping, leaning forward
        s2 = np.sin(2 * np.pi * 2.8 * t)
        p[[13, 15], 0] += 0.12 * s2
        p[[14, 16], 0] -= 0.12 * s2
        p[[15], 1] -= 0.08 * max(0.0, s2)
        p[[16], 1] -= 0.08 * max(0.0, -s2)
        p[[9], 0] -= 0.1 * s2
        p[[10], 0] += 0.1 * s2
        p[:11, 0] += 0.06
    elif label == "celebration":  # both arms up and apart, a little bounce
        env = min(1.0, 4 * phase, 4 * (1 - phase))
        p[7], p[8] = (0.2, -0.3 - 0.2 * env), (-0.2, -0.3 - 0.2 * env)
        p[9] = (0.14 + 0.16 * env, -0.02 - 0.66 * env)
        p[10] = (-0.14 - 0.16 * env, -0.02 - 0.66 * env)
        p[:, 1] -= 0.04 * abs(np.sin(2 * np.pi * 2 * t)) * env
    return p


def _bounce(x: float, lo: float, hi: float) -> float:
    """``x`` walked on from ``lo`` and turned back at each edge of ``[lo, hi]``."""
    span = hi - lo
    if span <= 0:
        return lo
    u = (x - lo) % (2 * span)
    return lo + (u if u <= span else 2 * span - u)


def synth_track(rng: np.random.Generator, track_id: int, n_frames: int, fps: float,
                spans: list[tuple[int, int, str]], sample_step: int = 1,
                frame_size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """Pose rows of one person over ``n_frames`` doing ``spans`` (start, end, label)."""
    w, h = frame_size
    height = rng.uniform(0.15, 0.45) * h
    x0 = rng.uniform(0.15, 0.85) * w
    y0 = rng.uniform(0.45, 0.8) * h
    vx = rng.uniform(-0.4, 0.4) * height  # px per second
    facing = rng.choice([-1.0, 1.0])
    walk_f = rng.uniform(0.8, 1.8)
    amp = rng.uniform(0.5, 1.5)
    jitter = rng.uniform(0.004, 0.015)
    # sprints move the person on: extra displacement (px) accumulated up to each frame
    extra = np.zeros(n_frames + 1)
    for s, e, lab in spans:
        if lab == "sprint":
            d = np.sign(vx) if vx else 1.0
            extra[s:] += d * (SPRINT_SPEED * height - abs(vx)) / fps * np.clip(np.arange(n_frames + 1 - s), 0, e - s)
    rows = []
    for f in range(0, n_frames, sample_step):
        t = f / fps
        label, phase = None, 0.0
        for s, e, lab in spans:
            if s <= f < e:
                label, phase = lab, (f - s + 0.5) / (e - s)
        body = _pose(t, label, phase, walk_f, amp)
        body[:, 0] *= facing
        body += rng.normal(0, jitter, body.shape)
        x = _bounce(x0 + vx * t + extra[f], 0.05 * w, 0.95 * w)  # turns back at the frame's edges
        xy = np.stack([x + body[:, 0] * height, y0 + body[:, 1] * height], axis=1)
        conf = rng.uniform(0.6, 0.98, N_KPT)
        drop = rng.random(N_KPT) < 0.04
        conf[drop] = rng.uniform(0.0, 0.05, drop.sum())
        kp = np.concatenate([xy, conf[:, None]], axis=1)
        box = np.array([xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()])
        rows.append(pack(f, track_id, float(rng.uniform(0.6, 0.95)), box, kp))
    return np.stack(rows) if rows else np.zeros((0, COLS), np.float32)


def synth_video(seed: int, n_frames: int = 750, fps: float = 25.0, n_persons: int = 2,
                sample_step: int = 1, classes: tuple[str, ...] = SYNTH_CLASSES,
                action_s: tuple[float, float] = (0.8, 1.8), gap_s: tuple[float, float] = (1.0, 3.0),
                frame_size: tuple[int, int] = (1280, 720)) -> tuple[np.ndarray, list[SynthSpan]]:
    """A pose table of ``n_persons`` tracks with actions at random times, and the true spans."""
    rng = np.random.default_rng(seed)
    all_rows: list[np.ndarray] = []
    truth: list[SynthSpan] = []
    for tid in range(1, n_persons + 1):
        spans: list[tuple[int, int, str]] = []
        f = int(rng.uniform(*gap_s) * fps)
        while True:
            length = int(rng.uniform(*action_s) * fps)
            if f + length >= n_frames:
                break
            lab = str(rng.choice(classes))
            if lab in CLASS_SECONDS:  # long actions (drawn only for these classes: old seeds keep their videos)
                length = int(rng.uniform(*CLASS_SECONDS[lab]) * fps)
                if f + length >= n_frames:
                    break
            spans.append((f, f + length, lab))
            f += length + int(rng.uniform(*gap_s) * fps)
        all_rows.append(synth_track(rng, tid, n_frames, fps, spans, sample_step, frame_size))
        truth.extend(SynthSpan(tid, s, e, lab) for s, e, lab in spans)
    table = np.concatenate(all_rows) if all_rows else np.zeros((0, COLS), np.float32)
    order = np.lexsort((table[:, 1], table[:, 0]))
    return table[order], truth
