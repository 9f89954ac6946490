"""A sample whose painted lines are too faint to call it a field on its own keeps the field of the
sample before it (same region), through the persons sink as well; a cut to another picture does not.

On the football tactical view one sample had 80 line pixels where 96 are needed (245-270 on the
samples around it): its ~20 players vanished for a second (tuning frames 90 and 100 lost half their
players)."""

from __future__ import annotations

import cv2
import numpy as np

from core.persons.field import field_blobs, find_field, same_field
from tests.core.test_persons_field import _pitch, _players


def _faint(img: np.ndarray) -> np.ndarray:
    """The same picture with the painted lines worn off (grass colour), only a short stub left."""
    out = img.copy()
    white = (out > 220).all(axis=2)
    out[white] = (65, 148, 55)
    cv2.line(out, (100, 200), (160, 200), (235, 235, 235), 1)  # ~60 line pixels: 32 kept, 96 alone
    return out


def test_the_shots_field_is_kept_when_its_lines_fade_once() -> None:
    img = _pitch(_players())
    last = find_field(img)
    assert last is not None and last.ok
    faint = find_field(_faint(img))
    assert faint is not None and not faint.ok  # alone: not a field (too few line pixels)
    assert same_field(faint, last)
    faint.ok = True
    assert len(field_blobs(faint)) >= 10  # the players are there again
    # nothing to keep without an earlier field, or from a field that was not found
    assert not same_field(find_field(_faint(img)), None)
    assert not same_field(find_field(_faint(img)), find_field(_faint(img)))


def test_a_cut_to_another_picture_is_not_the_field() -> None:
    last = find_field(_pitch(_players()))
    close = np.zeros((240, 640, 3), np.uint8)
    close[:] = (90, 80, 70)
    close[120:, :] = (65, 148, 55)  # grass in the lower half only: another picture
    view = find_field(close)
    assert view is None or not same_field(view, last)


def test_the_persons_sink_keeps_the_field_for_one_faint_sample() -> None:
    from models.persons.stage import PersonsStage, _PoseSink

    sink = _PoseSink(PersonsStage(threads=1))
    img = _pitch(_players())
    assert sink._field(img).ok  # type: ignore[union-attr]
    view = sink._field(_faint(img))
    assert view is not None and view.ok
