"""An outdoor basketball court in front of a wall of the same green: the court is found (the
ground that rises from the bottom of the picture, its two colours one field), the wall is not
part of it, a shooter on the court stands in the play area; a caption on a rock is no court."""

from __future__ import annotations

import cv2
import numpy as np

from core.persons.field import feet_in, find_field, play_area

GREEN, DARK_GREEN, RED, WALL = (110, 150, 120), (70, 105, 80), (150, 70, 75), (95, 150, 95)


def _outdoor_court(w: int = 640, h: int = 360) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (200, 210, 225)  # sky
    img[:235, 200:] = WALL  # a green wall from the top of the picture down to the court
    img[120:235, :200] = (60, 120, 60)  # trees on the left
    for y in (110, 150):  # white window sills on the wall
        cv2.line(img, (300, y), (620, y), (235, 235, 235), 2)
    img[235:250] = (140, 60, 60)  # a red strip at the foot of the wall
    img[250:] = GREEN
    img[300:, :320] = DARK_GREEN  # the court in shade on the left
    key = np.array([[150, 260], [600, 270], [620, 330], [300, 350]], np.int32)
    cv2.fillConvexPoly(img, key, RED)  # the red key inside the green court
    for p, q in (((0, 262), (640, 285)), ((150, 260), (300, 350)), ((300, 350), (620, 330)),
                 ((20, 330), (300, 350))):
        cv2.line(img, p, q, (240, 240, 240), 2)  # painted court lines
    cv2.rectangle(img, (100, 220), (125, 300), (30, 30, 40), -1)  # the shooter, feet on the court
    return img


def test_outdoor_court_below_a_green_wall() -> None:
    img = _outdoor_court()
    view = find_field(img)
    assert view is not None and view.ok
    assert float((view.region[:230] > 0).mean()) < 0.02  # not the wall
    assert float((view.region[260:] > 0).mean()) > 0.8  # the court, its red key included
    play = play_area(view)
    shooter = np.array([[100, 220, 125, 300]], np.float32)
    on_wall = np.array([[400, 60, 420, 140]], np.float32)
    assert list(feet_in(play, np.concatenate([shooter, on_wall]))) == [True, False]


def test_caption_on_a_rock_is_no_court() -> None:
    img = np.zeros((360, 640, 3), np.uint8)
    img[:] = (120, 100, 60)  # an autumn background of the colour of the rock below
    img[120:] = (110, 100, 70)
    rng = np.random.default_rng(1)
    img = np.clip(img.astype(np.int16) + rng.integers(-12, 12, img.shape), 0, 255).astype(np.uint8)
    cv2.putText(img, "Copyright 2013 Somebody  www.example.com", (30, 310), cv2.FONT_HERSHEY_SIMPLEX, 0.8,
                (235, 235, 235), 2)
    view = find_field(img)
    assert view is None or not view.ok
