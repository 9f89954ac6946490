"""The starter action detector: kinematic rules over tracked keypoints, no trained model.

It is what a fresh install uses (the default action model, id ``starter``), so the action track
is not empty on the first run. Pose samples (2-4 per second, from the persons stage) say *what*
a person does; the dense motion grid (:mod:`core.actions.motion`, up to 15 fps) says *when*:
each rule finds key poses, and the span's onset and end are placed where the motion inside the
person's box rises above and falls back below a level between the person's quiet baseline and
the burst's peak. Without the motion grid the edges fall halfway to the neighbouring samples.

A jump shot's release and the flight's apex last a tenth of a second and mostly fall between the
samples, so around samples with both arms raised and at the peak of each burst of motion above
the head :func:`probe_frames` names a few frames where one more pose of that person would
decide; the actions stage decodes them again and runs the pose model on the person's crop
(:mod:`core.actions.probe`), and the rules read the track with those poses added.

Classes and what fires them (``s`` = the person's height in pixels, the track's median box height):

* ``shot`` (shot/throw): both wrists above the shoulders and close together, the higher one at
  least at the head's height less 0.06 body heights (the ball at the forehead: a small player's
  keypoints are only a few pixels apart);
* ``serve``: one wrist far above the head, the other clearly lower (a racket serve);
* ``forehand`` / ``backhand``: shoulders turned side-on and the hands 0.15 body heights or more
  out to one side (the racket taken back); the side of the body they are on decides which;
* ``jump``: both ankles above the ground line (the lowest feet of the samples 0.12-0.24 s before
  and after) by 0.06 body heights,
  the hips risen by half as much (a knee bend is no jump); the span is the flight a body thrown
  that high takes (ballistic), centred on the sample;
* ``kick``: one ankle lifted above the other knee while the legs move;
* ``fall``: the torso tilts past 55 degrees or the box becomes wider than tall;
* ``sprint`` (off by default, ``StarterParams(sprint=True)``: image speed cannot tell a
  camera-followed sprint from a jog across a still view): the feet cover 2.5 body heights a
  second or more, net over at least 0.5 s (box jitter does not add up), the local body height as
  the unit, and with two or more other people in view their median drift (the camera's pan)
  taken off first: a jog or a pan is no sprint;
* ``celebration``: both arms up, hands apart, for 1.2 s or more.

Each segment: class, confidence, ``attrs`` ``person`` (track id), ``model`` (``starter``),
``why`` (one sentence). Pure numpy; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from core.actions.motion import MotionGrid, box_energy
from core.persons.poses import PoseTable
from core.segments import ACTION, Segment

MODEL_ID = "starter"
VERSION = "5"  # bump when the rules change (the actions stage caches on it); 3: round 2 (jumps, strokes, sprint off);
# 4: pose probes between samples around raised arms, the jump's ground line from the lowest feet nearby;
# 5: no gap probes where a jump is already seen, no burst probes by default; jumps from 0.05 body
# heights with the ground line from samples 0.1 s away; a shot's edges at most 0.5 s from its key poses
CLASSES = ("shot", "serve", "forehand", "backhand", "jump", "kick", "fall", "sprint", "celebration")

# COCO keypoint indices
NOSE, LSH, RSH, LEL, REL, LWR, RWR, LHIP, RHIP, LKN, RKN, LANK, RANK = 0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16


@dataclass(frozen=True)
class StarterParams:
    kpt_conf: float = 0.3  # keypoints below this confidence are not used
    above_head: float = 0.03  # wrist above the head by this many body heights
    shot_above_head: float = -0.06  # both hands together at least this high (the ball at the forehead)
    hands_close: float = 0.3
    over_shoulder: float = 0.05  # both wrists above the shoulders by this much (body heights)
    serve_high: float = 0.12
    lateral_turned: float = 0.15  # with shoulders side-on, hands this far out (body heights) = stroke
    side_on: float = 0.07  # shoulders closer than this in x (body heights) = turned side-on
    jump_lift: float = 0.05  # ankles this far above the neighbouring samples' ground line (body heights)
    jump_hips: float = 0.5  # the hips rise at least this fraction of the ankles' lift
    body_m: float = 1.75  # a person's height (metres), to time a jump's flight from its height
    ankle_rise: float = 0.04  # body heights the ankles rise on tiptoe, before the flight
    kick_lift: float = 0.06  # ankle above the other knee by this much
    fall_tilt_deg: float = 55.0
    sprint: bool = False  # off by default: not precise enough yet (docs/benchmarks.md, round 2)
    sprint_speed: float = 2.5  # body heights per second, net over sprint_min_s, the camera's drift removed
    sprint_min_s: float = 0.5
    celebration_min_s: float = 1.2
    group_gap_s: float = 0.6  # key poses of one class closer than this are one action
    edge_level: float = 0.35  # edges where motion falls below baseline + level * (peak - baseline)
    max_pre_s: float = 0.8  # how far before the first key pose an onset may lie
    max_post_s: float = 0.8
    shot_pre_s: float = 0.5  # a shot (gather, release, follow-through) lasts 0.6-0.8 s: its edges stay this close
    shot_post_s: float = 0.5
    swing_ahead_s: float = 0.5  # a stroke's swing peaks up to this long after the turned key pose
    min_len_s: float = 0.2
    min_track_samples: int = 2
    min_conf: float = 0.3
    jump_ground_s: float = 0.1  # the ground line from samples at least this far before/after (not probes in the air)
    probe: bool = True  # extra pose samples on the person's crop between samples around raised arms
    probe_trigger: float = 0.0  # both wrists above the shoulders by this much (body heights) triggers probes
    probe_per_gap: int = 3  # probes between two samples (evenly spaced)
    probe_skip_jumps: bool = True  # no gap probes by a sample that already shows a jump
    probe_sides: int = 1  # gaps probed next to a sample with raised arms: 1 the better one (both ends higher), 2 both
    probe_bursts: bool = False  # probes at the peaks of motion above the head (round 3; no gain on today's poses)
    probe_burst: float = 0.08  # above-head motion peaks over this (and probe_burst_x the track's median) get probes
    probe_burst_x: float = 4.0
    probe_burst_at: tuple[int, ...] = (0,)  # frames from the peak probed
    probe_max_per_s: float = 3.0  # at most this many probes per second of a track (cost bound)


@dataclass
class KeyPose:
    frame: int
    cls: str
    strength: float  # 0..1, how clearly the rule fired
    why: str
    channel: int = 1  # motion channel that times it: 0 whole box, 1 upper half, 2 lower half
    lift: float = 0.0  # jump: the feet's height over the ground line (body heights)


@dataclass
class TrackFeatures:
    """Per-sample features of one track (arrays over its pose samples)."""

    frames: np.ndarray
    boxes: np.ndarray
    kp: np.ndarray  # (n, 17, 3)
    height: float
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def _pt(kp: np.ndarray, i: int, conf: float) -> np.ndarray | None:
    return kp[i, :2] if kp[i, 2] >= conf else None


def _mid(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return (a + b) / 2


def key_poses(rows: np.ndarray, fps: float, p: StarterParams) -> list[KeyPose]:
    """The key poses of one track (rows of a :class:`PoseTable` track, sorted by frame)."""
    frames = rows[:, 0].astype(np.int64)
    boxes = rows[:, 3:7].astype(np.float64)
    kps = rows[:, 7:].reshape(len(rows), 17, 3).astype(np.float64)
    hs = boxes[:, 3] - boxes[:, 1]
    s = float(np.median(hs)) if len(hs) else 1.0
    s = max(s, 1.0)
    c = p.kpt_conf
    out: list[KeyPose] = []
    # ground line: the lower ankle's y, median over the track (the person's standing level)
    ank = np.array([max((kp[i, 1] for i in (LANK, RANK) if kp[i, 2] >= c), default=np.nan) for kp in kps])
    bottom = np.where(np.isfinite(ank), ank, boxes[:, 3])
    hips = np.array([np.mean([kp[i, 1] for i in (LHIP, RHIP) if kp[i, 2] >= c]) if max(kp[LHIP, 2], kp[RHIP, 2]) >= c
                     else np.nan for kp in kps])
    # shoulder opening (right minus left shoulder x, body heights): its sign says whether the
    # person faces away from the camera (> 0: image right is the person's right)
    opening = np.array([(kp[RSH, 0] - kp[LSH, 0]) / s if kp[RSH, 2] >= c and kp[LSH, 2] >= c else np.nan
                        for kp in kps])
    ok = np.isfinite(opening)
    typical_open = float(np.percentile(np.abs(opening[ok]), 80)) if ok.any() else 0.0
    big = ok & (np.abs(opening) > 2 * p.side_on)
    facing = float(np.sign(np.median(opening[big]))) if big.any() else 1.0
    for j, kp in enumerate(kps):
        f = int(frames[j])
        lsh, rsh = _pt(kp, LSH, c), _pt(kp, RSH, c)
        sh = _mid(lsh, rsh)
        hip = _mid(_pt(kp, LHIP, c), _pt(kp, RHIP, c))
        nose = _pt(kp, NOSE, c)
        head_y = nose[1] if nose is not None else (sh[1] - 0.12 * s if sh is not None else None)
        lw, rw = _pt(kp, LWR, c), _pt(kp, RWR, c)
        # arms up: shot / serve / celebration
        if sh is not None and head_y is not None and (lw is not None or rw is not None):
            up = [w for w in (lw, rw) if w is not None]
            above = [(head_y - w[1]) / s for w in up]
            over_sh = [(sh[1] - w[1]) / s for w in up]
            top = max(above)
            if lw is not None and rw is not None and top > p.shot_above_head:
                gap = float(np.hypot(*(lw - rw))) / s
                low = min(over_sh)
                if low > p.over_shoulder and gap < p.hands_close:
                    out.append(KeyPose(f, "shot", min(1.0, 0.55 + top + (p.hands_close - gap)),
                                       "both hands raised together above the head (release)"))
                elif low > p.over_shoulder:
                    out.append(KeyPose(f, "arms_up", min(1.0, 0.5 + top), "both arms raised above the head"))
                elif top > p.serve_high and low < -0.05:
                    out.append(KeyPose(f, "serve", min(1.0, 0.5 + top),
                                       "one arm stretched high above the head, the other low (serve)"))
            elif len(up) == 1 and top > p.serve_high:
                out.append(KeyPose(f, "serve", min(1.0, 0.4 + top), "one arm stretched high above the head"))
        # racket stroke: shoulders turned side-on (racket taken back) or a wrist far out to the
        # side, below the head; the side of the body the hands are on decides which stroke
        if sh is not None and hip is not None and lsh is not None and rsh is not None:
            open_w = (rsh[0] - lsh[0]) / s  # > 0 facing away from the camera, < 0 facing it
            turned = abs(open_w) < p.side_on and typical_open > 2 * p.side_on
            hands = [w for w in (lw, rw)
                     if w is not None and not (head_y is not None and w[1] < head_y - p.above_head * s)]
            if hands:
                dxs = [(w[0] - hip[0]) / s for w in hands]
                far = max(dxs, key=abs)
                if turned and abs(far) > p.lateral_turned:
                    side = np.sign(far) * facing
                    if side != 0:
                        cls = "forehand" if side > 0 else "backhand"
                        how = f"shoulders turned side-on, hands {abs(far):.2f} body heights out"
                        out.append(KeyPose(f, cls, min(1.0, 0.5 + abs(far)),
                                           f"{how}, racket side on the player's {'right' if side > 0 else 'left'} "
                                           f"({cls})"))
        # jump: the feet above the ground line the neighbouring samples stand on (a transient
        # bump, so walking away from the camera, which raises the feet steadily, is no jump)
        lift = 0.0
        jb, ja = _ground_neighbours(frames, j, p.jump_ground_s * fps, bottom)
        if jb is not None and ja is not None and np.isfinite(ank[j]) and frames[ja] - frames[jb] <= 1.2 * fps:
            w = (frames[j] - frames[jb]) / max(1, frames[ja] - frames[jb])
            ground = (1 - w) * bottom[jb] + w * bottom[ja]
            lift = float(ground - bottom[j]) / s
            if np.isfinite(hips[[jb, j, ja]]).all():  # the body rises with the feet (not a knee bend)
                hip_lift = float((1 - w) * hips[jb] + w * hips[ja] - hips[j]) / s
                if hip_lift < p.jump_hips * lift:
                    lift = 0.0
        if lift > p.jump_lift:
            out.append(KeyPose(f, "jump", min(1.0, 0.4 + 2 * lift), f"feet {lift:.2f} body heights off the ground",
                               channel=0, lift=lift))
        # kick: one ankle up by the other knee
        la, ra, lk, rk = (_pt(kp, i, c) for i in (LANK, RANK, LKN, RKN))
        if la is not None and ra is not None and lk is not None and rk is not None and lift <= p.jump_lift:
            kick = max((rk[1] - la[1]) / s, (lk[1] - ra[1]) / s)
            if kick > p.kick_lift:
                out.append(KeyPose(f, "kick", min(1.0, 0.45 + 2 * kick), "one foot lifted to the other knee (kick)",
                                   channel=2))
        # fall / dive
        if sh is not None and hip is not None:
            v = sh - hip
            tilt = float(np.degrees(np.arctan2(abs(v[0]), max(1e-6, -v[1])))) if v[1] < 0 else 90.0 + float(
                np.degrees(np.arctan2(v[1], abs(v[0]) + 1e-6)))
            bw, bh = boxes[j, 2] - boxes[j, 0], boxes[j, 3] - boxes[j, 1]
            if tilt > p.fall_tilt_deg and bw > 0.8 * bh:
                out.append(KeyPose(f, "fall", min(1.0, 0.4 + tilt / 180), f"torso tilted {tilt:.0f}\u00b0, body "
                                   "nearly horizontal", channel=0))
    return out


def _ground_neighbours(frames: np.ndarray, j: int, gap: float,
                       bottom: np.ndarray | None = None) -> tuple[int | None, int | None]:
    """The samples whose feet stand for the ground before and after sample ``j``: among those at
    least ``gap`` frames away and within twice that beyond the nearest, the one with the lowest
    feet (``bottom``: feet y per sample; with probes between the regular samples, the next
    one may be in the air too)."""
    gap = max(1.0, gap)
    before = np.flatnonzero(frames <= frames[j] - gap)
    after = np.flatnonzero(frames >= frames[j] + gap)
    out: list[int | None] = []
    for idx, near in ((before, -1), (after, 0)):
        if not len(idx):
            out.append(None)
            continue
        i0 = int(idx[near])
        if bottom is not None:
            win = idx[np.abs(frames[idx] - frames[i0]) <= 2 * gap]
            ok = win[np.isfinite(bottom[win])]
            if len(ok):
                i0 = int(ok[np.argmax(bottom[ok])])
        out.append(i0)
    return out[0], out[1]


def arms_height(kp: np.ndarray, s: float, p: StarterParams) -> float:
    """How far the lower wrist is above the shoulders (body heights; -inf if not seen): above
    ``probe_trigger`` both arms are raised (a shot's gather and release, a serve's toss)."""
    c = p.kpt_conf
    lsh, rsh, lw, rw = (_pt(kp, i, c) for i in (LSH, RSH, LWR, RWR))
    sh = _mid(lsh, rsh)
    if sh is None or lw is None or rw is None:
        return float("-inf")
    return float(min(sh[1] - lw[1], sh[1] - rw[1])) / s


def burst_peaks(rows: np.ndarray, motion: MotionGrid, p: StarterParams) -> list[tuple[int, float]]:
    """Frames where the motion in the band above the person's head peaks (raised arms, a ball
    released, a racket over the head): the peak of each run of motion frames over ``probe_burst``
    and ``probe_burst_x`` times the track's median there, with its height."""
    mf = motion.frames[(motion.frames >= rows[0, 0]) & (motion.frames <= rows[-1, 0])]
    if len(mf) < 3:
        return []
    e = box_energy(motion, mf, _interp_boxes(rows, mf.astype(np.float64)))[:, 3]
    thr = max(p.probe_burst, p.probe_burst_x * float(np.median(e)))
    out = []
    on = np.concatenate([[0], (e >= thr).astype(np.int8), [0]])
    d = np.diff(on)
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):  # each burst: its peak
        i = a + int(np.argmax(e[a:b]))
        out.append((int(mf[i]), float(e[i])))
    return out


