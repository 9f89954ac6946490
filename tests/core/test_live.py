"""Following a recording while it is written (core.live): a writer thread appends generated
MPEG-TS (or publishes HLS segments) on a fast clock; the follower commits as it goes, and its
final results equal an offline analysis of the finished file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.errors import ClipDeskError
from core.export.clip import ffmpeg_exe
from core.live.follow import FollowOptions, follow, live_key
from core.live.source import GrowingReader, HlsAssembler, check_segment, parse_playlist
from core.live.writer import FileWriter, HlsWriter
from core.pipeline import analyze, order_stages
from core.shots.metrics import f1
from core.store.project import Project
from core.testing.synth import CUT, DISSOLVE, ShotSpec, make_edit, tone

FAST = {"shots.refiner": "none"}
STAGES = ["shots", "audio", "highlights"]
FPS = 25
LENGTHS = (60, 45, 80, 50, 70, 55, 40)


def _stages(names=STAGES, settings=FAST):
    from models.stages import available_stages

    return order_stages(available_stages(settings), names)


def _live(stage):
    from models.live import live_stage

    return live_stage(stage)


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Any]:
    """A 16 s edit (cuts and a dissolve, a tone) as MPEG-TS, and its HLS rendition (2 s segments)."""
    d = tmp_path_factory.mktemp("live-media")
    n = sum(LENGTHS)
    truth = make_edit(d / "edit.mp4", [ShotSpec(k) for k in LENGTHS], transitions=[CUT, CUT, DISSOLVE, CUT, CUT, CUT],
              audio=tone(440, n / FPS), gop=25)
    ts = d / "finished.ts"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(d / "edit.mp4"), "-c", "copy", "-f", "mpegts",
                    str(ts)], check=True)
    hls = d / "hls"
    hls.mkdir()
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(d / "edit.mp4"), "-c", "copy", "-f", "hls",
                    "-hls_time", "2", "-hls_list_size", "0", "-hls_segment_filename", str(hls / "seg%03d.ts"),
                    str(hls / "match.m3u8")], check=True)
    return {"dir": d, "ts": ts, "hls": hls / "match.m3u8", "frames": truth.frame_count}


def _offline(path: Path, project: Path, names=STAGES) -> dict:
    with Project(project) as p:
        analyze(p, path, _stages(names))
        return _results(p)


def _results(p: Project) -> dict:
    vid = p.videos()[0].id
    cuts = [t.attrs["frame"] for t in p.segments(vid, "transition")]
    return {"cuts": cuts, "trans": [(t.start_frame, t.end_frame, t.label) for t in p.segments(vid, "transition")],
            "shots": [(s.start_frame, s.end_frame) for s in p.segments(vid, "shot")],
            "events": [(s.start_frame, s.label) for s in p.segments(vid, "event")],
            "highlights": [(s.start_frame, s.end_frame) for s in p.segments(vid, "highlight")],
            "frames": p.video(vid).frame_count}


def test_playlist_parsing_and_segment_checks():
    text = ("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.0,\na.m4s\n"
            "#EXTINF:2.0,\nb.m4s\n#EXT-X-ENDLIST\n#EXTINF:2.0,\nhalf")
    entries, ended = parse_playlist(text)
    assert [(e.seq, e.uri, e.init) for e in entries] == [(5, "a.m4s", "init.mp4"), (6, "b.m4s", "init.mp4")]
    assert ended
    with pytest.raises(ClipDeskError, match="master playlist"):
        parse_playlist("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n")
    good = bytes([0x47] + [0] * 187) * 3
    assert check_segment(good, "s.ts") == (good, None)
    data, note = check_segment(good + b"\x47\x00", "s.ts")
    assert data == good and "mid-packet" in (note or "")
    with pytest.raises(ClipDeskError, match="sync lost"):
        check_segment(good[:188] + b"\x00" * 188 + good[:188], "s.ts")
    box = (16).to_bytes(4, "big") + b"moof" + b"\0" * 8
    assert check_segment(box, "a.m4s")[0] == box
    with pytest.raises(ClipDeskError, match="do not add up"):
        check_segment(box[:-3], "a.m4s")


def test_reader_waits_at_the_live_edge_and_ends_when_growth_stops(tmp_path):
    f = tmp_path / "grow.bin"
    f.write_bytes(b"abc")
    r = GrowingReader(f, idle_s=0.3, poll_s=0.02)
    assert r.read(10) == b"abc"
    with open(f, "ab") as w:
        w.write(b"def")
    assert r.read(10) == b"def"
    assert r.read(10) == b"" and "no new data" in (r.end_reason or "")
    stop = GrowingReader(f, idle_s=30, poll_s=0.02, stop=lambda: "cancelled", start=6)
    assert stop.read(10) == b"" and stop.end_reason == "cancelled"


def test_follow_growing_ts_commits_as_it_goes_and_ends_like_offline(media, tmp_path):
    off = _offline(media["ts"], tmp_path / "offline.clipdesk")
    live = tmp_path / "live.ts"
    live.write_bytes(b"")
    writer = FileWriter(media["ts"], live, duration_s=media["frames"] / FPS, speed=6.0)
    writer.start()
    commits = []
    with Project(tmp_path / "live.clipdesk") as p:
        opts = FollowOptions(every_s=2.0, idle_s=1.5, poll_s=0.02, commit_share=1.0)
        rep = follow(p, live, _stages(), _live, options=opts, on_commit=commits.append)
        res = _results(p)
        state = p.get_setting(live_key(res and p.videos()[0].id))
    writer.join()
    provisional = [c for c in commits if not c.final]
    assert len(provisional) >= 4  # results grew in chunks while the file was written
    assert any("shot" in c.changed for c in provisional)
    assert [c.media_s for c in provisional] == sorted(c.media_s for c in provisional)
    assert "no new data" in rep.end_reason
    assert res["frames"] == off["frames"] == media["frames"]
    assert f1(res["cuts"], off["cuts"], tolerance=0) >= 0.99
    assert res["trans"] == off["trans"] and res["shots"] == off["shots"]
    assert res["highlights"] == off["highlights"]
    assert state["state"] == "ended" and state["commits"] == rep.commits


def test_follow_hls_skips_a_corrupt_segment_with_one_line(media, tmp_path):
    out = tmp_path / "stream"
    said: list[str] = []
    writer = HlsWriter(media["hls"], out, speed=8.0, corrupt={3})
    writer.start()
    with Project(tmp_path / "live.clipdesk") as p:
        rep = follow(p, out / "match.m3u8", _stages(), _live, options=FollowOptions(every_s=2.0, idle_s=3.0,
                                                                                   poll_s=0.02, commit_share=1.0),
                     say=said.append)
        res = _results(p)
    writer.join()
    assert rep.end_reason == "end of playlist (#EXT-X-ENDLIST)"
    assert [s for s in said if "seg003.ts" in s] == ["seg003.ts: not MPEG-TS (no sync byte at the start); skipped"]
    # the assembled recording is every good segment, in order, once
    segs = sorted(media["hls"].parent.glob("seg*.ts"))
    assert rep.media_path.read_bytes() == b"".join(s.read_bytes() for s in segs if s.name != "seg003.ts")
    off = _offline(rep.media_path, tmp_path / "offline.clipdesk")
    assert res["frames"] == off["frames"] < media["frames"]
    assert f1(res["cuts"], off["cuts"], tolerance=0) >= 0.99 and res["shots"] == off["shots"]


def test_follow_resumes_an_interrupted_hls_assembly(media, tmp_path):
    """A follower killed mid-append: the partial segment is cut off and the assembly goes on."""
    out = tmp_path / "stream"
    shutil.copytree(media["hls"].parent, out)
    target = tmp_path / "match.recording.ts"
    a = HlsAssembler(out / "match.m3u8", target)
    a.poll()
    whole = target.read_bytes()
    state = a.state_path.read_text()
    with open(target, "ab") as f:  # killed while appending the next segment
        f.write(b"\x47" * 1000)
    a.state_path.write_text(state)
    b = HlsAssembler(out / "match.m3u8", target)
    assert target.read_bytes() == whole and b.last_seq == a.last_seq and b.ended is False
    b.poll()
    assert target.read_bytes() == whole and b.ended


def test_a_cut_stream_ends_cleanly_and_keeps_what_was_written(media, tmp_path):
    live = tmp_path / "cut.ts"
    live.write_bytes(b"")
    writer = FileWriter(media["ts"], live, duration_s=4.0, speed=1.0, stop_at=0.55, chunk=1000)
    writer.start()
    with Project(tmp_path / "live.clipdesk") as p:
        rep = follow(p, live, _stages(["shots"]), _live, options=FollowOptions(every_s=2.0, idle_s=1.0,
                                                                             poll_s=0.02, commit_share=1.0))
        res = _results(p)
    writer.join()
    assert len(live.read_bytes()) % 188  # it stopped mid-packet
    off = _offline(live, tmp_path / "offline.clipdesk", ["shots"])
    assert 0 < res["frames"] == off["frames"] < media["frames"]
    assert res["shots"] == off["shots"] and rep.ran == ["shots"]


def test_score_changes_get_a_still_and_gif_and_match_offline(tmp_path):
    from core.testing.scoreboard import BoardPhase, make_board_clip

    mp4 = tmp_path / "board.mp4"
    make_board_clip(mp4, [BoardPhase(0, 0, 0), BoardPhase(6, 1, 0), BoardPhase(12, 1, 1)], 16.0, fps=10)
    ts = tmp_path / "board.ts"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(mp4), "-c", "copy", "-f", "mpegts", str(ts)],
                   check=True)
    names = ["shots", "scoreboard", "highlights"]
    off = _offline(ts, tmp_path / "offline.clipdesk", names)
    live = tmp_path / "live.ts"
    live.write_bytes(b"")
    writer = FileWriter(ts, live, duration_s=16.0, speed=4.0)
    writer.start()
    commits = []
    with Project(tmp_path / "live.clipdesk") as p:
        rep = follow(p, live, _stages(names), _live,
                     options=FollowOptions(every_s=2.0, idle_s=1.5, poll_s=0.02, commit_share=1.0,
                                           goals_dir=tmp_path / "goals"),
                     on_commit=commits.append)
        res = _results(p)
        board = [(s.start_frame, s.label) for s in p.segments(p.videos()[0].id, "scoreboard")]
    writer.join()
    assert len(board) >= 2 and res["events"] == off["events"]
    assert any("1-1" in (lab or "") for _, lab in board)
    stills = sorted(x.name for x in rep.goals if x.suffix == ".jpg")
    assert len(stills) == 2 and len([x for x in rep.goals if x.suffix == ".gif"]) == 2
    assert stills[0].startswith("goal_00m06s") or stills[0].startswith("goal_00m07s")
    assert res["highlights"] == off["highlights"] and res["highlights"]
    assert np.isfinite(rep.finish_s)
    # the first goal's still and GIF came with the commit after the board changed (media time)
    first = next(c for c in commits if "event" in c.changed and not c.final)
    assert 6.0 < first.media_s <= 6.0 + 2 * 2.0 + 1.0


def test_speech_is_transcribed_in_chunks_like_offline(shared_media, tmp_path):
    """18 s of a real two-speaker conversation: voice activity and Whisper run in 6 s chunks while
    the file grows; the speech coverage matches the offline analysis and most words do (Whisper
    sees shorter windows, so a few words differ)."""
    from models.live import LiveSpeech

    ts = tmp_path / "talk.ts"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
                    "-i", str(shared_media / "audio" / "pyannote__sample.wav"), "-t", "18", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-f", "mpegts", str(ts)], check=True)
    off = tmp_path / "offline.clipdesk"
    with Project(off) as p:
        analyze(p, ts, _stages(["speech"], {}))
        off_words = [s.label.lower().strip(".,?!") for s in p.segments(1, "word")]
        off_frames = {f for s in p.segments(1, "speech") for f in range(s.start_frame, s.end_frame)}
    live = tmp_path / "live.ts"
    live.write_bytes(b"")
    writer = FileWriter(ts, live, duration_s=18.0, speed=3.0)
    writer.start()
    commits = []
    with Project(tmp_path / "live.clipdesk") as p:
        follow(p, live, _stages(["speech"], {}), lambda st: LiveSpeech(st, chunk_s=6.0),
               options=FollowOptions(every_s=4.0, idle_s=2.0, poll_s=0.02, commit_share=1.0), on_commit=commits.append)
        words = [s.label.lower().strip(".,?!") for s in p.segments(1, "word")]
        frames = {f for s in p.segments(1, "speech") for f in range(s.start_frame, s.end_frame)}
    writer.join()
    assert any("word" in c.changed for c in commits if not c.final)  # words arrived before the end
    assert len(off_words) >= 15
    common = len(set(words) & set(off_words)) / len(set(words) | set(off_words))
    assert common >= 0.6, (words, off_words)
    assert len(frames & off_frames) / len(frames | off_frames) >= 0.85


def test_until_stops_at_a_media_time(media, tmp_path):
    src = tmp_path / "rec.ts"
    shutil.copy(media["ts"], src)
    with Project(tmp_path / "live.clipdesk") as p:
        rep = follow(p, src, _stages(["shots"]), _live, options=FollowOptions(every_s=2.0, idle_s=30.0, until_s=6.0))
        assert rep.end_reason == "--until 6 s reached"
        assert p.videos()[0].frame_count == 6 * FPS
        assert all(s.end_frame <= 6 * FPS for s in p.segments(1, "shot"))


def test_fmp4_hls_and_a_growing_matroska_file(media, tmp_path):
    """The other containers: HLS with fMP4 segments (#EXT-X-MAP init) and a Matroska file being
    written; both end with the offline shots."""
    edit = media["dir"] / "edit.mp4"
    rend = tmp_path / "rend"
    rend.mkdir()
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(edit), "-c", "copy", "-f", "hls",
                    "-hls_segment_type", "fmp4", "-hls_time", "2", "-hls_list_size", "0",
                    "-hls_segment_filename", str(rend / "s%03d.m4s"), str(rend / "m.m3u8")], check=True)
    mkv = tmp_path / "m.mkv"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(edit), "-c", "copy", str(mkv)], check=True)
    off = _offline(edit, tmp_path / "offline.clipdesk", ["shots"])
    opts = FollowOptions(every_s=2.0, idle_s=2.0, poll_s=0.02, commit_share=1.0)
    writer = HlsWriter(rend / "m.m3u8", tmp_path / "out", speed=8.0)
    writer.start()
    with Project(tmp_path / "hls.clipdesk") as p:
        rep = follow(p, tmp_path / "out" / "m.m3u8", _stages(["shots"]), _live, options=opts)
        assert rep.media_path.suffix == ".mp4" and _results(p)["shots"] == off["shots"]
    writer.join()
    grow = tmp_path / "g.mkv"
    grow.write_bytes(b"")
    fw = FileWriter(mkv, grow, duration_s=media["frames"] / FPS, speed=8.0)
    fw.start()
    with Project(tmp_path / "mkv.clipdesk") as p:
        rep = follow(p, grow, _stages(["shots"]), _live, options=opts)
        assert rep.commits >= 3 and _results(p)["shots"] == off["shots"]
    fw.join()


def test_the_end_is_the_writer_closing_the_file_not_only_idle_time(tmp_path):
    """A writer seen holding the file closes it: the stream ends after ``closed_s`` without growth,
    long before ``idle_s``; a file no writer was ever seen holding waits ``idle_s`` (a writer we
    cannot see, or one that opens the file for each append, is not taken for a closed one)."""
    import time

    from core.live.holders import held_for_writing

    f = tmp_path / "grow.bin"
    w = open(f, "ab")  # noqa: SIM115 - closed below: the writer
    w.write(b"abc")
    w.flush()
    assert held_for_writing(f) is True
    r = GrowingReader(f, idle_s=30, poll_s=0.02, closed_s=0.3)
    assert r.read(10) == b"abc"
    w.write(b"de")
    w.flush()
    assert r.read(10) == b"de"
    w.close()
    assert held_for_writing(f) is False
    t0 = time.monotonic()
    assert r.read(10) == b""
    assert "writer closed the file" in (r.end_reason or "") and time.monotonic() - t0 < 10
    r.close()
    never = GrowingReader(f, idle_s=0.8, poll_s=0.02, closed_s=0.1)  # no writer seen: --idle decides
    assert never.read(10) == b"abcde"
    t0 = time.monotonic()
    assert never.read(10) == b"" and "no new data for 0.8 s" in (never.end_reason or "")
    assert time.monotonic() - t0 >= 0.7
    never.close()
    assert held_for_writing(tmp_path / "gone.bin") is None
