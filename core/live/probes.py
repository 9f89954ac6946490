"""The actions stage's pose probes taken while a recording is followed, reused at the end.

The starter detector's probes (:mod:`core.actions.probe`) are one more pose of a tracked person
at a chosen frame: the frame decoded again, a crop around the person's interpolated box, the pose
model on the crop. Offline they all run at the end, over the whole recording. :class:`ProbeCache`
runs them on the committed stretch during the follow and keeps each model answer keyed by what it
was computed from: the frame and the crop's rectangle. At the end the stage asks for the final
requests (from the final tracks and motion); every (frame, crop) already answered is taken from
the cache and only the others are decoded and run, so the rows are those of
:func:`core.actions.probe.probe_poses` over the finished file: the same frames, the same crops,
the same detections, each matched to its track's box as there (:func:`rows_for`).

No ML import: the caller passes the model (``detect``, with ``detect.many`` when it takes a batch).
Runs on the follower's thread.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from core.actions.probe import BATCH, _best, _decode_on, crop_box, cut, image_size
from core.persons.poses import COLS, PoseTable

Key = tuple[int, tuple[int, int, int, int]]  # frame, crop rectangle (x1, y1, x2, y2) before cut()


def _todo(table: PoseTable, requests: Mapping[int, Sequence[int]]) -> list[tuple[int, int, np.ndarray]]:
    """(frame, track, interpolated box) per request, in the order probe_poses takes them."""
    todo: list[tuple[int, int, np.ndarray]] = []
    for tid, frames in requests.items():
        r = table.track(int(tid))
        if len(r) < 2:
            continue
        r = r[np.argsort(r[:, 0], kind="stable")]
        for f in frames:
            box = np.array([np.interp(f, r[:, 0], r[:, 3 + i]) for i in range(4)])
            todo.append((int(f), int(tid), box))
    return sorted(todo, key=lambda t: (t[0], t[1]))


class ProbeCache:
    """Model answers per (frame, crop rectangle); ``size``: the frames' (width, height)."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = (int(size[0]), int(size[1]))
        self.answers: dict[Key, tuple[np.ndarray, int, int] | None] = {}  # None: the crop is too small
        self.hits = 0
        self.run = 0  # crops run through the model

    def key(self, f: int, box: np.ndarray) -> Key:
        return int(f), crop_box(box, self.size)

    def fill(self, reader: Any, table: PoseTable, requests: Mapping[int, Sequence[int]], detect: Any,
             check: Callable[[], None] | None = None, keys: np.ndarray | None = None) -> int:
        """Answer every request not answered yet (reads in frame order, decoding on where no
        keyframe lies between, as probe_poses); returns how many crops went to the model."""
        todo = [t for t in _todo(table, requests) if self.key(t[0], t[2]) not in self.answers]
        many = getattr(detect, "many", None)
        size = BATCH if many else 1
        pending: list[tuple[Key, np.ndarray, int, int]] = []
        n = 0

        def run() -> None:
            nonlocal n
            dets = many([c[1] for c in pending]) if many else [detect(c[1]) for c in pending]
            for (k, _, x1, y1), d in zip(pending, dets):
                self.answers[k] = (np.asarray(d), x1, y1)
            n += len(pending)
            pending.clear()

        last, image = -1, None
        for f, _tid, box in todo:
            if check:
                check()
            k = self.key(f, box)
            if k in self.answers or any(p[0] == k for p in pending):
                continue
            if f != last:
                if _decode_on(last, f, keys):
                    for g in range(last + 1, f + 1):
                        image = reader.read(g)
                else:
                    image = reader.read(f)
                last = f
            assert image is not None
            if image_size(image) != self.size:
                raise ValueError(f"probe frames are {image_size(image)}, the cache is for {self.size}")
            x1, y1, x2, y2 = k[1]
            if x2 - x1 < 4 or y2 - y1 < 4:
                self.answers[k] = None
                continue
            crop, cx, cy = cut(image, x1, y1, x2, y2)
            pending.append((k, crop, cx, cy))
            if len(pending) >= size:
                run()
        if pending:
            run()
        self.run += n
        return n

    def missing(self, table: PoseTable, requests: Mapping[int, Sequence[int]]) -> dict[int, list[int]]:
        """The requests whose (frame, crop) has no answer yet."""
        out: dict[int, list[int]] = {}
        for f, tid, box in _todo(table, requests):
            if self.key(f, box) not in self.answers:
                out.setdefault(tid, []).append(f)
        return out

    def rows_for(self, table: PoseTable, requests: Mapping[int, Sequence[int]]) -> np.ndarray:
        """The probe rows of ``requests`` from the answers (all must be there: :meth:`fill`), as
        probe_poses gives them: in (frame, track) order, a request whose crop found nobody left out."""
        out: list[np.ndarray] = []
        for f, tid, box in _todo(table, requests):
            ans = self.answers[self.key(f, box)]
            if ans is None:
                continue
            self.hits += 1
            q = _best(ans[0], box, ans[1], ans[2])
            if q is not None:
                row = np.empty(COLS, np.float32)
                row[0], row[1], row[2] = f, tid, q[4]
                row[3:7] = q[:4]
                row[7:] = q[5:5 + 3 * 17]
                out.append(row)
        return np.stack(out) if out else np.zeros((0, COLS), np.float32)



