"""Team split by kit colour with officials in two colours (the football tactical view's case).

On the tuning half of ``yolov4-deepsort__football1`` the kit colours (Lab, as ``field.kit_colour``
measures them on 7x20 px players) were a red team, a dark blue team, a referee in green and two line
judges in yellow: seeking three colour groups gave the two small groups two of the three and put
both teams into one (23 "A" against 2 "B"). The rows below are those measured colours, rounded."""

from __future__ import annotations

import numpy as np

from core.persons.roles import (EX_FIELD, EX_L, EX_PLAY, EXTRA_COLS, OFFICIAL, PLAYER, _teams, assign_roles)

RED = [(66, 128, 144), (71, 140, 149), (76, 137, 148), (78, 142, 148), (79, 135, 153), (76, 136, 150),
       (80, 137, 151), (72, 146, 151), (70, 129, 145), (70, 137, 146), (79, 138, 146)]
BLUE = [(71, 121, 146), (73, 119, 134), (72, 117, 134), (76, 115, 133), (74, 118, 130), (74, 118, 132),
        (68, 119, 129), (72, 118, 131), (71, 117, 132), (69, 121, 120), (70, 115, 137), (77, 121, 141)]
GREEN_REF = [(110, 88, 134), (113, 92, 138)]
YELLOW_LINE = [(97, 103, 157), (102, 103, 154)]


def _x(rows: list[tuple[int, int, int]]) -> np.ndarray:
    x = np.asarray(rows, np.float64)
    x[:, 0] *= 0.5  # as assign_roles weighs lightness
    return x


def test_two_teams_are_split_when_officials_wear_two_colours() -> None:
    rows = RED + BLUE + GREEN_REF + YELLOW_LINE
    order = np.random.default_rng(3).permutation(len(rows))  # any order of tracks
    got = _teams(_x([rows[i] for i in order]))
    by_row = {int(i): g for i, g in zip(order, got)}
    red = {by_row[i] for i in range(len(RED))}
    blue = {by_row[i] for i in range(len(RED), len(RED) + len(BLUE))}
    officials = {by_row[i] for i in range(len(RED) + len(BLUE), len(rows))}
    assert len(red) == 1 and len(blue) == 1 and red != blue and red | blue == {"A", "B"}
    assert officials == {"official"}


def test_no_officials_two_teams_and_a_lone_distinct_kit() -> None:
    assert sorted(_teams(_x(RED[:4] + BLUE[1:5]))) == ["A"] * 4 + ["B"] * 4
    got = _teams(_x(RED[:5] + BLUE[1:6] + GREEN_REF[:1]))
    assert got[-1] == "official" and len(set(got[:5])) == 1 and len(set(got[5:10])) == 1 and got[0] != got[5]
    # a team in light and shade is not cut in two, and nobody is called an official
    shade = [(r[0] - 20, r[1], r[2]) for r in RED[:5]]
    got = _teams(_x(RED[:5] + shade + BLUE[1:7]))
    assert "official" not in got and len(set(got[:10])) == 1 and set(got[10:]) == {"B" if got[0] == "A" else "A"}


def test_assign_roles_names_the_teams_and_officials_per_track() -> None:
    kits = RED[:6] + BLUE[1:7] + GREEN_REF + YELLOW_LINE
    rows, extras = [], []
    for tid, lab in enumerate(kits, start=1):
        for f in (0, 12, 25):
            r = np.zeros(58, np.float32)
            r[0:7] = (f, tid, 0.5, 40 * tid, 50, 40 * tid + 8, 75)
            rows.append(r)
            e = np.zeros(EXTRA_COLS, np.float32)
            e[EX_FIELD], e[EX_PLAY] = 1, 1
            e[EX_L:EX_L + 3] = lab
            extras.append(e)
    roles = assign_roles(np.stack(rows), np.stack(extras), [])
    teams = [roles[t]["team"] for t in range(1, 13)]
    assert all(roles[t]["role"] == PLAYER for t in range(1, 13))
    assert len(set(teams[:6])) == 1 and len(set(teams[6:])) == 1 and set(teams) == {"A", "B"}
    assert all(roles[t]["role"] == OFFICIAL for t in range(13, 17))
