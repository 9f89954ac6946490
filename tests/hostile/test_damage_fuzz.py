"""Random byte flips in a real project file (issue 12, item 4).

A small project is analysed for real (cheap stages) and given user segments with a label history;
then, for seeded flip positions spread over the file (30 % and 50 % among them), a copy is
damaged and handed to ``export``, ``analyze`` and ``check``. Each answers exit 0 with a whole
export or exit 2 with one line, never a traceback and never "all stages up to date" for a file
``check`` finds damaged, and the damaged file is byte-identical afterwards. ``recover`` salvages
a file with a destroyed page into a new project holding the readable rows.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.cli import main
from core.store.project import Project

N_FLIPS = 25
SEED = 12


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    from core.segments import Segment
    from core.testing.synth import make_tone_clip

    folder = tmp_path_factory.mktemp("fuzzbase")
    video = folder / "match.mp4"
    make_tone_clip(video, seconds=1.6, size=(64, 48))
    proj = video.with_suffix(".clipdesk")
    assert main(["analyze", str(video), "--stages", "shots,audio", "-q"]) == 0
    with Project(proj, create=False) as p:
        vid = p.videos()[0].id
        segs = [p.insert_segment(vid, Segment("action", i % 40, i % 40, label=f"label-{i:03d}",
                                              attrs={"note": f"n{i}"}), who="user:fuzz")
                for i in range(150)]
        for s in segs[::3]:
            p.update_segment(s.id, who="user:fuzz", label=f"fixed-{s.id}")
        p.set_setting("highlights", {"clip_s": 15})
        p.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with Project(proj, create=False) as p:
        from core.export import render

        healthy = json.loads(render(p, vid, "json"))
    return video, proj, healthy


def _run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _positions(size: int) -> list[int]:
    rng = random.Random(SEED)
    fixed = [int(size * 0.3), int(size * 0.5)]
    return fixed + sorted(rng.randrange(100, size) for _ in range(N_FLIPS - len(fixed)))


def _flip(src: Path, dst: Path, pos: int, rng: random.Random) -> None:
    data = bytearray(src.read_bytes())
    data[pos] ^= rng.randrange(1, 256)
    dst.write_bytes(bytes(data))


def test_random_byte_flips(base, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video, proj, healthy = base
    rng = random.Random(SEED + 1)
    outcomes: list[tuple[int, int, int, int]] = []
    same = 0  # exports identical to the healthy one (the flip hit nothing they read)
    for i, pos in enumerate(_positions(proj.stat().st_size)):
        case = tmp_path / f"case{i:02d}"
        case.mkdir()
        damaged = case / "match.clipdesk"
        _flip(proj, damaged, pos, rng)
        before = damaged.read_bytes()
        rc_check, out_check, err = _run(capsys, "check", damaged)
        results = [rc_check]
        for argv in (["export", damaged, "--format", "json", "--out", "-"],
                     ["analyze", video, "--project", damaged, "--stages", "shots"]):
            rc, out, err = _run(capsys, *argv)
            assert rc in (0, 2), (pos, argv, err)
            assert "Traceback" not in err + out, (pos, argv)
            if rc == 2:
                lines = [x for x in err.splitlines() if x.strip()]
                assert len(lines) == 1 and lines[0].startswith("clipdesk: "), (pos, argv, err)
                if "damaged" in err:  # what a command meets, `check` reports too
                    assert rc_check == 2 and "clipdesk recover" in err, (pos, argv, err)
            elif argv[0] == "export":
                data = json.loads(out)  # a whole, parseable export
                assert set(data) == set(healthy) and set(data["video"]) == set(healthy["video"])
                assert data["video"]["path"] == healthy["video"]["path"]
                assert len(data["segments"]) <= len(healthy["segments"]) + 1
                same += data == healthy
            else:  # never "up to date" for a file SQLite's own check finds damaged; a damaged value
                # (a flip inside a compressed signal) fails whichever command reads it, not others
                assert "integrity_check: every page" in out_check or "up to date" not in out, (pos, out)
            results.append(rc)
            assert damaged.read_bytes() == before, (pos, argv)
        if rc_check == 2:  # damage check finds: every command refused it
            assert "PROBLEM" in out_check
        outcomes.append((pos, *results))
        assert not (case / "match.recovered.clipdesk").exists()
    print(f"position, check, export, analyze: {outcomes}; {same} export(s) unchanged")
    assert any(o[1] == 2 for o in outcomes)  # the flips do reach structures SQLite checks


def _leaf_page_with(path: Path, needle: bytes) -> tuple[int, int]:
    """(offset, page size) of the page that holds ``needle``."""
    data = path.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    at = data.index(needle)
    return at - at % page, page


def test_recover_salvages_readable_rows(base, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    video, proj, healthy = base
    damaged = tmp_path / "match.clipdesk"
    shutil.copyfile(proj, damaged)
    offset, page = _leaf_page_with(damaged, b'{"note": "n75"}')  # a segments page
    data = bytearray(damaged.read_bytes())
    data[offset:offset + page] = bytes([0xA5]) * page  # one segments page destroyed
    damaged.write_bytes(bytes(data))
    before = damaged.read_bytes()

    rc, _, err = _run(capsys, "export", damaged, "--format", "json", "--out", "-")
    assert rc == 2 and "damaged" in err and "clipdesk recover" in err, err
    rc, out, err = _run(capsys, "check", damaged)
    assert rc == 2 and "integrity_check" in out

    rc, out, err = _run(capsys, "recover", damaged)
    assert rc == 0, err
    rescued = tmp_path / "match.recovered.clipdesk"
    assert damaged.read_bytes() == before and rescued.is_file()
    assert "segments" in out and "saved" in out and "some rows were lost" in err
    rc, _, err = _run(capsys, "recover", damaged)  # never overwrites
    assert rc == 2 and "already exists" in err

    ok = sqlite3.connect(proj)
    want = {r[0] for r in ok.execute("SELECT label FROM segments")}
    ok.close()
    with Project(rescued, create=False) as p:
        got = [s.label for s in p.segments(1)]
        notes = {s.attrs.get("note") for s in p.segments(1)}
        assert p.videos()[0].path == str(video)
        assert p.history(p.segments(1)[0].id)
    assert got and set(got) < want  # readable rows are back; the destroyed page's are not
    assert "n75" not in notes and "n0" in notes
    rc, out, err = _run(capsys, "check", rescued)
    assert rc == 0, out + err
    rc, out, err = _run(capsys, "export", rescued, "--format", "json", "--out", "-")
    assert rc == 0 and json.loads(out)["segments"]


def test_window_refuses_a_damaged_project(qtbot, base, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app.window.main_window import MainWindow
    from core.errors import ProjectError

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    _, proj, _ = base
    damaged = tmp_path / "match.clipdesk"
    shutil.copyfile(proj, damaged)
    offset, page = _leaf_page_with(damaged, b'{"note": "n75"}')
    data = bytearray(damaged.read_bytes())
    data[offset:offset + page] = bytes([0x5A]) * page
    damaged.write_bytes(bytes(data))
    before = damaged.read_bytes()

    rc, _, err = _run(capsys, "gui", damaged, "--screenshot", tmp_path / "shot.png")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "damaged" in err, err
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    w = MainWindow(interactive=True, audio=False)
    qtbot.addWidget(w)
    with pytest.raises(ProjectError):
        w.open_path(damaged)
    assert len(shown) == 1 and "the project file is damaged" in shown[0] and w.project is None
    w.close()
    assert damaged.read_bytes() == before
    assert not damaged.with_name(damaged.name + "-wal").exists()
