"""The scoreboard's OCR engine is built once per process (its three ONNX Runtime sessions cost
~0.5-1 s): every video and every thread reads with the same engine and gets the same text."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from core.pipeline import analyze
from core.store import Project
from core.testing.scoreboard import BoardPhase, make_board_clip
from models.scoreboard import ocr as ocr_mod
from models.scoreboard.ocr import Ocr, shared_ocr
from models.scoreboard.stage import ScoreboardStage


def _line(text: str) -> np.ndarray:
    img = np.full((40, 220, 3), 255, np.uint8)
    cv2.putText(img, text, (6, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2, cv2.LINE_AA)
    return img


def test_one_engine_per_thread_count_built_once(monkeypatch):
    built: list[int] = []
    real_init = Ocr.__init__

    def counting(self: Ocr, threads: int = 1) -> None:
        built.append(threads)
        real_init(self, threads)

    monkeypatch.setattr(ocr_mod, "_SHARED", {})
    monkeypatch.setattr(Ocr, "__init__", counting)
    a = shared_ocr(1)
    assert shared_ocr(1) is a and shared_ocr(threads=1) is a
    assert built == [1]
    ScoreboardStage().warm()  # what an archive worker calls while the driver plans
    assert built == [1]


def test_shared_engine_reads_the_same_from_several_threads():
    ocr = shared_ocr(1)
    crops = [_line("HOM 2 - 1 AWY"), _line("45:12"), _line("DIMITROV 15")]
    want = ocr.recognize(crops)
    assert want == Ocr(threads=1).recognize(crops)  # an engine of its own reads the same
    got: list[list[tuple[str, float]]] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(3):
                got.append(ocr.recognize(crops))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(got) == 9 and all(g == want for g in got)


def test_videos_analysed_one_after_another_share_the_engine_and_match_a_fresh_one(tmp_path: Path, monkeypatch):
    video = tmp_path / "match.mp4"
    make_board_clip(video, [BoardPhase(0, 0, 0), BoardPhase(4, 1, 0), BoardPhase(8, 1, 1)],
                    seconds=12, fps=10, clock_start=10 * 60)

    def boards(name: str) -> list[tuple[int, int, str]]:
        with Project(tmp_path / name) as p:
            rep = analyze(p, video, [ScoreboardStage(read_fps=1.0, min_period_s=3)])
            return [(s.start_frame, s.end_frame, s.label) for s in p.segments(rep.video.id, "scoreboard")]

    first = boards("a.clipdesk")
    engines = {id(shared_ocr(1))}
    second = boards("b.clipdesk")  # the same engine, its sessions already used once
    engines.add(id(shared_ocr(1)))
    assert len(engines) == 1
    assert [b[2] for b in first] == ["0-0", "1-0", "1-1"] and second == first
    monkeypatch.setattr(ocr_mod, "shared_ocr", lambda threads=1: Ocr(threads=threads))
    assert boards("c.clipdesk") == first  # an engine built for the video alone: the same readings
