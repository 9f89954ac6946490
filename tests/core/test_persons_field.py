"""The field per shot, small players on it, kit colours, the far-end tile, the motion tracker and roles,
on generated pictures and detections."""

from __future__ import annotations

import cv2
import numpy as np

from core.persons.field import (MASK_H, MASK_W, ShotFieldMasks, far_tile, feet_in, field_blobs, find_field,
                                kit_colour, play_area, shot_field_mask)
from core.persons.poses import PoseTable
from core.persons.roles import EX_FIELD, EX_L, EX_PLAY, EXTRA_COLS, OFFICIAL, OTHER, PERSON_ROLE, PLAYER, assign_roles
from core.persons.track import link_tracks
from core.reframe.subject import subject_targets

RED, BLUE, CYAN = (200, 30, 30), (30, 40, 190), (40, 220, 220)


def _pitch(players: list[tuple[int, int, tuple[int, int, int]]], w: int = 640, h: int = 240,
           crowd: int = 6) -> np.ndarray:
    """A tactical-camera view: stands on top, striped grass with white lines, small players."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (70, 70, 75)  # stands
    top = int(0.12 * h)
    for i, x0 in enumerate(range(0, w, 64)):  # mowing stripes
        img[top:, x0:x0 + 64] = (60, 140, 50) if i % 2 else (70, 155, 60)
    cv2.line(img, (w // 2, top + 4), (w // 2, h - 4), (235, 235, 235), 2)
    cv2.line(img, (4, h - 12), (w - 4, h - 12), (235, 235, 235), 2)
    cv2.line(img, (4, top + 6), (w - 4, top + 6), (235, 235, 235), 2)
    cv2.circle(img, (w // 2, h // 2 + 10), 45, (235, 235, 235), 2)
    rng = np.random.default_rng(0)
    for _ in range(crowd):  # spectators in the stands: person-sized, not on the field
        x = int(rng.integers(10, w - 20))
        img[2:2 + 16, x:x + 6] = (200, 60, 60)
    for x, y, col in players:
        img[y:y + 18, x:x + 7] = col  # shirt and shorts
        img[y + 18:y + 22, x + 1:x + 6] = (20, 20, 20)  # legs
    return img


def _players() -> list[tuple[int, int, tuple[int, int, int]]]:
    out = []
    for i in range(5):
        out.append((60 + 50 * i, 60 + 25 * (i % 3), RED))
        out.append((390 + 45 * i, 70 + 30 * (i % 3), BLUE))
    out.append((330, 150, CYAN))  # the referee
    return out


def test_small_players_on_a_tactical_view_and_not_the_crowd():
    img = _pitch(_players())
    view = find_field(img)
    assert view is not None and view.ok
    blobs = field_blobs(view)
    assert 10 <= len(blobs) <= 12, blobs
    assert float(blobs[:, 1].min()) > 0.12 * img.shape[0]  # nobody in the stands
    # a player the pose model found already is not a blob again
    found = np.array([[60, 60, 67, 82]], np.float32)
    assert len(field_blobs(view, found)) == len(blobs) - 1
    # the field mask per shot: stored coarse, read back by frame
    masks = ShotFieldMasks()
    masks.add(0, view)
    masks.add(10, view)
    masks.add(30, None)  # a close-up in the next shot
    rows = masks.per_shot([(0, 20), (20, 40)], 40)
    assert rows.shape == (1, 2 + MASK_W * MASK_H) and tuple(rows[0, :2]) == (0, 20)
    m = shot_field_mask(rows, 5)
    assert m is not None and m.shape == (MASK_H, MASK_W) and 0.6 < m.mean() < 0.95
    assert shot_field_mask(rows, 25) is None


def test_no_field_on_sky_or_a_plain_picture():
    sky = np.zeros((360, 640, 3), np.uint8)
    sky[:] = (170, 150, 220)  # lavender sky with pink clouds over a strip of trees
    cv2.circle(sky, (200, 150), 120, (240, 190, 200), -1)
    sky[300:] = (40, 120, 60)
    view = find_field(sky)
    assert view is None or not view.ok
    assert find_field(np.full((360, 640, 3), 128, np.uint8)) is None  # grey: no surface colour


def test_kit_colour_tells_the_shirts_apart():
    img = _pitch(_players())
    view = find_field(img)
    red = kit_colour(img, np.array([60, 60, 67, 82]), view)
    blue = kit_colour(img, np.array([390, 70, 397, 92]), view)
    assert red[1] > 150 and blue[2] < 110  # Lab: red has a high a*, blue a low b*
    assert np.linalg.norm(red - blue) > 60


def _court(w: int = 640, h: int = 360) -> np.ndarray:
    """A tennis court from behind: blue surround, darker court, white lines in perspective."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (20, 30, 50)  # boards and crowd
    img[40:] = (60, 140, 190)
    court = np.array([[200, 110], [440, 110], [560, 300], [80, 300]], np.int32)
    cv2.fillConvexPoly(img, court, (40, 80, 140))
    cv2.polylines(img, [court], True, (240, 240, 240), 2)
    cv2.line(img, (320, 110), (320, 300), (240, 240, 240), 2)
    cv2.line(img, (150, 180), (490, 180), (240, 240, 240), 2)
    return img


