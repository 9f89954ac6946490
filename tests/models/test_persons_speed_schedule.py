"""The persons sink's schedule (models.persons.stage): the pose model on every ``pose_every``-th
sample, the samples between carried by optical flow. Generated frames only (a textured "person"
moved by a known shift); the pose model is replaced by the true box, so no weights are needed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from tests.core.test_persons_speed_flow import PH, PW, H, W, _det, _frame, _scene


class _FakeDetector:
    """The pose model replaced by the true box of the generated person (counts its calls)."""

    def __init__(self, truth: dict[int, tuple[int, int]], ghost_on: int = -1) -> None:
        self.truth, self.calls, self.frame, self.ghost_on = truth, 0, 0, ghost_on

    def detect(self, rgb: np.ndarray, scale: float = 1.0) -> np.ndarray:
        self.calls += 1
        x, y = self.truth[self.frame]
        d = _det(x, y, scale)
        d[0, 5:56:3] = d[0, 5]  # a plausible-enough full skeleton: every keypoint seen
        d[0, 6:56:3] = np.linspace(y + 5, y + PH - 2, 17) * scale
        d[0, 7:56:3] = 0.9
        if self.calls == self.ghost_on:  # a one-off false detection elsewhere on the frame
            g = d.copy()
            g[0, [0, 2, 5]] += 300 * scale
            return np.concatenate([d, g])
        return d


def _run_sink(pose_every: int, flow: bool = True,
              ghost_on: int = -1) -> tuple[object, _FakeDetector, dict[int, tuple[int, int]]]:
    from models.persons.stage import PersonsStage, _PoseSink

    stage = PersonsStage(fps=2.0, dense_fps=2.0, field=False, pose_every=pose_every, flow=flow,
                         min_plausibility=0.0)
    sink = _PoseSink(stage)
    sink.begin(SimpleNamespace(display_size=(2 * W, 2 * H)))  # source twice the sink's frames
    bg, person = _scene(1)
    truth = {i: (100 + 3 * i, 150 + i // 2) for i in range(0, 60)}  # 3 px per frame at 12 frames/s
    det = _FakeDetector(truth, ghost_on)
    sink._detector = det  # type: ignore[assignment]
    for i in range(60):
        det.frame = i
        g = _frame(bg, person, *truth[i])
        sink.frame(i, i / 12.0, np.ascontiguousarray(np.repeat(g[:, :, None], 3, axis=2)))
    return sink, det, truth


def test_the_pose_model_runs_on_every_other_sample_and_the_flow_carries_the_rest() -> None:
    sink, det, truth = _run_sink(pose_every=2)
    samples = sink.dets  # type: ignore[attr-defined]
    n = len(samples)
    assert 10 <= n <= 11  # 5 s at 2 samples per second
    # the model on the first two samples (a person is carried once two pose samples saw it), then
    # on every other one; the samples between are carried by the flow
    assert sink.carried_samples == (n - 1) // 2  # type: ignore[attr-defined]
    assert det.calls == n - (n - 1) // 2 == sink.pose_samples  # type: ignore[attr-defined]
    for index, rows in samples:
        assert len(rows) == 1, index
        x, y = truth[index]
        np.testing.assert_allclose(rows[0, :4], np.array([x, y, x + PW, y + PH]) * 2.0, atol=2.0)


def test_without_flow_the_model_runs_on_every_sample() -> None:
    sink, det, _ = _run_sink(pose_every=2, flow=False)
    assert det.calls == len(sink.dets) and sink.carried_samples == 0  # type: ignore[attr-defined]


def test_a_one_off_detection_is_not_carried_and_the_model_runs_again() -> None:
    sink, det, _ = _run_sink(pose_every=2, ghost_on=3)
    rows = [(i, r) for i, r in sink.dets if len(r) > 1]  # type: ignore[attr-defined]
    assert len(rows) == 1  # the ghost only on the sample the model saw it on: not carried
    ghost_sample = rows[0][0]
    after = [i for i, _ in sink.dets if i > ghost_sample]  # type: ignore[attr-defined]
    assert det.calls == sink.pose_samples  # type: ignore[attr-defined]
    # the sample after the ghost is the model's again (not every row was seen twice)
    assert sink.pose_samples == len(sink.dets) - sink.carried_samples  # type: ignore[attr-defined]
    assert after and sink.carried_samples < (len(sink.dets) - 1) // 2  # type: ignore[attr-defined]


class _RecordingDetector:
    """Records the input size each call asks for; finds one person at the middle of its image."""

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int] | None] = []

    def detect(self, rgb: np.ndarray, scale: float = 1.0) -> np.ndarray:
        return self.detect_at(rgb, scale, None)

    def detect_at(self, rgb: np.ndarray, scale: float = 1.0, imgsz: tuple[int, int] | None = None) -> np.ndarray:
        self.sizes.append(imgsz)
        h, w = rgb.shape[:2]
        d = np.zeros((1, 56), np.float32)
        d[0, :4] = np.array([w / 2 - 10, h / 2 - 30, w / 2 + 10, h / 2 + 30]) * scale
        d[0, 4] = 0.9
        return d


def test_between_due_tiles_the_far_tile_is_a_small_crop_around_the_far_player() -> None:
    from models.persons.stage import PersonsStage, _PoseSink

    sink = _PoseSink(PersonsStage(min_plausibility=0.0))
    sink.begin(SimpleNamespace(display_size=(3 * W, 3 * H)))
    det = _RecordingDetector()
    sink._detector = det  # type: ignore[assignment]
    tile = ((100, 40, 540, 140), 1.4)  # the far end, enlarged 1.4 times to fill the model's input
    assert sink._far_crop(tile) is None  # no far player found yet: the whole tile
    far = np.zeros((1, 56), np.float32)
    far[0, :4] = np.array([300, 80, 306, 96]) * 3.0  # a 16 px far player (source pixels: x3)
    sink._far_boxes = far
    crop = sink._far_crop(tile)
    assert crop is not None
    (x0, y0, x1, y1), k = crop
    assert k == 1.4 and 100 <= x0 < 300 and 306 < x1 <= 540 and 40 <= y0 < 80 and 96 < y1 <= 140
    assert (x1 - x0) * (y1 - y0) < 0.25 * 440 * 100  # a small part of the tile
    out = sink._far_tile(np.zeros((H, W, 3), np.uint8), crop, np.zeros((0, 56), np.float32), (3 * W, 3 * H),
                         small=True)
    assert len(out) == 1 and sink.small_tiles == 1
    hh, ww = det.sizes[-1]  # type: ignore[misc]
    assert hh % 32 == 0 and ww % 32 == 0 and hh * ww <= 0.25 * 384 * 640
    cx = (out[0, 0] + out[0, 2]) / 2 / 3.0  # the person found on the crop, back in frame pixels
    assert x0 <= cx <= x1
