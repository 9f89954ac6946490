"""Every export format on real (tiny, generated) video, read back with the tools that consume them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator
from xml.etree import ElementTree

import av
import numpy as np
import opentimelineio as otio
import pytest

from core.export import FORMATS, ExportError, export, render
from core.media.reader import probe
from core.segments import ACCEPTED, REJECTED, Segment
from core.store.project import Project

NTSC = Fraction(30000, 1001)


def make_video(path: Path, n: int, rate: Fraction, pts_ms: list[int] | None = None) -> Path:
    """A tiny H.264 file; with ``pts_ms`` the frames get those (irregular) timestamps."""
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=rate)
        st.width, st.height, st.pix_fmt = 64, 48, "yuv420p"
        st.options = {"preset": "ultrafast"}
        if pts_ms is not None:
            st.codec_context.time_base = Fraction(1, 1000)
        img = np.zeros((48, 64, 3), np.uint8)
        for i in range(n):
            img[:] = (i * 7) % 255
            fr = av.VideoFrame.from_ndarray(img, format="rgb24")
            if pts_ms is not None:
                fr.pts, fr.time_base = pts_ms[i], Fraction(1, 1000)
            else:
                fr.pts = i
            for p in st.encode(fr):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    return path


def decoded_times(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        t = [float(f.time) for f in c.decode(s) if f.time is not None]
    return np.asarray(t) - t[0]


SEGMENTS = [
    Segment("shot", 0, 900, confidence=0.97, source="model:shots@1"),
    Segment("shot", 900, 1850, confidence=0.9, source="model:shots@1"),
    Segment("shot", 1850, 2200, confidence=0.8, source="model:shots@1"),
    Segment("transition", 880, 900, label="dissolve", source="model:shots@1"),
    Segment("transition", 1850, 1850, label="cut", source="model:shots@1"),
    Segment("scene", 0, 1850, label="First half", source="model:scenes@1"),
    Segment("scene", 1850, 2200, label="Second half", source="model:scenes@1"),
    Segment("speech", 30, 90, label="what a strike", source="model:asr@1"),
    Segment("speech", 1820, 1900, label="it's --> in", source="model:asr@1"),
    Segment("person", 0, 500, attrs={"person": 1}, source="model:persons@1"),
    Segment("person", 200, 600, attrs={"person": 2}, source="model:persons@1"),
    Segment("highlight", 100, 400, label="goal", attrs={"score": 0.91, "cover_frame": 212},
            source="model:highlights@1"),
    Segment("highlight", 1800, 2000, label="save", source="user:ed", status=ACCEPTED),
    Segment("action", 300, 330, label="tackle", source="model:actions@1", status=REJECTED),
]


@pytest.fixture
def ntsc(tmp_path: Path) -> Iterator[tuple[Project, int]]:
    """2200 frames at 30000/1001 (73 s: past the first drop-frame minute)."""
    video = make_video(tmp_path / "match.mp4", 2200, NTSC)
    p = Project(tmp_path / "match.clipdesk")
    vid = p.add_video(probe(video)).id
    for s in SEGMENTS:
        p.insert_segment(vid, s)
    yield p, vid
    p.close()


def t(frame: int) -> float:
    return round(frame * 1001 / 30000, 6)


def test_json_contract(ntsc: tuple[Project, int], tmp_path: Path) -> None:
    p, vid = ntsc
    doc = json.loads(export(p, vid, "json", tmp_path / "o.json").read_text())
    assert doc["schema"] == "clipdesk.export/1"
    v = doc["video"]
    assert (v["fps_num"], v["fps_den"], v["frame_count"]) == (30000, 1001, 2200)
    assert (v["width"], v["height"]) == (64, 48)
    assert v["duration"] == t(2200) and abs(v["fps"] - 29.97003) < 1e-5
    segs = doc["segments"]
    keys = {"track", "start_frame", "end_frame", "start", "end", "label", "confidence", "source", "id",
            "attrs"}
    assert all(keys <= set(s) for s in segs)
    assert [s["track"] for s in segs][:4] == ["shot", "shot", "shot", "transition"]
    shots = [s for s in segs if s["track"] == "shot"]
    assert [(s["start_frame"], s["end_frame"]) for s in shots] == [(0, 900), (900, 1850), (1850, 2200)]
    assert all(s["start"] == t(s["start_frame"]) and s["end"] == t(s["end_frame"]) for s in segs)
    hl = [s for s in segs if s["track"] == "highlight"][0]
    assert hl["attrs"] == {"score": 0.91, "cover_frame": 212} and hl["source"] == "model:highlights@1"
    assert not any(s["track"] == "action" for s in segs)  # rejected suggestions are not exported
    only = json.loads(render(p, vid, "json", ["speech"]))
    assert {s["track"] for s in only["segments"]} == {"speech"} and len(only["segments"]) == 2


def test_unknown_format_and_track(ntsc: tuple[Project, int], tmp_path: Path) -> None:
    p, vid = ntsc
    with pytest.raises(ExportError, match="unknown export format"):
        export(p, vid, "mov", tmp_path / "x")
    with pytest.raises(ExportError, match="no track 'crowd'"):
        export(p, vid, "json", tmp_path / "x.json", ["crowd"])
    assert not (tmp_path / "x.json").exists()
    for precious in (p.path, Path(p.video(vid).path)):
        size = precious.stat().st_size
        with pytest.raises(ExportError, match="refusing to overwrite"):
            export(p, vid, "json", precious)
        assert precious.stat().st_size == size


def test_csv_rows_and_drop_frame_timecode(ntsc: tuple[Project, int]) -> None:
    p, vid = ntsc
    rows = list(csv.DictReader(io.StringIO(render(p, vid, "csv"))))
    assert len(rows) == len(SEGMENTS) - 1
    second = [r for r in rows if r["track"] == "shot"][1]
    assert second["start_frame"] == "900" and float(second["start"]) == pytest.approx(t(900), abs=1e-6)
    # 1850 frames at 29.97 drop-frame: 1:01 plus 20 frames, and frames 00/01 of minute 1 are skipped.
    assert second["end_timecode"] == "00:01:01;22"
    hl = [r for r in rows if r["track"] == "highlight"][0]
    assert json.loads(hl["attrs"]) == {"cover_frame": 212, "score": 0.91}


def test_scene_list_matches_pyscenedetect(ntsc: tuple[Project, int]) -> None:
    from scenedetect import FrameTimecode
    from scenedetect.output import write_scene_list

    p, vid = ntsc
    ours = render(p, vid, "scenes").splitlines()
    fps = 30000 / 1001
    spans = ((0, 900), (900, 1850), (1850, 2200))
    scenes = [(FrameTimecode(a, fps), FrameTimecode(b, fps)) for a, b in spans]
    buf = io.StringIO()
    write_scene_list(buf, scenes, include_cut_list=False)
    assert ours[1:] == buf.getvalue().splitlines()
    assert ours[0].startswith("Timecode List:,00:00:30.030,")


def _clips(track: Any) -> list[tuple[int, int]]:
    return [(round(c.source_range.start_time.value), round(c.source_range.duration.value))
            for c in track.find_clips()]


def test_otio_round_trip_keeps_frames_rate_and_labels(ntsc: tuple[Project, int], tmp_path: Path) -> None:
    p, vid = ntsc
    tl = otio.adapters.read_from_file(str(export(p, vid, "otio", tmp_path / "o.otio")))
    names = [tr.name for tr in tl.tracks]
    assert names[:3] == ["shot", "transition", "scene"] and "person 2" in names
    shot = tl.tracks[0]
    assert _clips(shot) == [(0, 900), (900, 950), (1850, 350)]
    for c in shot.find_clips():
        assert c.source_range.start_time.rate == 30000 / 1001
        r = c.range_in_parent()
        assert round(r.start_time.value) == c.metadata["clipdesk"]["start_frame"]
    hl = next(tr for tr in tl.tracks if tr.name == "highlight")
    clips = list(hl.find_clips())
    assert [round(c.range_in_parent().start_time.value) for c in clips] == [100, 1800]  # gaps kept
    # a highlight clip is named by its title (core.highlights.titles), its label kept in metadata
    assert clips[0].name == "Goal, 0:08" and clips[0].metadata["clipdesk"]["label"] == "goal"
    assert clips[0].metadata["clipdesk"]["attrs"]["cover_frame"] == 212
    assert tl.metadata["clipdesk"]["video"]["fps_num"] == 30000
    assert all(round(tr.duration().value) == 2200 for tr in tl.tracks)  # every track spans the video
    trans = next(tr for tr in tl.tracks if tr.name == "transition")
    assert _clips(trans) == [(880, 20)]
    assert [(m.name, round(m.marked_range.start_time.value)) for m in trans.markers] == [("cut", 1850)]


def test_edl_round_trip_drop_frame(ntsc: tuple[Project, int], tmp_path: Path) -> None:
    p, vid = ntsc
    shots = export(p, vid, "edl", tmp_path / "s.edl", ["shot"])
    assert ";" in shots.read_text()  # NTSC: drop-frame timecode
    back = otio.adapters.read_from_file(str(shots), adapter_name="cmx_3600", rate=30000 / 1001)
    assert _clips(back.tracks[0]) == [(0, 900), (900, 950), (1850, 350)]
    reel = otio.adapters.read_from_file(str(export(p, vid, "edl", tmp_path / "h.edl")),
                                        adapter_name="cmx_3600", rate=30000 / 1001)
    track = reel.tracks[0]  # default: the highlights, back to back
    assert _clips(track) == [(100, 300), (1800, 200)]
    assert [round(c.range_in_parent().start_time.value) for c in track.find_clips()] == [0, 300]


def test_edl_non_drop_at_25(tmp_path: Path) -> None:
    video = make_video(tmp_path / "pal.mp4", 1600, Fraction(25))
    with Project(tmp_path / "pal.clipdesk") as p:
        vid = p.add_video(probe(video)).id
        for a, b in ((0, 777), (777, 1600)):
            p.insert_segment(vid, Segment("shot", a, b, source="model:shots@1"))
        text = render(p, vid, "edl")
        assert "00:00:31:02" in text and ";" not in text
        out = export(p, vid, "edl", tmp_path / "pal.edl")
        back = otio.adapters.read_from_file(str(out), adapter_name="cmx_3600", rate=25)
        assert _clips(back.tracks[0]) == [(0, 777), (777, 823)]
        fx = otio.adapters.read_from_file(str(export(p, vid, "fcpxml", tmp_path / "pal.fcpxml")),
                                          adapter_name="fcpx_xml")
        timeline = next(iter(fx))  # library > event > project reads back as a collection
        assert _clips(timeline.tracks[0]) == [(0, 777), (777, 823)]


def test_cut_list_of_a_10_fps_video(tmp_path: Path) -> None:
    """OTIO knows no timecode rate near 10 fps (its nearest was 0, and every cut list failed with
    "no segments to cut"): frames are placed by time on 24 fps timecode."""
    video = make_video(tmp_path / "low.mp4", 100, Fraction(10))
    with Project(tmp_path / "low.clipdesk") as p:
        vid = p.add_video(probe(video)).id
        for a, b in ((0, 40), (40, 100)):
            p.insert_segment(vid, Segment("shot", a, b, source="model:shots@1"))
        out = export(p, vid, "edl", tmp_path / "low.edl")
        back = otio.adapters.read_from_file(str(out), adapter_name="cmx_3600", rate=24)
        assert _clips(back.tracks[0]) == [(0, 96), (96, 144)]


def test_fcp7_and_fcpxml_round_trip(ntsc: tuple[Project, int], tmp_path: Path) -> None:
    p, vid = ntsc
    x7 = otio.adapters.read_from_file(str(export(p, vid, "fcp7", tmp_path / "o.xml", ["shot"])),
                                      adapter_name="fcp_xml")
    vt = [tr for tr in x7.tracks if tr.kind == otio.schema.TrackKind.Video][0]
    assert _clips(vt) == [(0, 900), (900, 950), (1850, 350)]
    assert abs(next(iter(vt.find_clips())).source_range.start_time.rate - 30000 / 1001) < 1e-9
    path = export(p, vid, "fcpxml", tmp_path / "o.fcpxml")
    assert 'frameDuration="1001/30000s"' in path.read_text()
    # The adapter's reader truncates 29.97 to 29 fps, so read the rational times from the XML itself.
    root = ElementTree.parse(path).getroot()
    assert [c.tag for c in root] == ["resources", "library"]
    fmt = root.find("./resources/format")
    assert fmt is not None and (fmt.get("width"), fmt.get("height")) == ("64", "48")
    spine = root.find("./library/event/project/sequence/spine")
    assert spine is not None
    clips = [(c.get("name"), _secs(c.get("offset")), _secs(c.get("start")), _secs(c.get("duration")))
             for c in spine.findall("clip")]
    fps = Fraction(30000, 1001)
    # highlight clips are named by their titles (core.highlights.titles)
    assert [(n.split(",")[0].split(":")[0], o * fps, s * fps, d * fps) for n, o, s, d in clips] == [
        ("Goal", 0, 100, 300), ("Save", 300, 1800, 200)]


def _secs(value: str | None) -> Fraction:
    """FCPXML time ``"1001/300s"`` / ``"0s"`` as an exact fraction of seconds."""
    return Fraction((value or "0s").rstrip("s"))


def test_srt_and_vtt(ntsc: tuple[Project, int], tmp_path: Path) -> None:
    p, vid = ntsc
    srt = render(p, vid, "srt")
    assert srt.startswith("1\n00:00:01,001 --> 00:00:03,003\nwhat a strike\n\n2\n00:01:00,727 --> ")
    vtt = export(p, vid, "vtt", tmp_path / "o.vtt").read_text()
    assert vtt.startswith("WEBVTT\n\n00:00:01.001 --> 00:00:03.003\nwhat a strike\n")
    assert "it's -> in" in vtt and vtt.count("-->") == 2
    # ffmpeg reads both back (the subtitle demuxers are strict about the format).
    for f, text in (("o.srt", srt), ("o.vtt", vtt)):
        (tmp_path / f).write_text(text)
        r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "packet=pts_time,duration_time",
                            "-of", "csv=p=0", str(tmp_path / f)], capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.split()[0].startswith("1.001"), r.stderr
    with pytest.raises(ExportError, match="subtitles"):
        render(p, vid, "srt", ["shot", "scene"])


def test_chapters_and_ffmetadata_apply_with_ffmpeg(ntsc: tuple[Project, int], tmp_path: Path) -> None:
    p, vid = ntsc
    assert render(p, vid, "chapters") == "0:00 First half\n1:01 Second half\n"
    assert render(p, vid, "chapters", ["highlight"]) == "0:00 Start\n0:03 goal\n1:00 save\n"
    meta = export(p, vid, "ffmetadata", tmp_path / "ch.txt")
    assert "TIMEBASE=1001/30000\nSTART=1850\nEND=2200" in meta.read_text()
    out = tmp_path / "chaptered.mp4"
    video = p.video(vid).path
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", video, "-i", str(meta), "-map_metadata", "1",
                    "-codec", "copy", str(out)], check=True)
    r = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(out)],
                       capture_output=True, text=True, check=True)
    chapters = json.loads(r.stdout)["chapters"]
    assert [c["tags"]["title"] for c in chapters] == ["First half", "Second half"]
    starts = [float(c["start_time"]) for c in chapters]  # MP4 keeps chapter times in milliseconds
    assert starts[0] == 0.0 and abs(starts[1] - 1850 * 1001 / 30000) < 0.001


def test_vfr_times_are_presentation_timestamps(tmp_path: Path) -> None:
    pts: list[int] = []
    now = 0
    for i in range(60):
        pts.append(now)
        now += 40 if i % 3 else 80
    video = make_video(tmp_path / "vfr.mp4", 60, Fraction(25), pts)
    with Project(tmp_path / "vfr.clipdesk") as p:
        info = probe(video)
        assert info.vfr
        vid = p.add_video(info).id
        p.set_frame_times(vid, decoded_times(video))
        p.insert_segment(vid, Segment("speech", 3, 10, label="hi", source="model:asr@1"))
        p.insert_segment(vid, Segment("scene", 0, 30, label="A", source="model:scenes@1"))
        p.insert_segment(vid, Segment("scene", 30, 60, label="B", source="model:scenes@1"))
        doc = json.loads(render(p, vid, "json"))
        sp = [s for s in doc["segments"] if s["track"] == "speech"][0]
        assert (sp["start"], sp["end"]) == (pts[3] / 1000, pts[10] / 1000)
        assert f"00:00:00,{pts[3]:03d} --> 00:00:00,{pts[10]:03d}" in render(p, vid, "srt")
        assert f"TIMEBASE=1/1000\nSTART={pts[30]}\n" in render(p, vid, "ffmetadata")


def test_every_format_writes(ntsc: tuple[Project, int], tmp_path: Path) -> None:
    p, vid = ntsc
    for name, f in FORMATS.items():
        out = export(p, vid, name, tmp_path / f"all{f.suffix}.{name}")
        assert out.stat().st_size > 20, name


def test_word_track_becomes_readable_cues(tmp_path: Path) -> None:
    video = make_video(tmp_path / "w.mp4", 500, Fraction(25))
    with Project(tmp_path / "w.clipdesk") as p:
        vid = p.add_video(probe(video)).id
        words = [(0, 10, "Hello"), (10, 20, "world."), (21, 30, "This"), (30, 40, "goes"), (40, 50, "on"),
                 (80, 90, "after"), (90, 100, "a"), (100, 110, "pause")]  # 30 frames = 1.2 s pause
        words += [(200 + 5 * i, 205 + 5 * i, f"w{i:02d}") for i in range(60)]  # a long run-on stream
        for a, b, w in words:
            p.insert_segment(vid, Segment("word", a, b, label=w, source="model:asr@1"))
        srt = render(p, vid, "srt")
        cues = [c.split("\n") for c in srt.strip().split("\n\n")]
        texts = [" ".join(c[2:]) for c in cues]
        assert texts[:3] == ["Hello world.", "This goes on", "after a pause"]
        assert cues[0][1] == "00:00:00,000 --> 00:00:00,800"
        rest = cues[3:]
        assert len(rest) >= 3 and all(len(line) <= 42 for c in rest for line in c[2:])
        assert all(len(c) <= 4 for c in rest)  # index, time, at most two lines
        assert " ".join(texts[3:]).split() == [f"w{i:02d}" for i in range(60)]  # nothing lost
        p.insert_segment(vid, Segment("speech", 0, 100, label="x " * 40 + "end", source="model:asr@1"))
        line = render(p, vid, "vtt", ["speech"]).split("\n\n")[1]
        assert line.count("\n") == 2 and line.endswith("end")


def test_labels_keep_machine_values_and_corrections(ntsc: tuple[Project, int]) -> None:
    from core.edit.ops import AddSegment, DeleteSegments, EditStack, Relabel, SetBounds, SetStatus

    p, vid = ntsc
    segs = {(s.track, s.start_frame): s.id or 0 for s in p.segments(vid, include_deleted=True)}
    stack = EditStack(p, "user:ann")
    goal = segs[("highlight", 100)]
    stack.push(SetBounds(goal, 120, 400))
    stack.push(Relabel([goal], "own goal"))
    stack.push(SetStatus([segs[("person", 200)]], REJECTED))
    stack.push(DeleteSegments([segs[("speech", 30)]]))
    stack.push(AddSegment(vid, Segment("action", 500, 520, label="foul")))
    recs = {r["id"]: r for r in map(json.loads, render(p, vid, "labels").splitlines())}
    assert len(recs) == len(SEGMENTS) + 1  # rejected and deleted ones too
    g = recs[goal]
    assert (g["start_frame"], g["label"], g["status"]) == (120, "own goal", ACCEPTED)
    assert g["machine"]["start_frame"] == 100 and g["machine"]["label"] == "goal"
    assert g["machine"]["status"] == "suggested"
    assert {(e["field"], e["old"], e["new"], e["who"]) for e in g["edits"]} >= {
        ("start_frame", 100, 120, "user:ann"), ("label", "goal", "own goal", "user:ann")}
    assert recs[segs[("person", 200)]]["status"] == REJECTED
    assert recs[segs[("speech", 30)]]["deleted"] is True
    assert recs[segs[("action", 300)]]["status"] == REJECTED  # rejected before: still a label
    user = [r for r in recs.values() if r["label"] == "foul"][0]
    assert user["machine"] is None and user["source"] == "user:ann"
    # the regular exports still show only the current timeline
    live = json.loads(render(p, vid, "json"))["segments"]
    assert segs[("speech", 30)] not in {s["id"] for s in live}
    assert segs[("person", 200)] not in {s["id"] for s in live}
