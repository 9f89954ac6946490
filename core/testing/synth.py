"""Synthetic test videos with known ground truth (shots, transitions, flashes, audio).

``make_edit`` writes a small H.264/yuv420p MP4 (optionally with an AAC track) whose shots are
visually distinct and *moving* (panning textured gratings, a travelling disc, sensor noise), joined
by cuts, dissolves, fades (to/from black) and wipes of given lengths, with optional white flash
frames inside shots (a false-cut trap). It returns an :class:`EditTruth` describing exactly where
everything is, so tests can score detectors without hand annotations.

Frame layout: shot ``i`` shows ``ShotSpec.length`` frames of its own; a transition of length
``L`` between shots ``i`` and ``i+1`` adds ``L`` frames in which both (or black) are mixed. A cut
adds no frames; its truth span is zero-length ``[f, f)`` where ``f`` is the first frame of the new
shot. Gradual transitions span ``[start, start + L)`` (every frame that is not pure content).

Pure functions of their arguments (seeded); safe to call from any thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Sequence

import av
import cv2
import numpy as np

from core.timebase import Rate

CUT = "cut"
DISSOLVE = "dissolve"
FADE = "fade"  # shot A fades to black, shot B fades in from black
FADE_OUT = "fade_out"  # A fades to black, then a hard cut to B
FADE_IN = "fade_in"  # a hard cut from A to black, then B fades in
WIPE = "wipe"
WIPE_DOWN = "wipe_down"  # B revealed top to bottom
KINDS = (CUT, DISSOLVE, FADE, FADE_OUT, FADE_IN, WIPE, WIPE_DOWN)

# Track label a detector should give each synthetic kind (see core.segments TRANSITION track).
TRACK_LABEL = {CUT: "cut", DISSOLVE: "dissolve", FADE: "fade", FADE_OUT: "fade", FADE_IN: "fade",
               WIPE: "wipe", WIPE_DOWN: "wipe"}


@dataclass(frozen=True)
class ShotSpec:
    """One shot: ``length`` frames of its own content; ``flashes`` are offsets of white frames."""

    length: int = 40
    flashes: tuple[int, ...] = ()
    speed: float = 2.0  # pan speed in pixels per frame at 320 px width
    look: int | None = None  # shots with the same look show the same scene (default: own look)
    gain: float = 1.0  # grade: pixel * gain + offset (0.3, 0: a dark shot; 0.3, 85: low contrast)
    offset: float = 0.0


@dataclass(frozen=True)
class TransitionSpec:
    kind: str = CUT
    length: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown transition kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.kind != CUT and self.length < 2:
            raise ValueError(f"a {self.kind} needs at least 2 frames")


@dataclass(frozen=True)
class TransitionTruth:
    kind: str
    start: int
    end: int  # exclusive; == start for a cut

    @property
    def label(self) -> str:
        return TRACK_LABEL[self.kind]

    @property
    def boundary(self) -> int:
        """The frame where the new shot 'begins' (the cut frame, or the middle of a gradual one)."""
        return self.start if self.kind == CUT else (self.start + self.end) // 2


@dataclass
class EditTruth:
    path: Path
    rate: Rate
    frame_count: int
    size: tuple[int, int]
    transitions: list[TransitionTruth] = field(default_factory=list)
    flashes: list[int] = field(default_factory=list)
    shots: list[tuple[int, int]] = field(default_factory=list)  # pure content ranges [start, end)
    audio_rate: int | None = None

    @property
    def cuts(self) -> list[int]:
        """First frame of the new shot for each hard cut."""
        return [t.start for t in self.transitions if t.kind == CUT]

    @property
    def gradual(self) -> list[TransitionTruth]:
        return [t for t in self.transitions if t.kind != CUT]

    @property
    def duration(self) -> float:
        return self.rate.seconds(self.frame_count)


def _as_rate(fps: Rate | Fraction | int | float) -> Rate:
    if isinstance(fps, Rate):
        return fps
    return Rate.from_fraction(Fraction(fps) if not isinstance(fps, float) else fps)


def _as_transition(t: TransitionSpec | tuple[str, int] | str) -> TransitionSpec:
    if isinstance(t, TransitionSpec):
        return t
    if isinstance(t, str):
        return TransitionSpec(t, 0 if t == CUT else 12)
    return TransitionSpec(t[0], int(t[1]))


class _ShotRenderer:
    """Draws frame ``t`` (any integer) of one shot: a periodic texture panned, plus a moving disc."""

    def __init__(self, index: int, size: tuple[int, int], rng: np.random.Generator, speed: float) -> None:
        w, h = size
        self.w, self.h = w, h
        hue0 = (rng.random() + index * 0.618034) % 1.0
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        img = np.zeros((h, w, 3), np.float32)
        for k in range(3):
            hue = (hue0 + k * rng.uniform(0.08, 0.25)) % 1.0
            color = _hsv_to_rgb(hue, rng.uniform(0.5, 1.0), rng.uniform(0.55, 1.0))
            fx, fy = int(rng.integers(1, 6)), int(rng.integers(0, 5))
            phase = rng.uniform(0, 2 * math.pi)
            wave = 0.5 + 0.5 * np.sin(2 * math.pi * (fx * xx / w + fy * yy / h) + phase)
            img += wave[..., None] * color[None, None, :] * (0.55 if k == 0 else 0.3)
        level = rng.uniform(0.55, 1.1)
        tile = np.clip(img * level * 255.0 / max(1e-3, float(img.max())), 0, 255).astype(np.uint8)
        self.big = np.tile(tile, (2, 2, 1))
        scale = w / 320.0
        ang = rng.uniform(0, 2 * math.pi)
        self.vx, self.vy = speed * scale * math.cos(ang), speed * scale * math.sin(ang)
        self.ox, self.oy = rng.uniform(0, w), rng.uniform(0, h)
        self.disc_color = tuple(int(c) for c in (255 - tile[h // 2, w // 2]))
        self.r = max(3, int(h * rng.uniform(0.1, 0.2)))
        self.dx, self.dy = rng.uniform(-3, 3) * scale, rng.uniform(-2, 2) * scale
        self.px, self.py = rng.uniform(self.r, w - self.r), rng.uniform(self.r, h - self.r)
        # A small bank of sensor-noise frames (positive and negative parts), cycled per frame.
        self.noise = [(rng.integers(0, 5, (h, w, 3), dtype=np.uint8),
                       rng.integers(0, 5, (h, w, 3), dtype=np.uint8)) for _ in range(3)]

    def frame(self, t: int) -> np.ndarray:
        ox = int(round(self.ox + self.vx * t)) % self.w
        oy = int(round(self.oy + self.vy * t)) % self.h
        img = self.big[oy:oy + self.h, ox:ox + self.w].copy()
        x = _bounce(self.px + self.dx * t, self.r, self.w - self.r)
        y = _bounce(self.py + self.dy * t, self.r, self.h - self.r)
        cv2.circle(img, (int(x), int(y)), self.r, self.disc_color, -1, lineType=cv2.LINE_AA)
        up, down = self.noise[t % len(self.noise)]
        return cv2.subtract(cv2.add(img, up), down)


class _Graded:
    """A shot renderer whose frames are graded ``pixel * gain + offset`` (darkened, flattened)."""

    def __init__(self, inner: _ShotRenderer, gain: float, offset: float) -> None:
        self.inner, self.gain, self.offset = inner, gain, offset

    def frame(self, t: int) -> np.ndarray:
        return cv2.convertScaleAbs(self.inner.frame(t), alpha=self.gain, beta=self.offset)


def _bounce(v: float, lo: float, hi: float) -> float:
    span = max(1e-6, hi - lo)
    p = (v - lo) % (2 * span)
    return lo + (p if p <= span else 2 * span - p)


def _hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    px = np.array([[[h * 179, s * 255, v * 255]]], np.uint8)
    return cv2.cvtColor(px, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0


def _mix(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    return cv2.addWeighted(a, 1.0 - alpha, b, alpha, 0.0)


def _gain(a: np.ndarray, g: float) -> np.ndarray:
    return cv2.convertScaleAbs(a, alpha=max(0.0, g))


def _frames(shots: Sequence[ShotSpec], trans: Sequence[TransitionSpec], size: tuple[int, int],
            seed: int, truth: EditTruth) -> Iterator[np.ndarray]:
    looks = [s.look if s.look is not None else 1000 + i for i, s in enumerate(shots)]
    renderers = [_ShotRenderer(lk, size, np.random.default_rng([seed, lk]), s.speed)
                 for lk, s in zip(looks, shots)]
    w, h = size
    black = np.zeros((h, w, 3), np.uint8)
    pos = 0
    local_start = [0] * len(shots)  # local time of each shot's first pure frame
    graded: list[_ShotRenderer | _Graded] = [_Graded(r, s.gain, s.offset) if (s.gain, s.offset) != (1.0, 0.0)
                                             else r for r, s in zip(renderers, shots)]
    for i, spec in enumerate(shots):
        r = graded[i]
        t0 = local_start[i]
        truth.shots.append((pos, pos + spec.length))
        flashes = set(spec.flashes)
        for k in range(spec.length):
            img = r.frame(t0 + k)
            if k in flashes:
                img = cv2.addWeighted(img, 0.15, np.full_like(img, 255), 0.85, 0.0)
                truth.flashes.append(pos + k)
            yield img
        pos += spec.length
        if i == len(shots) - 1:
            break
        tr = trans[i]
        nxt = graded[i + 1]
        n = tr.length
        ta = t0 + spec.length  # A's local time continues through the transition
        truth.transitions.append(TransitionTruth(tr.kind, pos, pos + n))
        for k in range(n):
            a, b = r.frame(ta + k), nxt.frame(k)
            if tr.kind == DISSOLVE:
                yield _mix(a, b, (k + 1) / (n + 1))
            elif tr.kind == FADE:
                half = n // 2
                yield _gain(a, 1 - (k + 1) / half) if k < half else _gain(b, (k - half) / (n - half))
            elif tr.kind == FADE_OUT:
                yield _gain(a, 1 - (k + 1) / n)
            elif tr.kind == FADE_IN:
                yield _gain(b, k / n) if k else black.copy()
            elif tr.kind == WIPE_DOWN:
                y = int(round(h * (k + 1) / (n + 1)))
                img = a.copy()
                img[:y] = b[:y]
                yield img
            else:  # WIPE: B revealed left to right
                x = int(round(w * (k + 1) / (n + 1)))
                img = a.copy()
                img[:, :x] = b[:, :x]
                yield img
        pos += n
        local_start[i + 1] = n
    truth.frame_count = pos


def make_edit(path: str | Path, shots: Sequence[ShotSpec] | None = None, *,
              size: tuple[int, int] = (320, 180), fps: Rate | Fraction | int | float = Rate(25, 1),
              transitions: Sequence[TransitionSpec | tuple[str, int] | str] | None = None,
              audio: np.ndarray | None = None, audio_rate: int = 16000, gop: int | None = None,
              seed: int = 0, crf: int = 20) -> EditTruth:
    """Write an edit of ``shots`` joined by ``transitions`` (default: cuts) to ``path`` (mp4).

    ``transitions`` has one entry per gap between shots: a :class:`TransitionSpec`, a
    ``(kind, length)`` tuple or a kind name (gradual kinds then last 12 frames). ``audio`` is a
    float array in [-1, 1], mono ``(n,)`` or ``(n, channels)``, written as AAC at ``audio_rate``.
    ``gop`` sets the keyframe interval (default: the encoder's).
    """
    shots = list(shots) if shots is not None else [ShotSpec(40) for _ in range(5)]
    if not shots:
        raise ValueError("an edit needs at least one shot")
    trans = [_as_transition(t) for t in (transitions if transitions is not None
                                          else [CUT] * (len(shots) - 1))]
    if len(trans) != len(shots) - 1:
        raise ValueError(f"{len(shots)} shots need {len(shots) - 1} transitions, got {len(trans)}")
    w, h = int(size[0]) & ~1, int(size[1]) & ~1
    rate = _as_rate(fps)
    path = Path(path)
    truth = EditTruth(path=path, rate=rate, frame_count=0, size=(w, h),
                      audio_rate=audio_rate if audio is not None else None)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=rate.fraction)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        opts = {"preset": "ultrafast", "crf": str(crf)}
        if gop is not None:
            vs.codec_context.gop_size = int(gop)
            opts["keyint"] = str(int(gop))
            opts["min-keyint"] = str(int(gop))
            opts["scenecut"] = "0"
        vs.options = opts  # type: ignore[assignment]
        ast = None
        if audio is not None:
            ast = out.add_stream("aac", rate=int(audio_rate))
            ch = 1 if audio.ndim == 1 else int(audio.shape[1])
            ast.layout = "mono" if ch == 1 else "stereo"
        for i, img in enumerate(_frames(shots, trans, (w, h), seed, truth)):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            vf = vf.reformat(format="yuv420p")
            vf.pts = i
            for pkt in vs.encode(vf):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if ast is not None and audio is not None:
            write_audio(out, ast, audio, int(audio_rate))
    return truth


def write_audio(out: av.container.OutputContainer, ast: av.audio.stream.AudioStream,
                audio: np.ndarray, rate: int, layout: str | None = None) -> None:
    """Encode ``audio`` (float in [-1, 1]: mono ``(n,)`` or ``(n, channels)``) into ``ast`` and
    flush it. ``layout`` defaults to mono/stereo by channel count. Frames are packed ``flt``:
    PyAV 18 miscounts the planes of planar frames with 8 channels (7.1)."""
    a = np.clip(np.asarray(audio, np.float32), -1.0, 1.0)
    inter = a.reshape(-1, 1) if a.ndim == 1 else a
    layout = layout or ("mono" if inter.shape[1] == 1 else "stereo")
    chunk = 1024
    for s in range(0, inter.shape[0], chunk):
        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(inter[s:s + chunk]).reshape(1, -1),
                                        format="flt", layout=layout)
        af.sample_rate = rate
        af.pts = s
        for pkt in ast.encode(af):
            out.mux(pkt)
    for pkt in ast.encode():
        out.mux(pkt)


def tone(freq: float, seconds: float, rate: int = 16000, amplitude: float = 0.3) -> np.ndarray:
    """A mono sine tone as float32 samples."""
    t = np.arange(int(round(seconds * rate)), dtype=np.float64) / rate
    return (amplitude * np.sin(2 * math.pi * freq * t)).astype(np.float32)


def make_clip(path: str | Path, frames: int = 50, **kwargs: object) -> EditTruth:
    """A single moving shot of ``frames`` frames (no boundaries): ``make_edit`` keywords apply."""
    return make_edit(path, [ShotSpec(frames)], transitions=[], **kwargs)  # type: ignore[arg-type]


def make_tone_clip(path: str | Path, seconds: float = 2.0, freq: float = 440.0, *,
                   fps: Rate | Fraction | int | float = Rate(25, 1), audio_rate: int = 16000,
                   size: tuple[int, int] = (320, 180), seed: int = 0) -> EditTruth:
    """A single moving shot with a sine tone of the same duration."""
    rate = _as_rate(fps)
    n = max(1, rate.frames_at(seconds))
    return make_edit(path, [ShotSpec(n)], transitions=[], fps=rate, size=size, seed=seed,
                     audio=tone(freq, rate.seconds(n), audio_rate), audio_rate=audio_rate)


__all__ = ["CUT", "DISSOLVE", "FADE", "FADE_IN", "FADE_OUT", "KINDS", "TRACK_LABEL", "WIPE",
           "EditTruth", "ShotSpec", "TransitionSpec", "TransitionTruth", "make_clip", "make_edit",
           "make_tone_clip", "tone"]
