"""User slips on the command line: every bad argument of every command is one line
``clipdesk: <reason>`` on stderr and exit 2, never a traceback, and nothing is written; query
images that claim huge sizes are refused from their header, before decoding."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.cli import main
from core.errors import MediaError
from core.media.image import MAX_SIDE, read_image
from core.media.reader import probe
from core.store.project import Project

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def proj(tmp_path: Path, make_video) -> Path:
    """A project of a 1 s (25 frames) video."""
    video = make_video("src.mp4", frames=25, size=(64, 48))
    path = tmp_path / "src.clipdesk"
    with Project(path) as p:
        p.add_video(probe(video))
    return path


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    rc = main(argv)
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert rc == 2, (argv, cap.err)
    assert len(lines) == 1 and lines[0].startswith("clipdesk: "), (argv, cap.err)
    assert "Traceback" not in cap.err + cap.out
    return lines[0]


CLIP_CASES = [
    (["--start", "nan", "--end", "0.5"], "--start must be a finite time in seconds"),
    (["--start", "0", "--end", "inf"], "--end must be a finite time in seconds"),
    (["--start", "0", "--end=-inf"], "--end must be a finite time in seconds"),
    (["--start", "0", "--end", "NaN"], "--end must be a finite time"),
    (["--start", "-1", "--end", "0.5"], "--start must be at least 0"),
    (["--start", "0.5", "--end", "0.5"], "must be after --start"),
    (["--start", "0.6", "--end", "0.2"], "must be after --start"),
    (["--start", "0", "--end", "5"], "past the end of the video"),
    (["--start", "0", "--end", "1e308"], "--end must be"),
    (["--start", "3", "--end", "4"], "outside the video"),
    (["--start", "abc", "--end", "1"], "--start must be a time in seconds"),
    (["--start", "0", "--end", "0.5", "--aspect", "1000:1"], "between 1:4 and 4:1"),
    (["--start", "0", "--end", "0.5", "--aspect", "0:1"], "between 1:4 and 4:1"),
    (["--start", "0", "--end", "0.5", "--aspect", "1:0"], "bad aspect"),
    (["--start", "0", "--end", "0.5", "--aspect", "x"], "bad aspect"),
    (["--start", "0", "--end", "0.5", "--aspect", "a:b"], "bad aspect"),
    (["--start", "0", "--end", "0.5", "--aspect=-9:16"], "between 1:4 and 4:1"),
    (["--start", "0", "--end", "0.5", "--aspect", "9" * 5000 + ":1"], "bad aspect"),
    (["--start", "0", "--end", "0.5", "--size", "0x0"], "16..8192"),
    (["--start", "0", "--end", "0.5", "--size", "99999x2"], "16..8192"),
    (["--start", "0", "--end", "0.5", "--size=-1080x1920"], "16..8192"),
    (["--start", "0", "--end", "0.5", "--size", "1081x1920"], "even"),
    (["--start", "0", "--end", "0.5", "--size", "8192x16"], "between 1:4 and 4:1"),
    (["--start", "0", "--end", "0.5", "--size", "big"], "use WxH"),
    (["--start", "0", "--end", "0.5", "--video", "0"], "--video must be between 1"),
    (["--start", "0", "--end", "0.5", "--video", "7"], "no video 7"),
    (["--start", "0", "--end", "0.5", "--bogus"], "unrecognized arguments"),
    (["--end", "0.5"], "required: --start"),
]


@pytest.mark.parametrize("args, message", CLIP_CASES, ids=[" ".join(a)[:40] for a, _ in CLIP_CASES])
def test_clip_bad_arguments(proj: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(proj.parent)
    line = _refused(["clip", str(proj), *args, "-q"], capsys)
    assert message in line
    assert _snapshot(proj.parent) == before  # nothing written, nothing changed


def test_clip_end_less_than_a_frame_past_is_the_video_end(proj: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tail.mp4"
    assert main(["clip", str(proj), "--start", "0.6", "--end", "1.02", "--aspect", "source",
                 "--out", str(out), "-q"]) == 0, capsys.readouterr().err
    assert probe(out).frame_count == 10  # frames 15..24: clamped to the last frame, not refused


OTHER_CASES = [
    (["search", "{P}", "--image", "{IMG}", "--top", "0"], "--top must be between 1 and 1000"),
    (["search", "{P}", "--image", "{IMG}", "--top", "1001"], "--top must be between 1 and 1000"),
    (["search", "{P}", "--image", "{IMG}", "--top=-5"], "--top must be between 1 and 1000"),
    (["search", "{P}", "--image", "{IMG}", "-k", "ten"], "--top must be a whole number"),
    (["search", "{P}", "--image", "{DIR}/none.png"], "no such image file"),
    (["search", "{P}"], "required: --image"),
    (["train", "actions", "{P}", "--epochs", "0"], "--epochs must be between 1 and 10000"),
    (["train", "actions", "{P}", "--epochs", "10001"], "--epochs must be between 1 and 10000"),
    (["train", "actions", "{P}", "--epochs", "1e3"], "--epochs must be a whole number"),
    (["train", "actions", "{P}", "--threads", "0"], "--threads must be between 1"),
    (["train", "actions", "{P}", "--window", "nan"], "--window must be a finite time"),
    (["train", "actions", "{P}", "--window", "0"], "--window must be more than 0"),
    (["train", "actions", "{P}", "--seed", "-1"], "--seed must be between 0"),
    (["train", "actions", "{P}", "--arch", "huge"], "--arch must be one of"),
    (["train", "actions", "{P}", "--streams", "joint,colour"], "unknown skeleton stream"),
    (["train", "bikes", "{P}"], "invalid choice"),
    (["highlights", "{P}", "--clip-seconds", "nan"], "--clip-seconds must be a finite time"),
    (["highlights", "{P}", "--clip-seconds", "0"], "--clip-seconds must be more than 0"),
    (["highlights", "{P}", "--clip-seconds", "-5"], "--clip-seconds must be more than 0"),
    (["highlights", "{P}", "--reel-seconds", "inf"], "--reel-seconds must be a finite time"),
    (["highlights", "{P}", "--reel-seconds", "-1"], "--reel-seconds must be at least 0"),
    (["highlights", "{P}", "--max", "0"], "--max must be between 1 and 1000"),
    (["highlights", "{P}", "--preset", "90s"], "unknown highlights preset"),
    (["report", "{P}", "--out", "{DIR}/missing/r.html"], "no such folder"),
    (["export", "{P}", "--format", "mov"], "unknown export format"),
    (["export", "{P}", "--video", "9"], "no video '9'"),
    (["export"], "required: P"),
    (["gui", "{P}", "--screenshot", "{DIR}/s.png", "--size", "0x0"], "--size must be between"),
    (["gui", "{P}", "--screenshot", "{DIR}/s.png", "--size", "99999x99999"], "--size must be between"),
    (["gui", "{P}", "--select", "-1"], "--select must be between 0"),
    (["analyze", "{DIR}/src.mp4", "--device", "tpu"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
    ([], "required: COMMAND"),
]


@pytest.mark.parametrize("argv, message", OTHER_CASES, ids=[" ".join(a)[:40] for a, _ in OTHER_CASES])
def test_other_commands_bad_arguments(proj: Path, argv: list[str], message: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    img = proj.parent / "q.png"
    cv2.imwrite(str(img), np.zeros((32, 32, 3), np.uint8))
    before = _snapshot(proj.parent)
    subst = {"{P}": str(proj), "{IMG}": str(img), "{DIR}": str(proj.parent)}
    for k, v in subst.items():
        argv = [a.replace(k, v) for a in argv]
    assert message in _refused(argv, capsys)
    assert _snapshot(proj.parent) == before


def test_help_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["clip", "--help"])
    assert e.value.code == 0 and "--start" in capsys.readouterr().out


def test_no_traceback_in_a_real_process(proj: Path, tmp_path: Path) -> None:
    """The guarantee as a user sees it: a fresh interpreter, stderr only one line."""
    (tmp_path / "dir").mkdir()
    for argv in (["clip", str(proj), "--start", "nan", "--end", "1"],
                 ["clip", str(proj), "--start", "0", "--end", "0.4", "--aspect", "1000:1", "--out", "dir"]):
        r = subprocess.run([sys.executable, "-m", "app.cli", *argv], cwd=tmp_path, capture_output=True,
                           text=True, timeout=120, env={**_env(), "PYTHONPATH": str(REPO)})
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("clipdesk: "), r.stderr
    assert list((tmp_path / "dir").iterdir()) == []
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name]


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


# -- query images: decompression-bomb limits ------------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_claiming(path: Path, w: int, h: int) -> Path:
    """A small PNG whose IHDR says ``w`` x ``h`` (a few rows of real data follow)."""
    rows = zlib.compress((b"\x00" + bytes(w * 3)) * 4, 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + _chunk(b"IDAT", rows) + _chunk(b"IEND", b""))
    return path


def _jpeg_claiming(path: Path, w: int, h: int) -> Path:
    """A real small JPEG with its frame header (SOF0) rewritten to claim ``w`` x ``h``."""
    ok, buf = cv2.imencode(".jpg", np.zeros((16, 16, 3), np.uint8))
    assert ok
    data = bytearray(buf.tobytes())
    i = data.index(b"\xff\xc0")
    data[i + 5:i + 9] = struct.pack(">HH", h, w)
    path.write_bytes(bytes(data))
    return path


def test_png_claiming_20000x20000_is_refused_from_its_header(proj: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    bomb = _png_claiming(tmp_path / "bomb.png", 20000, 20000)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(MediaError, match=r"image too large \(20000x20000, 400 megapixels"):
        read_image(bomb)
    line = _refused(["search", str(proj), "--image", str(bomb)], capsys)
    assert "image too large" in line


@pytest.mark.parametrize("maker", [_png_claiming, _jpeg_claiming])
def test_lying_headers_are_refused(tmp_path: Path, maker) -> None:
    with pytest.raises(MediaError, match="image too large"):
        read_image(maker(tmp_path / "x.img", 30000, 30000))


def test_unknown_or_garbage_image_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all" * 10)
    with pytest.raises(MediaError, match="not a readable image"):
        read_image(junk)
    half = tmp_path / "half.png"
    full = cv2.imencode(".png", np.full((40, 40, 3), 200, np.uint8))[1].tobytes()
    half.write_bytes(full[:60])  # a valid header, the data cut off
    with pytest.raises(MediaError, match="not a readable image"):
        read_image(half)


def test_4000x3000_jpeg_query_still_works_scaled_down(tmp_path: Path) -> None:
    img = np.zeros((3000, 4000, 3), np.uint8)
    img[:, :2000] = (0, 0, 255)  # left half red (BGR)
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), img)
    rgb = read_image(path)
    assert rgb.shape == (1440, MAX_SIDE, 3)
    assert rgb[700, 100, 0] > 200 and rgb[700, 100, 2] < 50  # red stays red (RGB order)
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), img[:300, :400])
    assert read_image(small).shape == (300, 400, 3)  # small images keep their size


def test_search_panel_shows_the_bomb_error(qtbot, tmp_path: Path) -> None:
    from app.panels.search import SearchPanel
    from app.review.context import ReviewContext

    panel = SearchPanel(ReviewContext())
    qtbot.addWidget(panel)
    panel.search_file(_png_claiming(tmp_path / "bomb.png", 20000, 20000))
    assert "image too large" in panel.status.text() and not panel.busy
