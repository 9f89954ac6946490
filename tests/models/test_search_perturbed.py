"""Image search on another copy of the footage (issue 16): the middle frame of each shot, taken
from a clean copy, cropped 5 % at each side, brighter, more contrasted, scaled and saved as JPEG
q60, finds its own shot in a project whose copy carries a burned-in scoreboard. (Generated
footage: stills of shapes under a slow pan; the held-out figure on real footage is
``bench/search.py --heldout``.)"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from core.pipeline import analyze
from core.store import Project
from core.testing.edits_overlay import SCALES, board_plan, burn_board, perturb_query
from models.search.index import ProjectSearch
from models.search.stage import SearchStage


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "userdata"
    monkeypatch.setenv("CLIPDESK_DATA_DIR", str(d))
    return d


def _scene(seed: int) -> np.ndarray:
    """A still with structure (shapes of random colours on a graded ground), 800x450."""
    rng = np.random.default_rng(seed)
    img = np.zeros((450, 800, 3), np.uint8)
    img[:] = np.linspace(40, 160, 800, dtype=np.uint8)[None, :, None] // (1 + seed % 3)
    for _ in range(70):
        c = tuple(int(v) for v in rng.integers(0, 255, 3))
        x, y = int(rng.integers(0, 800)), int(rng.integers(0, 450))
        if rng.random() < 0.5:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(10, 90)), y + int(rng.integers(10, 90))), c, -1)
        else:
            cv2.circle(img, (x, y), int(rng.integers(5, 45)), c, -1)
    return img


def _clip(path: Path, scenes: list[int], frames: int, size: tuple[int, int]) -> list[tuple[int, int]]:
    """Shots panning slowly over the scenes, cut together; their frame ranges."""
    w, h = size
    shots = []
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        n = 0
        for s in scenes:
            img = _scene(s)
            shots.append((n, n + frames))
            for k in range(frames):
                x = 20 + 2 * k
                view = cv2.resize(img[20:20 + 380, x:x + 680], size, interpolation=cv2.INTER_AREA)
                vf = av.VideoFrame.from_ndarray(view, format="rgb24").reformat(format="yuv420p")
                vf.pts = n
                n += 1
                for pkt in vs.encode(vf):
                    out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
    return shots


def test_perturbed_query_from_a_clean_copy_finds_its_shot(tmp_path: Path):
    size = (480, 270)
    clean = tmp_path / "clean.mp4"
    # scene 4 comes back (another moment of the same pan): either shot showing it is right
    scenes = [1, 2, 3, 4, 5, 4, 6]
    shots = _clip(clean, scenes, 40, size)
    broadcast = tmp_path / "broadcast.mp4"
    burn_board(clean, broadcast, board_plan(size, "FRA", "USA", scores=((0, 1, 0), (120, 2, 0)), text_h=13))
    with Project(tmp_path / "p.clipdesk") as p:
        analyze(p, broadcast, [SearchStage()])
        ps = ProjectSearch(p)
        with av.open(str(clean)) as c:
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        right = []
        for k, (a, b) in enumerate(shots):
            q = perturb_query(frames[(a + b) // 2], SCALES[k % len(SCALES)])
            img = cv2.cvtColor(cv2.imdecode(np.frombuffer(q, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            hits = ps.search(img, top=1)
            same = [j for j, s in enumerate(scenes) if s == scenes[k]]
            right.append(bool(hits) and any(shots[j][0] <= hits[0].frame < shots[j][1] for j in same))
    assert all(right), right


def test_perturbation_is_what_the_issue_names():
    img = np.full((200, 400, 3), 100, np.uint8)
    q = cv2.imdecode(np.frombuffer(perturb_query(img, 0.5), np.uint8), cv2.IMREAD_COLOR)
    assert q.shape[:2] == (90, 180)  # 5 % off each side, then half size
    assert abs(float(q.mean()) - ((100 - 128) * 1.1 + 136)) < 2  # contrast x1.1, brightness +8


def test_a_picture_far_from_the_last_kept_one_is_kept_and_centres_are_embedded():
    """A short shot between two gradual transitions shows no cut between samples, and may sit
    between two once-a-second frames: the picture's drift from the last kept frame keeps it.
    Every kept frame also gets a vector of its centre (a query cropped from another copy)."""
    from models.search import stage as st

    class Stub:
        def embed(self, frames):
            return np.asarray([[float(f.shape[1]), float(f.shape[0])] + [0.0] * 254 for f in frames], np.float32)

    sink = st.EmbeddingSink(1.0, "cpu")
    sink._embedder = Stub()
    grey = [np.full((270, 480, 3), v, np.uint8) for v in (100, 115, 130, 131)]
    for i, (t, img) in enumerate(zip((0.0, 0.5, 1.0, 1.5), grey, strict=True)):
        sink.frame(i * 12, t, img)  # steps of 15 grey levels: never a cut (> 20)
    sink._flush()
    # 0.5 s: 15 levels from the kept frame (kept); 1.0 s: a second on (kept); 1.5 s: 1 level off
    assert sink.frames == [0, 12, 24]
    deep, centre = np.concatenate(sink.deep), np.concatenate(sink.deep_crop)
    assert deep[:, :2].tolist() == [[480, 270]] * 3
    assert centre[:, :2].tolist() == [[432, 242]] * 3  # 5 % off each side (24 and 14 px)


def test_a_short_graded_shot_that_drifts_a_little_gets_a_frame_of_its_own():
    """Search v4 (tuning misses): a short dark or low-contrast shot after a dissolve differs from
    the last kept frame by less than the old drift (12 grey levels) and, between two
    once-a-second frames, got no frame of its own; a query of it then found another moment of
    the same footage elsewhere in the edit. A drift of 6 keeps it."""
    from models.search import stage as st

    class Stub:
        def embed(self, frames):
            return np.zeros((len(frames), 256), np.float32)

    sink = st.EmbeddingSink(1.0, "cpu")
    sink._embedder = Stub()
    for i, (t, v) in enumerate(zip((0.0, 0.5, 0.75, 1.0), (100, 108, 111, 110), strict=True)):
        sink.frame(i * 12, t, np.full((270, 480, 3), v, np.uint8))
    # 0.5 s: 8 levels off the kept frame (kept now; not with the old 12); 0.75 s: 3 levels off
    # (not kept); 1.0 s: 2 levels off and half a second since the last kept frame (not kept)
    assert sink.frames == [0, 12]
    assert st.DRIFT <= 8 < 12
