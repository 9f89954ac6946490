"""Label while playing through the window system: the real window under Xvfb, real X key events
(XTEST, tests/window/xdrive.py). While the video plays, "1" is held down for over a second (the X
server auto-repeats it), then released; the stored project must hold exactly one span of class 1
from press to release (both moved back by the reaction lag), the menu's "Apply label 1" must not
have taken the key, and the selected crop segment must be untouched."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from core.segments import CROP, Segment
from core.store.project import Project
from core.testing.demo import copy_project

pytestmark = pytest.mark.xvfb

HERE = Path(__file__).resolve().parent


@pytest.fixture
def app(tmp_path: Path, template: Path):
    from tests.window.xdrive import WindowSession

    project = copy_project(template, tmp_path)
    with Project(project, create=False) as p:  # a crop suggestion, selected by the harness
        vid = p.videos()[0].id
        crop = p.insert_segment(vid, Segment(CROP, 10, 60, "9:16", 0.8, {}, "model:reframe@1"))
    s = WindowSession(HERE / "action_keys_harness.py", project, tmp_path / "layout.json", tmp_path / "cfg",
                      range(231, 270))
    state = {"project": project, "layout": s.layout, "drv": s.drv, "proc": s.proc, "crop": crop, "session": s}
    try:
        s.wait(lambda d: d.get("ready") and d.get("fps"), 90)
        yield state
    finally:
        s.close()


def _wait(state: dict[str, Any], cond: Callable[[dict[str, Any]], Any], timeout: float = 20) -> dict[str, Any]:
    return state["session"].wait(cond, timeout)


def _db(state: dict[str, Any], sql: str, args: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(f"file:{state['project']}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_hold_a_number_key_while_playing(app: dict[str, Any]) -> None:
    drv = app["drv"]
    crop_before = _db(app, "SELECT label, status, start_frame, end_frame FROM segments WHERE id=?", (app["crop"].id,))
    drv.key("space")
    d0 = _wait(app, lambda d: d["playing"] and d["playhead"] > 5)
    code = drv.x.XKeysymToKeycode(drv.dpy, drv.x.XStringToKeysym(b"1"))
    drv.t.XTestFakeKeyEvent(drv.dpy, code, 1, 0)  # hold "1" ...
    drv._flush(1.4)  # ... past the X server's auto-repeat delay
    drv.t.XTestFakeKeyEvent(drv.dpy, code, 0, 0)
    drv._flush(0.3)
    d = _wait(app, lambda d: any(not k["press"] and not k["repeat"] for k in d["keys"]))
    drv.key("space")
    _wait(app, lambda d: not d["playing"])
    keys = [k for k in d["keys"] if k["key"] == "1"]
    first = [k for k in keys if not k["repeat"]]
    # one press ... one release; under load Qt may not flag an auto-repeat (a release and a press
    # at once) as a repeat, so the span runs from the first press to the last release
    assert first[0]["press"] and not first[-1]["press"], keys
    press, release = first[0]["playhead"], first[-1]["playhead"]
    assert release - press >= 0.8 * d["fps"], (press, release, d0["playhead"])  # it played while held
    sql = ("SELECT label, start_frame, end_frame, status, source FROM segments"
           " WHERE track='action' AND deleted=0 AND source LIKE 'user:%'")
    end_wait = time.monotonic() + 20  # the span is written once the release is final (a short grace)
    while not _db(app, sql) and time.monotonic() < end_wait:
        time.sleep(0.05)
    time.sleep(0.5)  # a second span, if the panel were to make one, would be written by now
    rows = _db(app, sql)
    assert len(rows) == 1, rows  # one held key = one span, however often the key repeated
    label, start, end, status, _source = rows[0]
    lag = d["lag_frames"]
    assert label == "shot" and status == "accepted"
    assert start == max(0, press - lag) and end == release - lag + 1, (rows, press, release, lag)
    assert "select a segment first" not in d["status"]  # the menu's "Apply label 1" never ran
    crop_after = _db(app, "SELECT label, status, start_frame, end_frame FROM segments WHERE id=?", (app["crop"].id,))
    assert crop_after == crop_before  # the selected crop was not relabelled or accepted