def probe_frames(rows: np.ndarray, fps: float, p: StarterParams | None = None,
                 motion: MotionGrid | None = None) -> list[int]:
    """Frames where one more pose of this track would decide an action the regular samples
    (every 0.25-0.5 s) straddle: for each sample with both arms raised, the gap before or after
    it whose two ends hold the arms higher, probed at ``probe_per_gap`` evenly spaced
    frames (a jump shot's release and the flight's apex last a tenth of a second), unless the
    samples already show a jump there (the probe would decide nothing); and, with
    ``probe_bursts`` and the motion grid, the peak frame of each burst of motion above the head
    (:func:`burst_peaks`: a small player's release that no sample caught). At most
    ``probe_max_per_s`` per second of the track, the strongest bursts first, then the highest arms."""
    p = p or StarterParams()
    if len(rows) < 2:
        return []
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    frames = rows[:, 0].astype(np.int64)
    kps = rows[:, 7:].reshape(len(rows), 17, 3)
    s = max(1.0, float(np.median(rows[:, 6] - rows[:, 4])))
    height = np.array([arms_height(kp, s, p) for kp in kps])
    raised = height > p.probe_trigger
    seen = np.where(np.isfinite(height), height, -1.0)
    gaps: dict[int, float] = {}
    # a jump the samples already show needs no probe to be found (its shot neither: the arms are up)
    seen_jumps = np.array([k.frame for k in key_poses(rows, fps, p) if k.cls == "jump"] if p.probe_skip_jumps else [],
                          np.int64)
    near_jump = int(round(p.group_gap_s * fps))
    for j in (int(i) for i in np.flatnonzero(raised)):  # each sample with the arms raised: its better gap
        if p.probe_skip_jumps and len(seen_jumps) and int(np.min(np.abs(seen_jumps - frames[j]))) <= near_jump:
            continue
        near = [g for g in (j - 1, j) if 0 <= g < len(frames) - 1 and frames[g + 1] - frames[g] <= 1.2 * fps]
        for g in sorted(near, key=lambda g: -(seen[g] + seen[g + 1]))[:max(1, p.probe_sides)]:
            gaps[int(g)] = float(seen[g] + seen[g + 1])
    budget = int(np.floor(p.probe_max_per_s * (frames[-1] - frames[0] + 1) / fps)) + 1
    n = max(1, p.probe_per_gap)
    out: set[int] = set()
    if p.probe_bursts and motion is not None and len(motion.frames):
        have = set(frames.tolist())
        for f, _ in sorted(burst_peaks(rows, motion, p), key=lambda x: -x[1]):  # the strongest first
            cand = {f + d for d in p.probe_burst_at if frames[0] <= f + d <= frames[-1]} - have
            if len(out | cand) <= budget:
                out |= cand
    for gi in sorted(gaps, key=lambda g: -gaps[g]):  # the highest arms first
        a, b = int(frames[gi]), int(frames[gi + 1])
        cand = {int(round(a + (b - a) * k / (n + 1))) for k in range(1, n + 1)} - {a, b}
        if len(out | cand) <= budget:
            out |= cand
    return sorted(out)


