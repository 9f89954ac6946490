"""A person must be a person: pose plausibility per detection, confirmation and stitching per track.

Detections are rows in the ``models.persons.pose`` layout (box x1 y1 x2 y2, score, 17 × (x, y,
conf)); tracked poses are the ``core.persons.poses`` array (frame, track, score, box, keypoints).

* :func:`plausible` keeps a detection whose keypoints make a body: confident shoulders or hips with
  enough confident joints, limbs in human proportion to the torso, a box that is not a lying
  blob filling the frame. A strong detector score alone also passes (a legs-only view of a
  cyclist is a person; the clouds the model called "person" at 0.25-0.48 are not). Detections
  with no keypoints at all (field blobs, ``keypoints_free``) are judged by the caller.
* :func:`confirm_tracks` drops tracks seen on too few samples of their shot (a person persists;
  a flicker of texture does not).
* :func:`stitch_tracks` joins a track that ends and a track that starts soon after nearby in the
  same shot, with a similar size and kit colour: one player, one id after a missed sample.

Pure NumPy; any thread.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

N_KPT = 17
KPT_CONF = 0.5
# COCO indices
_SH = (5, 6)
_HIP = (11, 12)
_LIMBS = ((5, 7), (6, 8), (7, 9), (8, 10), (11, 13), (12, 14), (13, 15), (14, 16))
# longest plausible limb segment relative to the torso (shoulder centre to hip centre); generous:
# foreshortened torsos (bending, facing the camera from above) make limbs look long
_LIMB_MAX = 1.9


def keypoints_of(det: np.ndarray) -> np.ndarray:
    return np.asarray(det[5:5 + 3 * N_KPT], np.float32).reshape(N_KPT, 3)


def plausibility(det: np.ndarray, frame_size: tuple[float, float]) -> float:
    """0..1: how much a detection's keypoints and box look like a human body."""
    k = keypoints_of(det)
    c = k[:, 2]
    score = float(det[4])
    x1, y1, x2, y2 = (float(v) for v in det[0:4])
    w, h = max(1.0, x2 - x1), max(1.0, y2 - y1)
    fw, fh = max(1.0, frame_size[0]), max(1.0, frame_size[1])
    good = c >= KPT_CONF
    n_good = int(good.sum())
    shoulders = float(c[list(_SH)].mean())
    hips = float(c[list(_HIP)].mean())
    body = n_good >= 4 and max(shoulders, hips) >= KPT_CONF
    p = 1.0 if body else 0.0
    if body and good[list(_SH)].all() and good[list(_HIP)].all():
        sh_c = k[list(_SH), :2].mean(axis=0)
        hip_c = k[list(_HIP), :2].mean(axis=0)
        torso = float(np.hypot(*(sh_c - hip_c)))
        torso = max(torso, 0.15 * h)
        for a, b in _LIMBS:
            if good[a] and good[b] and np.hypot(*(k[a, :2] - k[b, :2])) > _LIMB_MAX * torso:
                p *= 0.5
        # confident joints far outside the box: the skeleton does not belong to this box
        kx, ky = k[good, 0], k[good, 1]
        out = ((kx < x1 - 0.25 * w) | (kx > x2 + 0.25 * w) | (ky < y1 - 0.25 * h) | (ky > y2 + 0.25 * h))
        if out.mean() > 0.2:
            p *= 0.5
    if w / h > 1.5:  # wider than tall: lying people exist, but mostly this is texture
        p *= 0.5
    if w > 0.85 * fw and h > 0.9 * fh:  # a "person" filling the whole frame: an object close-up
        p *= 0.5
    if score >= 0.7 and p == 0.0 and n_good >= 2:
        p = 0.6  # the detector is sure and some joints agree (legs only, head and shoulders cut off)
    return p * min(1.0, score / 0.5)


def plausible(det: np.ndarray, frame_size: tuple[float, float], min_plausibility: float = 0.45) -> bool:
    return plausibility(det, frame_size) >= min_plausibility


def filter_detections(dets: np.ndarray, frame_size: tuple[float, float],
                      min_plausibility: float = 0.45) -> np.ndarray:
    """The rows of ``dets`` that :func:`plausible` keeps (rows with no keypoints at all pass:
    those are field blobs, judged by their track)."""
    d = np.asarray(dets, np.float32)
    if not len(d):
        return d
    keep = np.array([float(np.max(keypoints_of(r)[:, 2])) <= 0.0 or plausible(r, frame_size, min_plausibility)
                     for r in d], bool)
    return d[keep]


