"""A demo project on a generated video, for ``python -m app.timeline.view``, tests and bench/ui.

``build_demo_project(folder, segments=0)`` writes a short synthetic edit (core.testing.synth: known
cuts, a dissolve and a fade, a tone track), registers it and fills shot/transition/speech/
highlight/action tracks with machine suggestions; ``segments`` adds that many extra small
segments spread over several tracks (for the 5,000-segment timeline benchmark). Any thread.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from core import segments as sg
from core.media.reader import probe
from core.segments import Segment
from core.store.project import Project
from core.testing.synth import ShotSpec, make_edit


def build_demo_project(folder: str | Path, segments: int = 0, shots: int = 8,
                       shot_len: int = 50, size: tuple[int, int] = (320, 180),
                       gop: int | None = None) -> Project:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / "demo.mp4"
    n_trans = shots - 1
    kinds: list[tuple[str, int] | str] = ["cut"] * n_trans
    if n_trans >= 3:
        kinds[1] = ("dissolve", 12)
        kinds[2] = ("fade", 12)
    sr = 16000
    approx = shots * shot_len + 24
    t = np.arange(int(approx / 25 * sr)) / sr
    # speech-like bursts: a tone that switches on and off every ~1.3 s
    audio = (0.3 * np.sin(2 * np.pi * 220 * t) * ((t % 1.3) < 0.8)).astype(np.float32)
    truth = make_edit(video, [ShotSpec(shot_len) for _ in range(shots)], size=size,
                      transitions=kinds, audio=audio, audio_rate=sr, gop=gop, seed=3)
    project = Project(folder / "demo.clipdesk")
    info = probe(video)
    v = project.add_video(info)
    n = v.frame_count
    src = sg.model_source("demo", "1")
    bounds = [0] + [tr.boundary for tr in truth.transitions] + [n]
    shots_segs = [Segment(sg.SHOT, a, b, None, 0.9, source=src)
                  for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    trans = [Segment(sg.TRANSITION, tr.start, tr.end, tr.label, 0.8, source=src)
             for tr in truth.transitions if tr.end > tr.start]
    speech: list[Segment] = []
    f = 0.0
    while f < n:
        a, b = int(f), min(n, int(f + 0.8 * 25))
        if b > a:
            speech.append(Segment(sg.SPEECH, a, b, "la la la", 0.7, source=src))
        f += 1.3 * 25
    highlights = [Segment(sg.HIGHLIGHT, n // 3, n // 3 + 40, "goal", 0.91, {"score": 0.91}, source=src)]
    actions = [Segment(sg.ACTION, 20, 60, "pass", 0.6, source=src),
               Segment(sg.ACTION, n // 2, n // 2 + 30, "shot_on_goal", 0.75, source=src)]
    for track, segs in ((sg.SHOT, shots_segs), (sg.TRANSITION, trans), (sg.SPEECH, speech),
                        (sg.HIGHLIGHT, highlights), (sg.ACTION, actions)):
        project.replace_machine_segments(v.id, track, segs, None)
    if segments:
        rng = random.Random(7)
        extra_tracks = ("person", "event", "word", "scoreboard")
        per = segments // len(extra_tracks)
        for track in extra_tracks:
            segs = []
            for _ in range(per):
                a = rng.randrange(0, max(1, n - 10))
                b = min(n, a + rng.randrange(2, 40))
                segs.append(Segment(track, a, b, f"{track[:3]}{rng.randrange(9)}", rng.random(),
                                    source=src))
            project.replace_machine_segments(v.id, track, segs, None)
    return project


def demo_template(folder: str | Path, **kwargs: object) -> Path:
    """Build the demo once and return its project path (closed, so it can be copied)."""
    p = build_demo_project(folder, **kwargs)  # type: ignore[arg-type]
    path = p.path
    p.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    p.close()
    return path


def copy_project(template: Path, folder: str | Path) -> Path:
    """A fresh copy of a closed project file (the video stays where it is)."""
    import shutil

    dst = Path(folder) / template.name
    shutil.copyfile(template, dst)
    return dst