def probe_requests(table: PoseTable, fps: float, p: StarterParams | None = None,
                   motion: MotionGrid | None = None) -> dict[int, list[int]]:
    """:func:`probe_frames` of every track of a video (track id -> frames)."""
    p = p or StarterParams()
    out = {}
    for tid in table.track_ids():
        r = table.track(tid)
        fr = probe_frames(r[np.argsort(r[:, 0], kind="stable")], fps, p, motion)
        if fr:
            out[tid] = fr
    return out


def flight_frames(lift: float, fps: float, p: StarterParams) -> float:
    """Frames in the air of a jump whose ankles were seen ``lift`` body heights above the ground
    line (a thrown body: t = 2 sqrt(2 h / g), the person ``body_m`` tall; the ankles rise by
    ``ankle_rise`` on tiptoe before the feet leave the ground, so that part is no flight)."""
    h = max(0.0, lift - p.ankle_rise) * p.body_m
    return max(0.1 * fps, 2.0 * float(np.sqrt(2.0 * h / 9.81)) * fps)


def _group(keys: Sequence[KeyPose], gap: int) -> list[list[KeyPose]]:
    groups: list[list[KeyPose]] = []
    for k in sorted(keys, key=lambda k: k.frame):
        if groups and k.frame - groups[-1][-1].frame <= gap:
            groups[-1].append(k)
        else:
            groups.append([k])
    return groups