def test_court_view_gets_a_far_end_tile_and_a_play_area():
    view = find_field(_court())
    assert view is not None and view.ok
    tile = far_tile(view)
    assert tile is not None
    (x0, y0, x1, y1), scale = tile
    assert scale >= 1.8 and y1 < 180 and x0 < 210 and x1 > 430  # the far baseline, enlarged
    play = play_area(view)
    boxes = np.array([[300, 260, 330, 320],  # the near player behind the baseline
                      [300, 60, 312, 105],  # the far player behind the far baseline
                      [10, 150, 30, 200],  # a line judge on the side
                      [600, 300, 630, 358]], np.float32)  # a ball kid in the corner
    assert list(feet_in(play, boxes)) == [True, True, False, False]
    # a pitch seen whole from the stand: no tile (too wide to enlarge; the blobs find its players)
    pitch = find_field(_pitch(_players()))
    assert pitch is not None and far_tile(pitch) is None


def _det(x: float, y: float, h: float, lab: tuple[float, float, float] | None = None) -> np.ndarray:
    d = np.zeros(56 + EXTRA_COLS, np.float32)
    d[0:5] = (x, y, x + 0.4 * h, y + h, 0.8)
    d[56 + EX_FIELD] = 1
    d[56 + EX_PLAY] = 1
    d[56 + EX_L:56 + EX_L + 3] = lab if lab is not None else np.nan
    return d


def test_tracker_keeps_small_fast_players_apart_and_refinds_after_a_gap():
    # two 20-px players run towards each other 12 px per 1/2 s: their boxes never overlap between
    # samples, which loses an IoU tracker; they cross on sample 5 (kit colours tell them apart)
    samples = []
    for i in range(11):
        f = 15 * i
        a = _det(100 + 12 * i, 100, 20, (50, 180, 160))  # red shirt
        b = _det(220 - 12 * i, 104, 20, (40, 140, 80))  # blue shirt
        dets = [a, b] if i not in (3, 4) else [b]  # the red one is hidden for 1 s
        samples.append((f, np.stack(dets)))
    poses, extras = link_tracks(samples, [], fps=30, colour_col=EX_L)
    assert extras.shape == (len(poses), EXTRA_COLS)
    by_track: dict[int, list[float]] = {}
    for r in poses:
        by_track.setdefault(int(r[1]), []).append(float(r[3]))
    assert len(by_track) == 2
    for xs in by_track.values():  # each track moves one way only: no swap at the crossing
        d = np.diff(xs)
        assert (d > 0).all() or (d < 0).all()
    # a cut starts new tracks
    poses2, _ = link_tracks(samples, [(0, 60), (60, 200)], fps=30, colour_col=EX_L)
    assert len(np.unique(poses2[:, 1])) == 4


def test_roles_teams_official_other_and_person():
    rows, extras = [], []
    kits = [(50, 180, 160)] * 5 + [(40, 140, 80)] * 5 + [(85, 100, 200)]  # red, blue, a yellow referee
    for tid, lab in enumerate(kits, start=1):
        for f in (0, 15, 30):
            r = np.zeros(58, np.float32)
            r[0:7] = (f, tid, 0.8, 30 * tid, 10, 30 * tid + 20, 70)
            rows.append(r)
            e = np.zeros(EXTRA_COLS, np.float32)
            e[EX_FIELD], e[EX_PLAY] = 1, 1
            e[EX_L:EX_L + 3] = lab
            extras.append(e)
    for f in (0, 15, 30):  # a ball kid beside the court
        r = np.zeros(58, np.float32)
        r[0:7] = (f, 12, 0.9, 500, 10, 560, 200)
        rows.append(r)
        e = np.zeros(EXTRA_COLS, np.float32)
        e[EX_FIELD] = 1
        e[EX_L:EX_L + 3] = (60, 128, 128)
        extras.append(e)
    roles = assign_roles(np.stack(rows), np.stack(extras), [])
    assert {roles[t]["team"] for t in range(1, 6)} == {"A"} and {roles[t]["team"] for t in range(6, 11)} == {"B"}
    assert all(roles[t]["role"] == PLAYER for t in range(1, 11))
    assert roles[11]["role"] == OFFICIAL and roles[12]["role"] == OTHER
    # reframing follows the player, not the big ball kid
    table = PoseTable(np.stack(rows))
    assert subject_targets(table, 0, 31, 720).track == 12
    assert subject_targets(table, 0, 31, 720, roles=roles).track != 12
    # no field: everybody is a person
    ex = np.stack(extras)
    ex[:, EX_FIELD] = 0
    assert {r["role"] for r in assign_roles(np.stack(rows), ex, []).values()} == {PERSON_ROLE}
