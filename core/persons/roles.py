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
EX_BLOB, EX_FIELD, EX_PLAY, EX_L, EX_A, EX_B, EX_CARRIED = range(7)
EXTRA_COLS = 7  # EX_CARRIED: 1 = a row carried by optical flow from the last pose sample, not detected
# a small kit group at least this far (Lab, lightness halved) from every large group is officials
OFFICIAL_DIST = 20.0


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
    """Team "A"/"B" or "official" per kit colour row.

    Referees and line judges first: with eight or more players, four kit groups are sought, and a
    small group (at most 3 tracks) whose colour is far from every other group is ``official``.
    The two teams are then split among the rest. (Three groups were sought before: with a referee
    and two line judges in two colours, the two small groups took two of the three and the red
    and the blue team fell into one, 23 against 2 on the football tactical view.)"""
    n = len(x)
    official = np.zeros(n, bool)
    if n >= 6:
        labels, cent = _kmeans(x, 4 if n >= 8 else 3)
        sizes = np.bincount(labels, minlength=len(cent))
        used = [i for i in range(len(cent)) if sizes[i] > 0]
        for i in used:  # a small group far from every other group (a team in light and shade is not)
            dist = min((float(np.linalg.norm(cent[i] - cent[j])) for j in used if j != i), default=0.0)
            if sizes[i] <= 3 and dist >= OFFICIAL_DIST:
                official |= labels == i
        if n - int(official.sum()) < 4:  # two teams must remain
            official[:] = False
    rest = np.flatnonzero(~official)
    team = np.zeros(n, int)
    if len(rest) >= 2:
        lab2, _ = _kmeans(x[rest], 2)
        team[rest] = lab2
    sizes2 = np.bincount(team[rest], minlength=2)
    # A = the larger team (ties: the one whose first member comes first) — stable names
    first = [int(rest[team[rest] == i][0]) if (team[rest] == i).any() else n for i in range(2)]
    order = sorted(range(2), key=lambda i: (-int(sizes2[i]), first[i]))
    names = {order[0]: "A", order[1]: "B"}
    return ["official" if official[i] else names[int(team[i])] for i in range(n)]


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
