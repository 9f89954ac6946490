"""One long video as time ranges analysed in parallel, merged back (measured: ``bench/archive``).

A range is cut from the source by copying packets (no re-encode) from the keyframe at or before
its start to the first keyframe at or after its end, so every frame of a range decodes to the
same pixels as in the whole file. Neighbouring ranges overlap by ``overlap_s`` on each side of a
seam; each range *owns* the frames up to the middle of its overlaps, and only what a range finds
in the frames it owns is kept. A stage whose decisions look at a bounded window of frames (shot
boundaries: the classical features and the TransNetV2 window) then decides every owned frame
with the same context as a single pass, so the merge equals the single pass.

Which stages can be split this way (docs/scale.md): shots (measured), and in principle the
per-window stages (audio lanes, scoreboard readings, person detections); scenes, actions, events
and highlights look at the whole video and run after the merge.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True)
class Range:
    index: int
    first: int  # first frame of the range file (global decoded index: a keyframe)
    end: int  # one past its last frame
    own_first: int  # the frames this range owns: [own_first, own_end)
    own_end: int
    path: Path | None = None


def frame_table(path: str | Path) -> tuple[list[int], list[int], float]:
    """``(pts of every video frame in presentation order, indices of keyframes, time base)``
    by demuxing only (no decode)."""
    pts: list[int] = []
    keys: list[int] = []
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        for pkt in c.demux(vs):
            if pkt.pts is None or pkt.size == 0:
                continue
            pts.append(int(pkt.pts))
            if pkt.is_keyframe:
                keys.append(int(pkt.pts))
        tb = float(vs.time_base)
    pts.sort()
    key_idx = sorted(bisect.bisect_left(pts, k) for k in keys)
    return pts, key_idx, tb


def plan_ranges(n_frames: int, keyframes: list[int], parts: int, overlap: int) -> list[Range]:
    """``parts`` ranges of about equal length, seams moved to keyframes, ``overlap`` frames on
    each side of every seam."""
    if parts <= 1 or n_frames < 4 * overlap * parts:
        return [Range(0, 0, n_frames, 0, n_frames)]
    seams = []
    for i in range(1, parts):
        want = round(n_frames * i / parts)
        seams.append(want)
    out = []
    bounds = [0, *seams, n_frames]
    for i in range(parts):
        own_a, own_b = bounds[i], bounds[i + 1]
        a = max(0, own_a - overlap)
        a = keyframes[max(0, bisect.bisect_right(keyframes, a) - 1)]  # start on a keyframe
        b = min(n_frames, own_b + overlap)
        j = bisect.bisect_left(keyframes, b)
        b = keyframes[j] if j < len(keyframes) else n_frames  # stop before a keyframe
        out.append(Range(i, a, b, own_a, own_b))
    return out


def cut_range(src: str | Path, dst: str | Path, pts: list[int], r: Range) -> Path:
    """Copy the packets of frames ``[r.first, r.end)`` (video only) into ``dst``."""
    lo = pts[r.first]
    hi = pts[r.end] if r.end < len(pts) else None
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vs = inp.streams.video[0]
        os_ = out.add_stream_from_template(vs)
        inp.seek(lo, stream=vs, backward=True, any_frame=False)
        started = False
        for pkt in inp.demux(vs):
            if pkt.dts is None or pkt.pts is None:
                continue
            if not started:
                if not (pkt.is_keyframe and pkt.pts >= lo):
                    continue  # the GOP before the one the range starts with
                started = True
            elif pkt.is_keyframe and hi is not None and pkt.pts >= hi:
                break
            if pkt.pts < lo:
                continue  # a leading frame of an open GOP: it needs the GOP before
            pkt.stream = os_
            out.mux(pkt)
    return Path(dst)


def merge_boundaries(ranges: list[Range], found: list[list[int]]) -> list[int]:
    """Global frames where a new shot starts: from each range only those in the frames it owns
    (``found[i]``: starts found in range ``i``, global indices; the range's own first frame
    is not a boundary)."""
    out: set[int] = set()
    for r, starts in zip(ranges, found):
        out.update(f for f in starts if r.own_first <= f < r.own_end and f > r.first)
    return sorted(out)


__all__ = ["Range", "cut_range", "frame_table", "merge_boundaries", "plan_ranges"]
