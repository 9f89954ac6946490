"""Roles per track: player (with a team by kit colour), official, other, or person (no field).

Per shot with a playing field (``core.persons.field``), a track whose feet are in the play area
(the field, near its painted lines) on most of its samples is a player candidate; the rest (crowd,
bench, ball kids and line judges beside the court, coaches) are ``other``. With at least four
candidates their kit colours (Lab, ``field.kit_colour``) are clustered: a small cluster of
distinct colour (at most 3 tracks) is ``official`` (referees wear what no team wears), the two
others are teams ``A`` and ``B``. Shots without a field (film, street, studio) give ``person``.

Roles are stored on each ``person`` segment (attrs ``role``, ``team``) by the persons stage, shown
in the Follow list and on the pose overlay, and weigh the reframing subject choice
(:data:`ROLE_WEIGHT`). Pure NumPy; deterministic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:
    from core.store.project import Project

PLAYER, OFFICIAL, OTHER, PERSON_ROLE = "player", "official", "other", "person"
ROLES = (PLAYER, OFFICIAL, OTHER, PERSON_ROLE)
# how much the reframing subject score counts a track of each role: follow players, not ball kids
ROLE_WEIGHT = {PLAYER: 1.0, PERSON_ROLE: 1.0, OFFICIAL: 0.25, OTHER: 0.1}

# extras columns kept per tracked row by the persons stage
EX_BLOB, EX_FIELD, EX_PLAY, EX_L, EX_A, EX_B = range(6)
EXTRA_COLS = 6


def _kmeans(x: np.ndarray, k: int, iters: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic k-means (farthest-point start from the first row)."""
    cent = [x[0]]
    for _ in range(1, k):
        d = np.min(np.stack([np.linalg.norm(x - c, axis=1) for c in cent]), axis=0)
        cent.append(x[int(np.argmax(d))])
    c = np.stack(cent).astype(np.float64)
    lab = np.zeros(len(x), int)
    for _ in range(iters):
        lab = np.argmin(np.stack([np.linalg.norm(x - ci, axis=1) for ci in c]), axis=0)
        new = np.stack([x[lab == i].mean(axis=0) if (lab == i).any() else c[i] for i in range(k)])
        if np.allclose(new, c):
            break
        c = new
    return lab, c


def assign_roles(poses: np.ndarray, extras: np.ndarray,
                 shots: Sequence[tuple[int, int]]) -> dict[int, dict[str, Any]]:
    """``{track: {"role": ..., "team": "A"|"B"|None}}`` for every track in ``poses``.

    ``extras``: one row per pose row (same order), columns :data:`EX_BLOB` (a keypoint-free field
    blob), :data:`EX_FIELD` (the frame shows a playing field), :data:`EX_PLAY` (feet in the play
    area), :data:`EX_L`..:data:`EX_B` (kit colour, Lab; NaN unknown)."""
    a = np.asarray(poses, np.float32)
    ex = np.asarray(extras, np.float32).reshape(len(a), -1) if len(a) else np.zeros((0, EXTRA_COLS), np.float32)
    out: dict[int, dict[str, Any]] = {}
    if not len(a):
        return out
    bounds = np.asarray(sorted(int(s) for s, _ in shots) or [0], np.int64)
    shot_of = np.searchsorted(bounds, a[:, 0].astype(np.int64), side="right") - 1
    for shot in np.unique(shot_of):
        rows = shot_of == shot
        tids = [int(t) for t in np.unique(a[rows, 1])]
        field = float(ex[rows, EX_FIELD].mean()) >= 0.5
        cands: list[int] = []
        colours: list[np.ndarray] = []
        for t in tids:
            sel = rows & (a[:, 1] == t)
            if not field:
                out[t] = {"role": PERSON_ROLE, "team": None}
                continue
            if float(ex[sel, EX_PLAY].mean()) >= 0.5:
                col = ex[sel][:, EX_L:EX_B + 1]
                col = col[np.isfinite(col).all(axis=1)]
                out[t] = {"role": PLAYER, "team": None}
                if len(col):
                    cands.append(t)
                    colours.append(np.median(col, axis=0))
            else:
                out[t] = {"role": OTHER, "team": None}
        if len(cands) < 4:
            continue
        x = np.stack(colours).astype(np.float64)
        x[:, 0] *= 0.5  # lightness varies with light and shade more than the kit's hue does
        teams_of = _teams(x)
        for t, team in zip(cands, teams_of):
            if team == "official":
                out[t] = {"role": OFFICIAL, "team": None}
            else:
                out[t]["team"] = team
    return out


def _teams(x: np.ndarray) -> list[str]:
    """Team "A"/"B" or "official" per kit colour row."""
    n = len(x)
    labels, cent = _kmeans(x, 3 if n >= 6 else 2)
    sizes = np.bincount(labels, minlength=len(cent))
    official = -1
    if len(cent) == 3:
        small = int(np.argmin(sizes))
        others = [i for i in range(3) if i != small]
        dist = min(float(np.linalg.norm(cent[small] - cent[o])) for o in others)
        spread = float(np.linalg.norm(cent[others[0]] - cent[others[1]]))
        if sizes[small] <= 3 and dist >= 20 and dist >= 0.5 * spread:
            official = small
        else:  # no distinct small group: two teams
            labels, cent = _kmeans(x, 2)
            sizes = np.bincount(labels, minlength=2)
    team_ids = [i for i in range(len(cent)) if i != official]
    # A = the larger team (ties: the one whose first member comes first) — stable names
    team_ids.sort(key=lambda i: (-int(sizes[i]), int(np.flatnonzero(labels == i)[0]) if (labels == i).any() else n))
    names = {tid: "AB"[j] for j, tid in enumerate(team_ids[:2])}
    return ["official" if lab == official else names.get(int(lab), "A") for lab in labels]


def role_label(role: str | None, team: str | None = None) -> str:
    """Short text for lists and overlays: "player A", "official", "other", "person"."""
    if not role:
        return ""
    return f"{role} {team}" if role == PLAYER and team else role


def load_roles(project: "Project", video_id: int) -> dict[int, dict[str, Any]]:
    """Role and team per track id from the video's ``person`` segments (empty before v2)."""
    from core.segments import PERSON

    out: dict[int, dict[str, Any]] = {}
    for s in project.segments(video_id, PERSON):
        t = s.attrs.get("track")
        if t is not None and s.attrs.get("role"):
            out[int(t)] = {"role": s.attrs.get("role"), "team": s.attrs.get("team")}
    return out
