"""Overlapping segments (a person's action over the model's) are drawn in lanes and each is
clickable in its own lane; shots never split into lanes."""

from __future__ import annotations

from app.timeline.model import TrackData
from app.timeline.view import TRACK_H
from core import segments as sg
from core.segments import Segment


def test_lanes_are_assigned_greedily() -> None:
    segs = [Segment(sg.ACTION, 0, 50, "a", id=1), Segment(sg.ACTION, 10, 30, "b", id=2),
            Segment(sg.ACTION, 40, 60, "c", id=3), Segment(sg.ACTION, 70, 80, "d", id=4)]
    td = TrackData(sg.ACTION, segs)
    assert td.n_lanes == 2 and list(td.lane) == [0, 1, 1, 0]
    assert td.at(20, lane=1).id == 2 and td.at(20, lane=0).id == 1 and td.at(20).id == 2


def test_user_segment_over_a_suggestion_gets_its_own_lane(win) -> None:
    from core.edit.ops import AddSegment

    ctx, canvas = win.ctx, win.timeline.canvas
    model = next(s for s in ctx.segments(sg.ACTION) if s.source.startswith("model:"))
    ctx.apply(AddSegment(ctx.video.id, Segment(sg.ACTION, model.start_frame + 5, model.end_frame + 5,
                                               "header")))
    td = canvas.model.tracks[sg.ACTION]
    assert td.n_lanes == 2
    ty = dict(canvas.track_rows())[sg.ACTION]
    x = canvas.x_of(model.start_frame + 10)
    top = canvas.segment_at(x, ty + 2 + (TRACK_H - 4) * 0.25)
    bottom = canvas.segment_at(x, ty + 2 + (TRACK_H - 4) * 0.75)
    assert top is not None and bottom is not None and top.id == model.id
    assert bottom.label == "header" and bottom.source.startswith("user")
    assert canvas.model.tracks[sg.SHOT].n_lanes >= 1  # shots tile: drawn in one row whatever
    img = canvas.grab()  # paints without error with lanes
    assert not img.isNull()