def _interp_boxes(rows: np.ndarray, frames: np.ndarray) -> np.ndarray:
    f = rows[:, 0]
    return np.stack([np.interp(frames, f, rows[:, 3 + i]) for i in range(4)], axis=1)


def _edges(energy: np.ndarray, mframes: np.ndarray, a: int, b: int, pre: int, post: int,
           level: float, ahead: int = 2) -> tuple[int, int] | None:
    """Onset and end around the key frames ``[a, b]`` from a motion energy series: the burst
    whose peak lies in ``[a - 2, b + ahead]`` (a racket's swing follows the turned-side-on key
    pose, so strokes look further ahead)."""
    m = (mframes >= a - pre) & (mframes <= b + post)
    if m.sum() < 3:
        return None
    e, fr = energy[m], mframes[m]
    base = float(np.percentile(energy, 20)) if len(energy) else 0.0
    core_m = (fr >= a - 2) & (fr <= b + ahead)
    peak = float(e[core_m].max()) if core_m.any() else float(e.max())
    if peak - base < 0.02:
        return None
    thr = base + level * (peak - base)
    ip = int(np.flatnonzero(core_m)[np.argmax(e[core_m])]) if core_m.any() else int(np.argmax(e))
    i0 = ip
    while i0 > 0 and e[i0 - 1] >= thr:
        i0 -= 1
    i1 = ip
    while i1 < len(e) - 1 and e[i1 + 1] >= thr:
        i1 += 1
    start = int(fr[i0])
    end = int(fr[i1]) + 1
    return min(start, a), max(end, b + 1)


