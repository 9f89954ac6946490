"""The persons sink's sample times (models.persons.stage): ``fps`` samples a second, ``dense_fps``
while people move fast, and back to ``fps`` after it without a hole. The pose model is replaced by
a box that jumps (fast motion) and then stands still; no weights needed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

W, H = 320, 180


class _JumpingPerson:
    """A person that crosses the frame for the first ``fast_until`` frames, then stands still."""

    def __init__(self, fast_until: int) -> None:
        self.fast_until, self.frame = fast_until, 0

    def detect(self, rgb: np.ndarray, scale: float = 1.0) -> np.ndarray:
        x = 20 + (40 * (self.frame // 3)) % 240 if self.frame < self.fast_until else 150
        d = np.zeros((1, 56), np.float32)
        d[0, :5] = [x * scale, 60 * scale, (x + 20) * scale, 120 * scale, 0.9]
        d[0, 5:56:3] = (x + 10) * scale
        d[0, 6:56:3] = np.linspace(65, 118, 17) * scale
        d[0, 7:56:3] = 0.9
        return d


def test_after_fast_motion_the_samples_go_on_at_the_plain_rate() -> None:
    from models.persons.stage import PersonsStage, _PoseSink

    stage = PersonsStage(fps=2.0, dense_fps=4.0, field=False, min_plausibility=0.0)
    sink = _PoseSink(stage)
    sink.begin(SimpleNamespace(display_size=(W, H)))
    rate = 12.0  # decoded frames a second reaching the sink (it asks for dense_fps or more)
    det = _JumpingPerson(fast_until=36)  # 3 s of fast motion, then 5 s still
    sink._detector = det  # type: ignore[assignment]
    image = np.zeros((H, W, 3), np.uint8)
    for i in range(96):
        det.frame = i
        sink.frame(i, i / rate, image)
    t = np.array([i for i, _ in sink.dets]) / rate  # type: ignore[attr-defined]
    gaps = np.diff(t)
    assert float(gaps[t[1:] <= 3.0].min()) < 0.4  # denser while the person moves fast
    # never a hole: at most one plain step (0.5 s) between samples, also right after the fast stretch
    assert float(gaps.max()) <= 0.5 + 1 / rate + 1e-6, list(zip(t[1:], gaps))
    assert float(t[-1]) >= 7.0
