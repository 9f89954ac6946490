"""Train the shot student (``core.shots.student``) and write ``models/shots/shot_student.npz``.

Run (the shipped weights, shots stage v6): ``OMP_NUM_THREADS=1 .venv/bin/python -m
bench.train_shot_student --reels --dropout 0.2 --weight-decay 1e-3 --epochs 20`` (~10 minutes on one
core; ``--data-cache FILE`` keeps the built inputs for the next fit).

Data: generated edits (``core.testing.edits``) on TUNING seeds only (``--seeds``, default 20-99),
drawn from the two sources the project may redistribute derivatives of: Big Buck Bunny (CC-BY 3.0,
Blender Foundation) and the public-domain Chaplin clip (see ../shared/media/MANIFEST.md), so the
weights may ship. Everything else the generator does is kept: cuts, dissolves, fades, wipes of
4-30 frames, transitions at the ends, pairs ~1 s apart, dissolve-then-cut, dark and low-contrast
pairs, pans over stills, white flashes (traps, label 0). Frames are rendered at 96x54 and reduced
to 48x27 (INTER_AREA), as the decode pass reduces them, and go through the fast pass's own
:class:`core.shots.ShotSink` to get exactly the signals the student sees in use.

Labels come from the generator's exact truth: the last frame before a cut and the cut's first
frame, and every mixed frame of a gradual transition, are 1; everything else 0. A two-layer
perceptron is fitted with Adam and binary cross-entropy (positives weighted up); ``--val`` seeds
(default 10-19, same two sources) report the frame-level figures. Deterministic for a given seed
list (torch seeded, one thread).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import core.testing.edits as E  # noqa: E402
from core.media.decode import DecodeResult  # noqa: E402
from core.shots.cascade import ShotSink  # noqa: E402
from core.shots.features import ShotSignals  # noqa: E402
from core.shots.student import N_INPUTS, STUDENT_VERSION, StudentWeights, inputs  # noqa: E402
from core.testing.synth import CUT  # noqa: E402

SOURCES = ("moviepy__big_buck_bunny_0_30.webm", "moviepy__chaplin.mp4")
OUT = REPO / "models" / "shots" / "shot_student.npz"
RENDER = (96, 54)
_CACHE: dict[str, list[np.ndarray]] = {}


def _cached_decode(path: Path, first: int, count: int) -> Iterator[np.ndarray]:
    """The generator's source decode, from frames decoded once (at most 320 px wide)."""
    import av

    frames = _CACHE.get(path.name)
    if frames is None:
        frames = []
        with av.open(str(path)) as c:
            for fr in c.decode(video=0):
                img = fr.to_ndarray(format="rgb24")
                s = min(1.0, 320 / img.shape[1])
                frames.append(cv2.resize(img, (int(round(img.shape[1] * s)), int(round(img.shape[0] * s))),
                                         interpolation=cv2.INTER_AREA))
        _CACHE[path.name] = frames
    if first + count > len(frames):
        raise RuntimeError(f"{path.name}: {len(frames)} frames, wanted {first + count}")
    yield from frames[first:first + count]


def edit_signals(seed: int, seconds: float, hard: bool = True) -> tuple[ShotSignals, np.ndarray, E.RealEdit]:
    """Signals of tuning edit ``seed`` drawn from ``SOURCES`` only, and per-frame labels."""
    E.sources_for = lambda s: SOURCES  # type: ignore[assignment]  # the redistributable half only
    E._decode = _cached_decode  # type: ignore[assignment]
    if E.split_of(seed) != "tuning":
        raise SystemExit("the student is trained on tuning seeds (0-99) only")
    edit = E.plan_edit(seed, seconds, RENDER)
    y = labels(edit)
    frames = np.stack(list(E.render_frames(edit)))
    if hard:
        add_hard_negatives(frames, y, np.random.default_rng([77, seed]))
    return signals_of(frames), y, edit


def signals_of(frames: np.ndarray) -> ShotSignals:
    """The fast pass's signals of RENDER-sized frames, reduced to 48x27 as the decode pass does."""
    sink = ShotSink(None)
    for i, img in enumerate(frames):
        sink.frame(i, i / E.FPS, cv2.resize(img, (48, 27), interpolation=cv2.INTER_AREA))
    sink.end(DecodeResult())
    assert sink.signals is not None
    return sink.signals


