"""Editing through the window system: the real window under Xvfb, driven by real X pointer and
key events (XTEST, tests/window/xdrive.py); the stored project is read after each step.

Drag a highlight's edge onto a shot boundary (it snaps), undo and redo with the keys, choose a
cover in the Covers dock, export a 9:16 clip from the queue at the offered source resolution
(the upscaling warning shown first) with its title as MP4 tag and burned-in caption."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from core.testing.demo import copy_project

pytestmark = pytest.mark.xvfb

HERE = Path(__file__).resolve().parent
TRACK_H = 24


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, template: Path):
    from tests.window.xdrive import WindowSession

    tmp = tmp_path_factory.mktemp("xvfb-edit")
    project = copy_project(template, tmp)
    s = WindowSession(HERE / "xvfb_harness.py", project, tmp / "layout.json", tmp / "cfg", range(181, 220))
    state = {"project": project, "layout": s.layout, "drv": s.drv, "proc": s.proc, "session": s}
    try:
        s.wait(lambda d: d["canvas"][2] > 500 and "highlight" in d["rows"], 90)
        yield state
    finally:
        s.close()


def _layout(state: dict[str, Any]) -> dict[str, Any]:
    return state["session"].read()


def _wait(state: dict[str, Any], cond: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict[str, Any]:
    return state["session"].wait(cond, timeout)


def _settled(state: dict[str, Any], part: Callable[[dict[str, Any]], Any], timeout: float = 10) -> dict[str, Any]:
    """The layout once ``part`` of it has stayed the same for half a second (docks stop moving)."""
    end = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < end:
        d = _layout(state)
        now = part(d) if d else None
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= 0.5:
            return d
        time.sleep(0.1)
    raise AssertionError(f"the layout kept moving: {last}")


def _db(state: dict[str, Any], sql: str, args: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(f"file:{state['project']}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def _seg(state: dict[str, Any], track: str) -> tuple[int, int, int, dict]:
    r = _db(state, "SELECT id, start_frame, end_frame, attrs FROM segments WHERE track=? AND deleted=0"
                   " ORDER BY start_frame LIMIT 1", (track,))[0]
    return int(r[0]), int(r[1]), int(r[2]), json.loads(r[3] or "{}")


def _x(d: dict[str, Any], frame: float) -> float:
    return d["canvas"][0] + d["header_w"] + (frame - d["x0"]) * d["ppf"]


def _row_y(d: dict[str, Any], track: str) -> float:
    return d["canvas"][1] + d["rows"][track] + TRACK_H / 2


def test_drag_edge_snaps_then_undo_redo(app: dict[str, Any]) -> None:
    d = _layout(app)
    hid, start, end, _ = _seg(app, "highlight")
    shots = sorted({int(r[0]) for r in _db(app, "SELECT start_frame FROM segments WHERE track='shot'"
                                                " AND deleted=0")})
    target = max(f for f in shots if f < end - 4)  # the shot boundary before the highlight's end
    assert d["canvas"][1] + d["rows"]["highlight"] + TRACK_H < d["canvas"][1] + d["canvas"][3]
    y = _row_y(d, "highlight")
    drop = _x(d, target) + 3  # a frame off: the 8 px snap pulls it onto the boundary
    app["drv"].drag(_x(d, end), y, drop, y)
    _wait(app, lambda _d: _seg(app, "highlight")[2] != end)
    assert _seg(app, "highlight")[1:3] == (start, target)  # snapped exactly to the boundary
    app["drv"].key("ctrl+z")
    _wait(app, lambda _d: _seg(app, "highlight")[2] == end)
    assert _seg(app, "highlight")[1:3] == (start, end)
    app["drv"].key("ctrl+shift+z")
    _wait(app, lambda _d: _seg(app, "highlight")[2] == target)
    hist = _db(app, "SELECT field, old_value, new_value FROM label_history WHERE segment_id=?"
                    " AND field='end_frame' ORDER BY id", (hid,))
    assert [(json.loads(o), json.loads(n)) for _f, o, n in hist] == [(end, target), (target, end), (end, target)]


def test_choose_a_cover(app: dict[str, Any]) -> None:
    d = _layout(app)
    hid, start, end, attrs = _seg(app, "highlight")
    app["drv"].click(_x(d, (start + end) / 2), _row_y(d, "highlight"))
    d = _wait(app, lambda d: d["selection"] == hid and "Covers" in d["tabs"])
    app["drv"].click(*d["tabs"]["Covers"])
    d = _wait(app, lambda d: len(d["covers"]) >= 2, 40)
    d = _settled(app, lambda d: d["covers"])  # the dock may still be growing to fit its panel
    frame, x, y = d["covers"][1]  # not the best one: the editor's own choice
    app["drv"].click(x, y)
    _wait(app, lambda _d: _seg(app, "highlight")[3].get("cover_frame") == frame)
    assert start <= frame < end


def test_export_a_9x16_clip_from_the_queue(app: dict[str, Any]) -> None:
    from core.media.reader import probe

    d = _layout(app)
    hid, start, end, _ = _seg(app, "highlight")
    drv = app["drv"]
    drv.click(_x(d, (start + end) / 2), _row_y(d, "highlight"))
    _wait(app, lambda d: d["selection"] == hid)
    drv.key("ctrl+e")
    try:
        d = _wait(app, lambda d: d["export"]["visible"], 6)
    except AssertionError:  # a loaded machine: the dock may take its time; the key once more
        drv.key("ctrl+e")
        d = _wait(app, lambda d: d["export"]["visible"])
    d = _settled(app, lambda d: d["export"]["kind"])
    drv.click(*d["export"]["kind"])
    _wait(app, lambda d: d["combo_open"])
    drv.key("Down")
    drv.key("Return")
    d = _wait(app, lambda d: d["export"]["kind_text"] == "MP4 reframed" and not d["combo_open"])
    assert "scaled up" in d["export"]["upscale"] and "source resolution" in d["export"]["upscale"]
    drv.click(*d["export"]["size"])
    _wait(app, lambda d: d["combo_open"])
    drv.key("Down")
    drv.key("Return")
    d = _wait(app, lambda d: "source resolution" in d["export"]["size_text"] and not d["combo_open"])
    assert d["export"]["upscale"] == ""  # no warning at the crop's own size
    title = d["export"]["title"]
    assert title.startswith("Goal")  # proposed from the highlight
    drv.click(*d["export"]["caption"])  # burn the title in
    d = _wait(app, lambda d: d["export"]["caption_on"])
    drv.click(*d["export"]["add"])
    d = _wait(app, lambda d: any("frames" in s or "failed" in s for s in d["export"]["jobs"].values()), 90)
    assert not any("failed" in s for s in d["export"]["jobs"].values()), d["export"]
    folder = app["project"].parent / f"{app['project'].stem} exports"  # the project's export folder
    files = list(folder.glob("*_9x16.mp4"))
    assert len(files) == 1 and files[0].name.startswith("Goal")
    info = probe(files[0])
    w, h = info.display_size
    assert abs(w / h - 9 / 16) < 0.02 and h <= 180  # the source's own resolution, not 1920
    import av

    with av.open(str(files[0])) as c:
        assert c.metadata.get("title") == title
        frame = next(c.decode(video=0)).to_ndarray(format="rgb24")
    band = frame[int(h * 0.55):int(h * 0.86)]  # the caption: white text on a dark band
    assert (band.min(axis=2) > 220).sum() > 20 and (band.max(axis=2) < 50).sum() > 200
    n = _db(app, "SELECT COUNT(*) FROM segments WHERE deleted=0")[0][0]
    assert n > 0  # the project is intact and readable after the export