class ProbeWorker:
    """Fills a :class:`ProbeCache` on its own thread (``nice`` +10, below the analysis) from the
    requests the follower submits at its commits; the end stops it and answers the rest itself.
    ``make_detect``: loads the pose model on first use. The thread never touches the project."""

    def __init__(self, cache: ProbeCache, info: Any, make_detect: Callable[[], Any], nice: int = 10) -> None:
        import queue
        import threading

        self.cache = cache
        self.info = info
        self.make_detect = make_detect
        self.nice = nice
        self.errors: list[str] = []
        self._detect: Any = None
        self._jobs: "queue.Queue[tuple[PoseTable, dict[int, list[int]], Any] | None]" = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, table: PoseTable, requests: Mapping[int, Sequence[int]], clock: Any) -> None:
        import threading

        if self._stop.is_set() or not requests:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="clipdesk-live-probes", daemon=True)
            self._thread.start()
        self._jobs.put((table, {int(k): list(v) for k, v in requests.items()}, clock))

    def _check(self) -> None:
        from core.errors import Cancelled

        if self._stop.is_set():
            raise Cancelled("stopped")

    def _run(self) -> None:
        import logging
        import os
        import queue
        import threading

        from core.actions.probe import keyframes, open_reader
        from core.errors import Cancelled

        if self.nice and hasattr(os, "setpriority"):
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
            except OSError:
                pass
        while not self._stop.is_set():
            try:
                job = self._jobs.get(timeout=0.5)
            except queue.Empty:
                continue
            if job is None:
                return
            while True:  # only the newest table matters: the older requests are in it
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    return
                job = nxt
            table, requests, clock = job
            try:
                with self._lock:
                    miss = self.cache.missing(table, requests)
                    if not miss:
                        continue
                    if self._detect is None:
                        self._detect = self.make_detect()
                    frames = [f for fr in miss.values() for f in fr]
                    keys = keyframes(self.info.path, clock, min(frames), max(frames))
                    with open_reader(self.info, clock) as reader:
                        self.cache.fill(reader, table, miss, self._detect, check=self._check, keys=keys)
            except Cancelled:
                return
            except Exception as e:  # noqa: BLE001 - the end answers what is missing itself
                self.errors.append(f"{type(e).__name__}: {e}"[:200])
                logging.getLogger(__name__).info("live probes: %s", e)

    def stop(self, wait_s: float = 60.0) -> None:
        """No more requests: the answers so far stay, the work in progress is dropped."""
        self._stop.set()
        self._jobs.put(None)
        if self._thread is not None:
            self._thread.join(wait_s)

    @property
    def detect(self) -> Any:
        """The pose model the thread loaded (None if it never ran)."""
        return self._detect


__all__ = ["ProbeCache", "ProbeWorker"]