def counter_clip(rng: np.random.Generator, length: int = 60) -> np.ndarray:
    """A flat field with a counter changing every frame (a test-card counter): no boundary."""
    h, w = RENDER[1], RENDER[0]
    base = np.full((h, w, 3), rng.uniform(0, 255, 3), np.uint8)
    start = int(rng.integers(0, 900))
    out = []
    for k in range(length):
        img = base.copy()
        cv2.putText(img, str(start + k), (w // 4, h // 2 + 8), cv2.FONT_HERSHEY_SIMPLEX,
                    rng.uniform(0.4, 0.8), tuple(int(v) for v in rng.uniform(0, 255, 3)), 1)
        out.append(img)
    return np.stack(out)


# -- hard positives: cuts within one scene, as real footage has them and joins of sources do not --

def cut_reel(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Frames and labels of a reel of 4-7 shots cut from ONE source at other moments and other
    framings (zoom 1-1.9x, another centre), some panning or zooming (slow or fast), the whole reel
    normal, darkened or flattened: cuts between similar content, as a film cuts within a scene
    (the misses of issue 16 were such cuts, in moving and graded shots). A still stretch of the
    source is never used; no cut of the source's own falls inside a shot."""
    name = str(rng.choice(SOURCES))
    frames = _CACHE.get(name)
    if frames is None:
        next(_cached_decode(E.MEDIA / "video" / name, 0, 1))
        frames = _CACHE[name]
    lo, hi = (E.RANGES.get(name) or ((0, len(frames)),))[0]
    hi = min(hi, len(frames))
    own = E._catalogue(E.MEDIA)[1].get(name, [])
    grade = str(rng.choice([E.NORMAL, E.DARK, E.LOW_CONTRAST], p=[0.4, 0.3, 0.3]))
    amount = rng.uniform(0.22, 0.4) if grade == E.DARK else rng.uniform(0.25, 0.4)
    imgs: list[np.ndarray] = []
    y: list[float] = []
    prev: tuple[float, float, float] | None = None
    for k in range(int(rng.integers(4, 8))):
        length = int(rng.integers(8, 51))
        for _ in range(100):
            first = int(rng.integers(lo, hi - length))
            if all(not (first <= c < first + length + 1) for c in own):
                break
        z = float(rng.uniform(1.0, 1.9))
        cx, cy = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7))
        while prev is not None and abs(z - prev[0]) < 0.25 and abs(cx - prev[1]) + abs(cy - prev[2]) < 0.15:
            z, cx, cy = float(rng.uniform(1.0, 1.9)), float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7))
        prev = (z, cx, cy)
        move = rng.random() < 0.5
        speed = float(rng.choice([0.002, 0.006, 0.015])) if move else 0.0
        dx, dy, dz = (rng.uniform(-1, 1, 3) * np.array([speed, speed / 2, speed * 2])) if move else (0.0, 0.0, 0.0)
        for j in range(length):
            img = E._pan(frames[first + j], RENDER, max(1.0, z + dz * j), cx + dx * j, cy + dy * j)
            if grade == E.DARK:
                img = cv2.convertScaleAbs(img, alpha=amount)
            elif grade == E.LOW_CONTRAST:
                img = cv2.convertScaleAbs(img, alpha=amount, beta=(1 - amount) * 120)
            imgs.append(img)
            y.append(0.0)
        if k:
            start = len(imgs) - length
            y[start - 1] = y[start] = 1.0
    return np.stack(imgs), np.asarray(y, np.float32)


# -- hard negatives: what real footage does inside a shot and the generator does not ------------

def _quiet(y: np.ndarray, length: int, rng: np.random.Generator, margin: int = 10) -> int | None:
    """A start frame of ``length`` frames at least ``margin`` away from any transition frame."""
    n = y.size
    busy = np.convolve(y > 0, np.ones(2 * margin + 1), "same") > 0
    ok = [t for t in range(margin, n - length - margin) if not busy[t:t + length].any()]
    return int(rng.choice(ok)) if ok else None


