"""The ``speech`` stage end to end: generated speech (espeak-ng) in a generated video, bad audio
(none, 8 kHz, 5.1, too long to transcribe), cancel, and the shared videos with speech."""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from core.audio.stage import AudioLanesStage
from core.errors import Cancelled
from core.media.reader import load_audio
from core.pipeline import analyze
from core.progress import Task
from core.segments import SPEECH, WORD
from core.audio.speech import frame_f1, speech_safe_boundary, word_error_rate
from core.testing.synth import make_clip
from models.speech.stage import SpeechStage

RATE = 16000
FPS = 25
PHRASES = ["ask not what your country can do for you",
           "the score is two one in the sixty seventh minute"]


def speak(text: str, tmp: Path) -> np.ndarray:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed: generated-speech tests skipped")
    wav = tmp / f"tts{abs(hash(text))}.wav"
    subprocess.run([exe, "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    return load_audio(wav, RATE)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """A video: 1 s silence, phrase 1, 2.5 s silence, phrase 2, 1 s silence; truth in seconds."""
    tmp = tmp_path_factory.mktemp("speech")
    parts: list[np.ndarray] = [np.zeros(RATE, np.float32)]
    truth: list[tuple[float, float]] = []
    pos = RATE
    for i, text in enumerate(PHRASES):
        s = speak(text, tmp)
        nz = np.flatnonzero(np.abs(s) > 0.01)
        s = s[nz[0]:nz[-1] + 1] * 0.5
        truth.append((pos / RATE, (pos + s.size) / RATE))
        parts.append(s)
        pos += s.size
        gap = np.zeros(int(2.5 * RATE) if i == 0 else RATE, np.float32)
        parts.append(gap)
        pos += gap.size
    audio = np.concatenate(parts)
    frames = int(np.ceil(audio.size / RATE * FPS))
    edit = make_clip(tmp / "spoken.mp4", frames=frames, fps=FPS, audio=audio, audio_rate=RATE)
    return edit.path, truth


def test_spoken_video_gives_speech_and_words(spoken, project):
    path, truth = spoken
    report = analyze(project, path, [SpeechStage(), AudioLanesStage()])
    assert report.ran == ["speech", "audio"]
    vid = report.video.id
    speech = project.segments(vid, SPEECH)
    words = project.segments(vid, WORD)
    clock = project.clock(vid)
    pred = [(clock.time(s.start_frame), clock.time(s.end_frame)) for s in speech]
    _, _, f1 = frame_f1(pred, truth, clock.duration, step=1 / FPS)
    assert f1 >= 0.85, (pred, truth)
    text = " ".join(s.label or "" for s in speech)
    assert word_error_rate(" ".join(PHRASES), text.replace("2-1", "two one").replace("67th", "sixty seventh")) <= 0.35
    assert all(s.source.startswith("model:") and s.label for s in speech)
    # Words: in order, inside the video, each inside a speech segment, probability as confidence.
    assert len(words) >= 12
    for w in words:
        assert 0 <= w.start_frame < w.end_frame <= clock.frame_count
        assert 0.0 <= (w.confidence or 0.0) <= 1.0
        assert any(s.start_frame <= w.start_frame and w.end_frame <= s.end_frame + 1 for s in speech)
    # The score and the minute keep usable times inside the second phrase, interpolated or not.
    second = [w for w in words if clock.time(w.start_frame) >= truth[1][0] - 0.3]
    assert any(any(c.isdigit() for c in (w.label or "")) or (w.label or "").lower().strip(".,") in
               ("two", "one", "sixty", "seventh", "minute") for w in second)
    # A cut in the middle of the first phrase is flagged and snaps into the pause around it.
    mid = clock.nearest_frame((truth[0][0] + truth[0][1]) / 2)
    b = speech_safe_boundary(mid, speech)
    assert b.inside_speech and b.moved and b.segment_id is not None
    t = clock.time(b.frame)
    assert t <= truth[0][0] + 0.1 or t >= truth[0][1] - 0.1
    status = project.get_setting(f"speech.status.{vid}")
    assert status["audio"] and status["words"] == len(words)
    # Resumable: both stages are skipped the second time.
    assert analyze(project, path, [SpeechStage(), AudioLanesStage()]).skipped == ["speech", "audio"]


def test_too_long_for_settings_keeps_voice_activity_only(spoken, project):
    path, truth = spoken
    analyze(project, path, [SpeechStage({"max_hours": 1e-4})])
    speech = project.segments(1, SPEECH)
    assert len(speech) == 2 and all(s.label is None for s in speech)
    assert project.segments(1, WORD) == []
    assert project.get_setting("speech.status.1")["audio"]


def test_cancel_during_speech_stage(spoken, project):
    path, _ = spoken
    task = Task(on_progress=lambda stage, frac, msg: task.cancel() if stage == "speech" and frac > 0.05
                else None, min_interval=0.0)
    with pytest.raises(Cancelled):
        analyze(project, path, [SpeechStage()], task)
    assert project.segments(1, SPEECH) == []
    assert [r.status for r in project.runs(1)] == ["cancelled"]


def test_video_without_audio_goes_on(tmp_path, project, caplog):
    edit = make_clip(tmp_path / "mute.mp4", frames=30)
    report = analyze(project, edit.path, [SpeechStage(), AudioLanesStage()])
    assert report.ran == ["speech", "audio"]
    assert project.segments(report.video.id) == []
    status = project.get_setting(f"speech.status.{report.video.id}")
    assert status["audio"] is False and status["messages"] == ["no audio stream"]
    assert any("no audio stream" in r.getMessage() for r in caplog.records)


def test_8khz_audio_is_used_with_a_warning(tmp_path, project):
    rng = np.random.default_rng(0)
    audio = (0.05 * rng.standard_normal(8000 * 2)).astype(np.float32)
    edit = make_clip(tmp_path / "narrow.mp4", frames=50, audio=audio, audio_rate=8000)
    report = analyze(project, edit.path, [SpeechStage()])
    status = project.get_setting(f"speech.status.{report.video.id}")
    assert status["audio"] is True
    assert any("8000 Hz" in m for m in status["messages"])


def _write_51(path: Path, seconds: float = 2.0) -> None:
    with av.open(str(path), "w") as out:
        vs = out.add_stream("mpeg4", rate=Fraction(FPS))
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        ast = out.add_stream("aac", rate=48000)
        ast.layout = "5.1"
        for i in range(int(seconds * FPS)):
            vf = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 4 % 255, np.uint8), format="rgb24")
            for pkt in vs.encode(vf.reformat(format="yuv420p")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        n, chunk = int(seconds * 48000), 1024
        t = np.arange(n) / 48000
        sig = np.tile((0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), (6, 1))
        for s in range(0, n, chunk):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(sig[:, s:s + chunk]), format="fltp",
                                            layout="5.1")
            af.sample_rate, af.pts = 48000, s
            for pkt in ast.encode(af):
                out.mux(pkt)
        for pkt in ast.encode():
            out.mux(pkt)


def test_surround_audio_is_mixed_down_with_a_warning(tmp_path, project):
    path = tmp_path / "surround.mp4"
    _write_51(path)
    report = analyze(project, path, [SpeechStage(), AudioLanesStage()])
    status = project.get_setting(f"speech.status.{report.video.id}")
    assert status["audio"] is True
    assert any("6 channels" in m for m in status["messages"])


@pytest.mark.shared_media
@pytest.mark.parametrize("name, words", [("hecate__video_sum.mp4", ["american", "factories"]),
                                         ("mmaction2__tests_data_test.avi", [])])
def test_shared_videos_with_speech(shared_media, project, name, words):
    report = analyze(project, shared_media / "video" / name, [SpeechStage()])
    vid = report.video.id
    speech = project.segments(vid, SPEECH)
    assert speech, "speech expected"
    for s in speech:
        assert 0 <= s.start_frame < s.end_frame <= report.video.frame_count
    text = " ".join(s.label or "" for s in speech).lower()
    for w in words:
        assert w in text


def test_audio_spool_keeps_audio_on_disk_with_gaps_filled():
    from core.audio.stage import AudioSpool
    from core.media.decode import DecodeResult

    spool = AudioSpool()
    try:
        spool.samples(0, np.ones(100, np.float32))
        spool.samples(150, np.full(50, 2.0, np.float32))  # gap of 50 -> silence
        spool.samples(190, np.full(20, 3.0, np.float32))  # overlaps by 10 -> only new samples kept
        spool.end(DecodeResult())
        a = spool.array()
        assert a.shape == (210,) and len(a) == 210 and spool.duration == 210 / RATE
        assert a[:100].sum() == 100 and a[100:150].sum() == 0 and a[150:200].sum() == 100
        assert a[200:].tolist() == [3.0] * 10 and a[205:300].size == 5 and a[300:400].size == 0
        with pytest.raises(TypeError):
            a[::2]
        path = Path(spool.path)
        del a
    finally:
        spool.close()
    assert not path.exists()


def _write_corrupt_audio(path: Path) -> None:
    """A video whose MP2 audio packets are all random bytes (valid headers lost)."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("mpeg4", rate=Fraction(FPS))
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        ast = out.add_stream("mp2", rate=RATE)
        ast.layout = "mono"
        sig = (0.2 * 32767 * np.sin(2 * np.pi * 300 * np.arange(2 * RATE) / RATE)).astype(np.int16)
        packets = []
        for s in range(0, sig.size, 1152):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(sig[None, s:s + 1152]), format="s16",
                                            layout="mono")
            af.sample_rate, af.pts = RATE, s
            packets += list(ast.encode(af))
        packets += list(ast.encode())
        for i in range(50):
            vf = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 4, np.uint8), format="rgb24")
            for pkt in vs.encode(vf.reformat(format="yuv420p")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        for p in packets:
            q = av.Packet(rng.integers(0, 256, p.size, dtype=np.uint8).tobytes())
            q.pts, q.dts, q.time_base, q.stream = p.pts, p.dts, p.time_base, ast
            out.mux(q)


def test_corrupt_audio_gives_a_message_and_video_analysis_goes_on(tmp_path, project):
    path = tmp_path / "corrupt.mkv"
    _write_corrupt_audio(path)
    report = analyze(project, path, [SpeechStage(), AudioLanesStage()])
    assert report.ran == ["speech", "audio"] and report.video.frame_count == 50
    assert any("audio" in w and "speech analysis skipped" in w for w in report.warnings)
    status = project.get_setting(f"speech.status.{report.video.id}")
    assert status["audio"] is False and "could not be decoded" in status["messages"][0]
    assert project.segments(report.video.id) == []
