"""A file that ends before its declared duration: a faststart MP4 (index first) cut at 30 % is
analysed as far as it goes, with one warning line that says where it ends, stored with the video
and repeated when every stage is already up to date."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from app.cli import main
from core.media.decode import ends_early
from core.pipeline import Stage, analyze, media_status_key

FRAMES = 250
FPS = 25


class _Noop(Stage):
    """A stage with no sinks: the decode pass still runs once to count the frames."""

    name = "noop"


def faststart(path: Path, frames: int = FRAMES) -> Path:
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as c:
        vs = c.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        rng = np.random.default_rng(0)
        for _ in range(frames):
            img = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(pkt)
        for pkt in vs.encode():
            c.mux(pkt)
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "not a faststart file"
    return path


@pytest.fixture
def cut(tmp_path: Path) -> Path:
    whole = faststart(tmp_path / "whole.mp4")
    out = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    out.write_bytes(data[: int(len(data) * 0.3)])
    return out


def test_threshold() -> None:
    assert ends_early(2.96, 10.0) == ("the file ends at 2.96 s but declares 10.00 s "
                                      "(truncated or still being written?)")
    assert ends_early(9.6, 10.0) is None  # 0.4 s: rounding, a last frame, an edit list
    assert ends_early(97.0, 100.0) is not None  # 3 s of 100 s
    assert ends_early(3590.0, 3600.0) is not None  # 2 % of an hour would be 72 s: capped at 5 s
    assert ends_early(0.0, 10.0) is None and ends_early(5.0, 0.0) is None


def test_cut_file_warns_and_remembers(cut: Path, project) -> None:
    report = analyze(project, cut, [_Noop()])
    assert 0 < report.video.frame_count < FRAMES * 0.5
    lines = [w for w in report.warnings if "ends at" in w]
    assert len(lines) == 1, report.warnings
    end = report.video.frame_count / FPS
    assert lines[0] == (f"the file ends at {end:.2f} s but declares 10.00 s "
                        "(truncated or still being written?)")
    status = project.get_setting(media_status_key(report.video.id))
    assert status["warnings"] == lines and status["frames"] == report.video.frame_count
    again = analyze(project, cut, [_Noop()])  # nothing to run: the warning still shows
    assert again.ran == [] and again.warnings == lines


def test_whole_file_has_no_warning(tmp_path: Path, project) -> None:
    report = analyze(project, faststart(tmp_path / "whole.mp4"), [_Noop()])
    assert report.video.frame_count == FRAMES
    assert not [w for w in report.warnings if "ends at" in w]
    assert project.get_setting(media_status_key(report.video.id)) is None


def test_cli_prints_one_warning_line(cut: Path, capsys) -> None:
    assert main(["analyze", str(cut), "--stages", "audio", "--quiet"]) == 0
    err = [ln for ln in capsys.readouterr().err.splitlines() if "ends at" in ln]
    assert len(err) == 1 and err[0].startswith("clipdesk: warning: cut.mp4: the file ends at ")
    assert err[0].endswith("but declares 10.00 s (truncated or still being written?)")


def test_json_export_carries_the_warning(cut: Path, tmp_path: Path, capsys) -> None:
    import json

    assert main(["analyze", str(cut), "--stages", "audio", "--quiet"]) == 0
    out = tmp_path / "a.json"
    assert main(["export", str(cut.with_suffix(".clipdesk")), "--format", "json", "--out", str(out)]) == 0
    video = json.loads(out.read_text())["video"]
    assert len(video["warnings"]) == 1 and "ends at" in video["warnings"][0]