def add_hard_negatives(frames: np.ndarray, y: np.ndarray, rng: np.random.Generator, per_kind: int = 2) -> None:
    """In place, inside shots (labels stay 0): multi-frame flashes that decay (explosions,
    photographers' flashes), a shaking or fast-panning camera, corrupted macroblocks, motion
    blur, a caption fading in over the picture, and a counter or caption changing on the frame."""
    n, h, w = frames.shape[:3]
    for kind in ("flash", "shake", "blocks", "blur", "caption", "counter") * per_kind:
        length = {"flash": int(rng.integers(2, 9)), "shake": int(rng.integers(6, 25)),
                  "blocks": int(rng.integers(1, 7)), "blur": int(rng.integers(2, 12)),
                  "caption": int(rng.integers(6, 22)), "counter": int(rng.integers(10, 40))}[kind]
        t = _quiet(y, length, rng)
        if t is None:
            continue
        seg = frames[t:t + length].astype(np.float32)
        if kind == "flash":
            colour = np.array([255, rng.uniform(180, 255), rng.uniform(120, 255)], np.float32)
            a0, decay = rng.uniform(0.4, 0.95), rng.uniform(0.4, 0.85)
            for k in range(length):
                a = a0 * decay ** k
                seg[k] = seg[k] * (1 - a) + colour * a
        elif kind == "shake":
            x = y0 = 0.0
            amp = rng.uniform(1.5, 6.0)
            for k in range(length):
                x += rng.normal(0, amp)
                y0 += rng.normal(0, amp / 2)
                m = np.array([[1.0, 0, x], [0, 1.0, y0]], np.float32)
                seg[k] = cv2.warpAffine(seg[k], m, (w, h), borderMode=cv2.BORDER_REFLECT)
        elif kind == "blocks":
            b = int(rng.choice([4, 6, 8]))
            share = rng.uniform(0.1, 0.6)
            for k in range(length):
                for by in range(0, h, b):
                    for bx in range(0, w, b):
                        if rng.random() < share:
                            if rng.random() < 0.5:
                                seg[k, by:by + b, bx:bx + b] = rng.uniform(0, 255, 3)
                            else:
                                sy, sx = int(rng.integers(0, max(1, h - b))), int(rng.integers(0, max(1, w - b)))
                                src = frames[t + k, sy:sy + b, sx:sx + b].astype(np.float32)
                                seg[k, by:by + src.shape[0], bx:bx + src.shape[1]] = src[:h - by, :w - bx]
        elif kind == "blur":
            sigma = rng.uniform(1.0, 4.0)
            for k in range(length):
                s = sigma * np.sin(np.pi * (k + 1) / (length + 1))
                seg[k] = cv2.GaussianBlur(seg[k], (0, 0), max(0.3, s))
        elif kind == "caption":
            text = "".join(rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789"), int(rng.integers(4, 12))))
            layer8 = np.zeros((h, w, 3), np.uint8)
            cv2.putText(layer8, text, (int(rng.integers(0, w // 3)), int(rng.integers(h // 2, h - 4))),
                        cv2.FONT_HERSHEY_SIMPLEX, rng.uniform(0.25, 0.5), (255, 255, 255), 1)
            layer = layer8.astype(np.float32)
            alpha = (layer.max(2, keepdims=True) > 0).astype(np.float32)
            for k in range(length):
                a = min(1.0, (k + 1) / max(1, length // 2))
                seg[k] = seg[k] * (1 - a * alpha) + layer * a * alpha
        else:  # counter: digits changing every frame in a box on the picture
            start = int(rng.integers(0, 500))
            scale = rng.uniform(0.3, 0.6)
            for k in range(length):
                img = np.clip(seg[k], 0, 255).astype(np.uint8)
                cv2.putText(img, str(start + k), (w // 3, h // 2 + 6), cv2.FONT_HERSHEY_SIMPLEX, scale,
                            (255, 255, 255), 1)
                seg[k] = img
        frames[t:t + length] = np.clip(seg, 0, 255).astype(np.uint8)


def labels(edit: E.RealEdit) -> np.ndarray:
    y = np.zeros(edit.frame_count, np.float32)
    for t in edit.transitions:
        if t.kind == CUT:
            y[max(0, t.start - 1):t.start + 1] = 1.0
        else:
            y[t.start:t.end] = 1.0
    return y


def dataset(seeds: list[int], seconds: float, reels: bool = False) -> tuple[list[ShotSignals], np.ndarray, np.ndarray]:
    sigs, xs, ys = [], [], []
    for s in seeds:
        sig, y, _ = edit_signals(s, seconds)
        sigs.append(sig)
        xs.append(inputs(sig))
        ys.append(y)
        if s % 3 == 0:
            c = signals_of(counter_clip(np.random.default_rng([78, s])))
            sigs.append(c)
            xs.append(inputs(c))
            ys.append(np.zeros(c.n, np.float32))
        if reels:
            frames, yr = cut_reel(np.random.default_rng([79, s]))
            r = signals_of(frames)
            sigs.append(r)
            xs.append(inputs(r))
            ys.append(yr)
    return sigs, np.concatenate(xs), np.concatenate(ys)


def train(x: np.ndarray, y: np.ndarray, hidden: tuple[int, int] = (64, 32), epochs: int = 30,
          seed: int = 0, weight_decay: float = 1e-5, dropout: float = 0.0) -> StudentWeights:
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    mean = x.mean(0)
    std = x.std(0) + 1e-3
    xt = torch.from_numpy((x - mean) / std)
    yt = torch.from_numpy(y)
    net = torch.nn.Sequential(torch.nn.Dropout(dropout), torch.nn.Linear(N_INPUTS, hidden[0]), torch.nn.ReLU(),
                              torch.nn.Dropout(dropout), torch.nn.Linear(hidden[0], hidden[1]), torch.nn.ReLU(),
                              torch.nn.Linear(hidden[1], 1))
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    pos = float(y.mean())
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(min(4.0, (1 - pos) / max(pos, 1e-6))))
    gen = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        perm = torch.randperm(xt.shape[0], generator=gen)
        total = 0.0
        for b in range(0, xt.shape[0], 512):
            idx = perm[b:b + 512]
            opt.zero_grad()
            loss = loss_fn(net(xt[idx])[:, 0], yt[idx])
            loss.backward()
            opt.step()
            total += float(loss.detach()) * idx.numel()
        sched.step()
        if ep % 5 == 4 or ep == epochs - 1:
            print(f"  epoch {ep + 1}: loss {total / xt.shape[0]:.4f}", flush=True)
    net.eval()
    layers = [m for m in net if isinstance(m, torch.nn.Linear)]
    arr = [a.detach().numpy().astype(np.float32) for m in layers for a in (m.weight.T, m.bias)]
    return StudentWeights(mean.astype(np.float32), std.astype(np.float32), *arr)


def frame_scores(p: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    pred = p >= 0.5
    tp = int((pred & (y > 0)).sum())
    return {"precision": tp / max(1, int(pred.sum())), "recall": tp / max(1, int((y > 0).sum())),
            "frames": int(y.size), "positives": int((y > 0).sum())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="20-99", help="tuning seeds to train on (a-b)")
    ap.add_argument("--val", default="10-19", help="tuning seeds to report frame figures on (a-b)")
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--reels", action="store_true",
                    help="add same-scene cut reels (hard positives, cut_reel); used for the shipped weights (v6)")
    ap.add_argument("--weight-decay", type=float, default=1e-5)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--data-cache", type=Path,
                    help="keep the built training inputs here (.npz) and reuse them when the options match")
    args = ap.parse_args(argv)

    def rng(text: str) -> list[int]:
        a, _, b = text.partition("-")
        return list(range(int(a), int(b or a) + 1))

    t = time.perf_counter()
    tag = f"{args.seeds}|{args.seconds}|{args.reels}|{N_INPUTS}"
    cached = args.data_cache is not None and args.data_cache.exists()
    if cached:
        with np.load(args.data_cache, allow_pickle=False) as z:
            cached = str(z["tag"]) == tag
            if cached:
                x, y = z["x"], z["y"]
    if not cached:
        _, x, y = dataset(rng(args.seeds), args.seconds, args.reels)
        if args.data_cache is not None:
            np.savez(args.data_cache, x=x, y=y, tag=np.asarray(tag))
    print(f"train: {x.shape[0]} frames, {int(y.sum())} positive, built in {time.perf_counter() - t:.0f} s",
          flush=True)
    val_sigs, _, yv = dataset(rng(args.val), args.seconds, args.reels)
    w = train(x, y, epochs=args.epochs, weight_decay=args.weight_decay, dropout=args.dropout)
    from core.shots.student import StudentScorer

    scorer = StudentScorer(w)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    w.save(args.out)
    # frame-level figures on the validation edits (through the same numpy forward that ships)
    p = np.concatenate([scorer(sig) for sig in val_sigs])
    print(f"validation frames (seeds {args.val}): {frame_scores(p, yv)}")
    print(f"wrote {args.out} (student version {STUDENT_VERSION}, {args.out.stat().st_size} bytes) "
          f"in {time.perf_counter() - t:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