def _smooth(x: np.ndarray, k: int = 3) -> np.ndarray:
    if len(x) < k:
        return x
    ker = np.ones(k) / k
    return np.convolve(np.pad(x, (k // 2, k // 2), mode="edge"), ker, mode="valid")


def _feet(rows: np.ndarray) -> np.ndarray:
    """Ground position of each row: the box's bottom centre (arms do not move it)."""
    return np.stack([(rows[:, 3] + rows[:, 5]) / 2, rows[:, 6]], axis=1)


def _feet_at(rows: np.ndarray, frame: float) -> np.ndarray:
    fe = _feet(rows)
    return np.array([np.interp(frame, rows[:, 0], fe[:, 0]), np.interp(frame, rows[:, 0], fe[:, 1])])


def _sprints(rows: np.ndarray, fps: float, p: StarterParams, s: float,
             others: Sequence[np.ndarray] = ()) -> list[tuple[int, int, float]]:
    """Stretches of at least ``sprint_min_s`` over which the person's feet cover at least
    ``sprint_speed`` body heights a second, net (jitter of small boxes does not add up), the
    body height taken locally (someone running towards the camera grows) and the camera's pan
    removed: with two or more other people in view, their median displacement over the same
    stretch is the camera's (or the play's) drift, and only running away from it counts."""
    f = rows[:, 0].astype(np.float64)
    if len(f) < 3:
        return []
    feet = _feet(rows)
    hs = np.maximum(1.0, rows[:, 6] - rows[:, 4])
    need = p.sprint_min_s * fps
    fast = np.zeros(len(f), bool)
    vel = np.full(len(f), np.nan)
    for i in range(len(f)):
        j = int(np.searchsorted(f, f[i] + need))
        if j >= len(f):
            break
        dt = (f[j] - f[i]) / fps
        if dt > 1.6 * p.sprint_min_s:
            continue  # a gap in the track: no guess across it
        d = feet[j] - feet[i]
        drift = [_feet_at(o, f[j]) - _feet_at(o, f[i]) for o in others if o[0, 0] <= f[i] and o[-1, 0] >= f[j]]
        if len(drift) >= 2:
            d = d - np.median(np.stack(drift), axis=0)
        h = float(np.median(hs[i:j + 1]))
        v = float(np.hypot(*d)) / h / dt
        if v >= p.sprint_speed:
            fast[i:j + 1] = True
            vel[i] = v
    out = []
    i = 0
    while i < len(fast):
        if not fast[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(fast) and fast[j + 1]:
            j += 1
        a, b = int(f[i]), int(f[j])
        if (b - a) / fps >= p.sprint_min_s:
            v = vel[i:j + 1]
            out.append((a, b, float(np.median(v[np.isfinite(v)])) if np.isfinite(v).any() else p.sprint_speed))
        i = j + 1
    return out


def detect_track(tid: int, rows: np.ndarray, fps: float, motion: MotionGrid | None = None,
                 p: StarterParams | None = None, source: str = f"model:{MODEL_ID}@{VERSION}",
                 others: Sequence[np.ndarray] = ()) -> list[Segment]:
    """Action segments of one tracked person (see the module docstring); ``others``: the other
    tracks' rows (sorted by frame), whose drift is the camera's for a sprint."""
    p = p or StarterParams()
    if len(rows) < p.min_track_samples:
        return []
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    s = max(1.0, float(np.median(rows[:, 6] - rows[:, 4])))
    first, last = int(rows[0, 0]), int(rows[-1, 0])
    keys = key_poses(rows, fps, p)
    energy: np.ndarray | None = None
    mfr = np.zeros(0, np.int64)
    pad = int(round(p.max_pre_s * fps))
    if motion is not None and len(motion.frames):
        mm = (motion.frames >= first - pad) & (motion.frames <= last + pad)
        mfr = motion.frames[mm]
        if len(mfr):
            bx = _interp_boxes(rows, mfr.astype(np.float64))
            w, h = bx[:, 2] - bx[:, 0], bx[:, 3] - bx[:, 1]
            bx = np.stack([bx[:, 0] - 0.3 * w, bx[:, 1] - 0.15 * h, bx[:, 2] + 0.3 * w, bx[:, 3]], axis=1)
            energy = np.stack([_smooth(c) for c in box_energy(motion, mfr, bx).T], axis=1)
    gap = int(round(p.group_gap_s * fps))
    pre, post = int(round(p.max_pre_s * fps)), int(round(p.max_post_s * fps))
    step = int(np.median(np.diff(rows[:, 0]))) if len(rows) > 1 else int(fps)
    segs: list[Segment] = []

    def add(cls: str, a: int, b: int, conf: float, why: str) -> None:
        shortest = 0.1 if cls == "jump" else p.min_len_s  # a hop is in the air for a tenth of a second
        if b - a < max(1, int(shortest * fps)) or conf < p.min_conf:
            return
        segs.append(Segment(ACTION, a, b, cls, round(min(1.0, conf), 3),
                            {"person": int(tid), "model": MODEL_ID, "why": why}, source))

    by_cls: dict[str, list[KeyPose]] = {}
    for k in keys:
        by_cls.setdefault(k.cls, []).append(k)
    # arms up for long = celebration; brief = a shot/throw
    for cls, ks in by_cls.items():
        for g in _group(ks, gap):
            a, b = g[0].frame, g[-1].frame
            strength = float(np.mean([k.strength for k in g]))
            name = cls
            if cls == "arms_up":
                name = "celebration" if (b - a) / fps >= p.celebration_min_s else "shot"
            elif cls == "shot" and (b - a) / fps >= 2 * p.celebration_min_s:
                name = "celebration"
            why = g[len(g) // 2].why
            if name == "celebration":
                why = f"arms raised for {(b - a) / fps:.1f} s"
            ch = g[0].channel
            edge = None
            if name == "jump":  # in the air as long as a body thrown that high: the span is the flight
                t = flight_frames(max(k.lift for k in g), fps, p)
                edge = (max(first - step // 2, int(round(a - t / 2))), int(round(b + t / 2)) + 1)
                conf_m = 1.0
            elif energy is not None:
                ahead = int(round(p.swing_ahead_s * fps)) if name in ("forehand", "backhand") else 2
                pr, po = (pre, post) if name != "shot" else (int(round(p.shot_pre_s * fps)),
                                                             int(round(p.shot_post_s * fps)))
                edge = _edges(energy[:, ch], mfr, a, b, pr, po + ahead, p.edge_level, ahead)
                conf_m = 1.0 if edge is not None else 0.8
            else:
                conf_m = 0.85
            if edge is None:
                half = max(1, step // 2)
                edge = (max(first - half, a - half), b + half)
            add(name, edge[0], edge[1], strength * conf_m, why + f" at {len(g)} pose sample(s)")
    for a, b, v in _sprints(rows, fps, p, s, others) if p.sprint else []:
        add("sprint", a, b, min(1.0, 0.4 + v / 4), f"moved {v:.1f} body heights a second for {(b - a) / fps:.1f} s")
    return _resolve(segs)


def _resolve(segs: list[Segment]) -> list[Segment]:
    """One person does one arm action at a time: overlapping shot/serve/stroke/celebration spans
    keep the most confident; jump, kick, fall and sprint may overlap them."""
    arm = {"shot", "serve", "forehand", "backhand", "celebration"}
    kept: list[Segment] = []
    for s in sorted(segs, key=lambda s: -(s.confidence or 0)):
        def overlaps(k: Segment, s: Segment = s) -> bool:
            return min(k.end_frame, s.end_frame) > max(k.start_frame, s.start_frame)

        clash = any(k.label in arm and s.label in arm and overlaps(k) for k in kept)
        same = any(k.label == s.label and overlaps(k) for k in kept)
        if not clash and not same:
            kept.append(s)
    return sorted(kept, key=lambda s: (s.start_frame, s.label or ""))


def detect(table: PoseTable, fps: float, motion: MotionGrid | None = None, p: StarterParams | None = None,
           check: Callable[[], None] | None = None, progress: Callable[[float, str], None] | None = None,
           source: str = f"model:{MODEL_ID}@{VERSION}") -> list[Segment]:
    """Action segments of every tracked person of a video."""
    p = p or StarterParams()
    out: list[Segment] = []
    tids = table.track_ids()
    rows = {t: table.track(t) for t in tids}
    rows = {t: r[np.argsort(r[:, 0], kind="stable")] for t, r in rows.items() if len(r)}
    for i, tid in enumerate(rows):
        if check:
            check()
        if progress:
            progress(i / max(1, len(tids)), f"person {tid}")
        others = [r for t, r in rows.items() if t != tid and len(r) >= 2]
        out.extend(detect_track(tid, rows[tid], fps, motion, p, source, others))
    return sorted(out, key=lambda s: (s.start_frame, s.attrs["person"]))


__all__ = ["CLASSES", "MODEL_ID", "StarterParams", "VERSION", "arms_height", "detect", "detect_track", "key_poses",
           "burst_peaks", "probe_frames", "probe_requests"]