def _shot_index(frames: np.ndarray, bounds: Sequence[int]) -> np.ndarray:
    b = np.asarray(sorted(bounds) or [0], np.int64)
    return np.searchsorted(b, frames.astype(np.int64), side="right") - 1


def confirm_tracks(poses: np.ndarray, sampled: Sequence[int], shots: Sequence[tuple[int, int]],
                   min_samples: int = 2, min_share: float = 0.15,
                   blob_tracks: set[int] | None = None, blob_min_samples: int = 3,
                   in_play: np.ndarray | None = None, carried: np.ndarray | None = None,
                   window: int | None = None) -> np.ndarray:
    """Rows of tracks confirmed by persistence: at least ``min_samples`` samples and ``min_share``
    of their shot's samples (a shot with fewer samples than ``min_samples`` needs all of them);
    with ``window`` (frames), of the shot's samples from ``window`` before the track's first
    sample to ``window`` after its last: in a long shot a person seen for a few seconds is as
    real as in a short one (a 5-s track in a 60-s shot was dropped: 10 of 120 samples)."
    ``blob_tracks`` (tracks made only of keypoint-free field blobs) need ``blob_min_samples``,
    must move (a painted logo, a towel, the net's strap do not), keep their height (a blob that
    is now a chair, now a bag is not one person), be upright (1.5 times taller than wide) and
    stand in the play area (``in_play``, one flag per row) on most samples. ``carried`` (one flag
    per row): rows moved by optical flow from the last pose sample (``core.persons.flow``) are no
    evidence of their own: a track needs its samples from detections (a cloud detected once and
    carried once was a confirmed "person" on the bundled sample)."""
    a = np.asarray(poses, np.float32)
    if not len(a):
        return a
    bounds = [int(s) for s, _ in shots]
    samp = np.asarray(sorted(set(int(f) for f in sampled)), np.int64)
    shot_of_sample = _shot_index(samp, bounds) if len(samp) else np.zeros(0, np.int64)
    n_per_shot: dict[int, int] = {}
    for s in shot_of_sample:
        n_per_shot[int(s)] = n_per_shot.get(int(s), 0) + 1
    keep = np.zeros(len(a), bool)
    shot_rows = _shot_index(a[:, 0], bounds)
    # a tactical view shows many small players at once: there a blob that moves little (a
    # defender holding the line) is still a player; a lone blob must clearly move
    many: dict[int, int] = {}
    for tid in blob_tracks or ():
        idx = np.flatnonzero(a[:, 1] == tid)
        if len(idx) >= blob_min_samples:
            s = int(shot_rows[idx[0]])
            many[s] = many.get(s, 0) + 1
    flow = np.zeros(len(a), bool) if carried is None else np.asarray(carried, bool).reshape(-1)
    carried_frames: dict[int, set[int]] = {}  # shot -> frames that hold carried rows
    for f, s in zip(a[flow, 0].astype(np.int64), shot_rows[flow]):
        carried_frames.setdefault(int(s), set()).add(int(f))
    for tid in np.unique(a[:, 1]):
        idx = np.flatnonzero(a[:, 1] == tid)
        n = len(np.unique(a[idx, 0]))
        shot = int(shot_rows[idx[0]])
        total = max(1, n_per_shot.get(shot, n))
        if window is not None and len(samp):
            f0, f1 = float(a[idx, 0].min()) - window, float(a[idx, 0].max()) + window
            near = (samp >= f0) & (samp <= f1) & (shot_of_sample == shot)
            total = max(1, min(total, max(n, int(near.sum()))))
        need = min(total, min_samples)
        blob = blob_tracks is not None and int(tid) in blob_tracks
        if blob:
            need = min(total, blob_min_samples)
        ok = n >= need and n / total >= min_share
        if ok and flow[idx].any():  # enough samples from detections, not from carrying one along
            detected = len(np.unique(a[idx[~flow[idx]], 0]))
            total_det = max(1, total - len(carried_frames.get(shot, ())))
            ok = detected >= min(total_det, need)
        if ok and blob and n > 1:
            r = a[idx]
            cx, cy = (r[:, 3] + r[:, 5]) / 2, (r[:, 4] + r[:, 6]) / 2
            hs = r[:, 6] - r[:, 4]
            h = float(np.median(hs))
            ratio = float(np.median(hs / np.maximum(1.0, r[:, 5] - r[:, 3])))
            move = 0.3 if many.get(shot, 0) >= 8 else 0.8
            ok = (max(float(np.ptp(cx)), float(np.ptp(cy))) >= move * h and float(np.std(hs)) <= 0.3 * h
                  and ratio >= 1.5)  # upright: a standing or running player is taller than wide
            if in_play is not None:
                ok = ok and float(np.mean(in_play[idx])) >= 0.5
        keep[idx] = ok
    return a[keep]


def stitch_tracks(poses: np.ndarray, shots: Sequence[tuple[int, int]], fps: float,
                  max_gap_s: float = 2.0, colours: dict[int, np.ndarray] | None = None,
                  max_colour: float = 30.0) -> np.ndarray:
    """Give one id to a track and its continuation: within a shot, a track starting at most
    ``max_gap_s`` after another ended, not overlapping it in time, near where the first would be
    (within about its own height, growing with the gap), with a similar height and (when
    ``colours`` gives a kit colour per track, Lab) a similar colour. Greedy, closest first."""
    a = np.asarray(poses, np.float32).copy()
    if not len(a):
        return a
    bounds = [int(s) for s, _ in shots]
    shot_rows = _shot_index(a[:, 0], bounds)
    info = {}
    for tid in np.unique(a[:, 1]).astype(int):
        r = a[a[:, 1] == tid]
        r = r[np.argsort(r[:, 0])]
        info[tid] = (int(shot_rows[a[:, 1] == tid][0]), r)
    max_gap = max_gap_s * max(1.0, fps)
    cands: list[tuple[float, int, int]] = []
    for t1, (s1, r1) in info.items():
        end = r1[-1]
        h1 = float(np.median(r1[-3:, 6] - r1[-3:, 4]))
        c1 = np.array([(end[3] + end[5]) / 2, (end[4] + end[6]) / 2])
        v1 = np.zeros(2)
        if len(r1) >= 2:
            prev = r1[-2]
            dt = max(1.0, float(end[0] - prev[0]))
            v1 = (c1 - np.array([(prev[3] + prev[5]) / 2, (prev[4] + prev[6]) / 2])) / dt
        for t2, (s2, r2) in info.items():
            if t2 == t1 or s2 != s1:
                continue
            start = r2[0]
            gap = float(start[0] - end[0])
            if gap <= 0 or gap > max_gap:
                continue
            h2 = float(np.median(r2[:3, 6] - r2[:3, 4]))
            if not 0.6 <= h2 / max(1.0, h1) <= 1.67:
                continue
            c2 = np.array([(start[3] + start[5]) / 2, (start[4] + start[6]) / 2])
            pred = c1 + v1 * min(gap, 0.5 * max_gap)
            d = float(np.hypot(*(c2 - pred))) / max(1.0, h1)
            if d > 1.0 + gap / max_gap:
                continue
            if colours is not None and t1 in colours and t2 in colours:
                if float(np.linalg.norm(colours[t1] - colours[t2])) > max_colour:
                    continue
            cands.append((d, t1, t2))
    cands.sort()
    group = {t: t for t in info}
    frames = {t: set(info[t][1][:, 0].astype(int).tolist()) for t in info}

    def root(t: int) -> int:
        while group[t] != t:
            t = group[t]
        return t

    has_next: set[int] = set()
    has_prev: set[int] = set()
    for _, t1, t2 in cands:
        if t1 in has_next or t2 in has_prev:
            continue
        r1, r2 = root(t1), root(t2)
        if r1 == r2 or frames[r1] & frames[r2]:  # one person is never twice on a frame
            continue
        group[r2] = r1
        frames[r1] |= frames.pop(r2)
        has_next.add(t1)
        has_prev.add(t2)
    members: dict[int, list[int]] = {}
    for t in group:
        members.setdefault(root(t), []).append(t)
    new_id = {t: min(members[root(t)]) for t in group}  # ids stay in order of appearance
    a[:, 1] = [new_id[int(t)] for t in a[:, 1]]
    return a[np.lexsort((a[:, 1], a[:, 0]))]
