"""The playing field of a shot and the small players on it, by colour and lines.

A wide broadcast view (a football tactical camera, a tennis or basketball court from behind) is
mostly one surface colour with white lines. :func:`find_field` finds it: the dominant chromatic
colours of the lower two thirds of the frame (k-means in Lab, one hue family), the pixels of those
colours, their filled convex region, and the white line segments on it (Hough). A view counts as
a field (``FieldView.ok``) when the region is large, has painted lines and is not the sky (a
region that covers the top rows: clouds and sky are big chromatic areas too).

On such a view, :func:`field_blobs` returns the small upright non-field, non-line blobs on the
field (players 10-60 px tall that the pose model misses at its input size), split where players
standing in a line merged into one blob. They carry no keypoints; the persons stage keeps only blob
tracks that persist and move (:func:`core.persons.quality.confirm_tracks`).

:func:`kit_colour` is a box's shirt colour (Lab, non-field pixels of the upper body) for teams
and re-identification. :class:`ShotFieldMasks` accumulates a coarse per-shot field mask that the
stage stores (signal ``field``: one row per shot, ``start, end, 64 × 36 mask``).

Pure OpenCV/NumPy; any thread; deterministic (k-means seeded, one attempt, k-means++ on a fixed
subsample).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FIELD_SIGNAL = "field"
MASK_W, MASK_H = 64, 36
FIELD_COLS = 2 + MASK_W * MASK_H

_K = 6
# a field blob's box grown to the whole person: head above (share of the blob's height), a little
# to the left (median offsets to hand-drawn boxes on the tuning half of the football tactical view)
_HEAD, _LEFT = 0.28, 0.05
_COLOUR_DIST = 22.0  # Lab distance from a field colour that still counts as field


@dataclass
class FieldView:
    """Masks at the analysed image's size (uint8 0/255)."""

    colour: np.ndarray  # pixels of the field colours
    region: np.ndarray  # the field area (filled convex hull of the field colour)
    lines: np.ndarray  # painted white lines on it
    palette: np.ndarray  # (k, 3) Lab field colours
    ok: bool  # a playing field (large, painted lines, not sky)
    lab: np.ndarray | None = None  # the frame in Lab (uint8), for telling paint from players

    @property
    def share(self) -> float:
        return float((self.region > 0).mean())


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)


def field_palette(rgb: np.ndarray) -> np.ndarray | None:
    """Lab centres of the field colours, or ``None`` when no chromatic colour dominates the lower
    two thirds of the frame."""
    h = rgb.shape[0]
    lab = _lab(rgb[h // 3::4, ::4])
    sub = lab.reshape(-1, 3)
    if len(sub) < 4 * _K:
        return None
    cv2.setRNGSeed(12345)
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    _, idx, cent = cv2.kmeans(sub, _K, None, crit, 1, cv2.KMEANS_PP_CENTERS)  # type: ignore[call-overload]
    share = np.bincount(idx.ravel(), minlength=_K) / len(sub)
    chroma = np.hypot(cent[:, 1] - 128, cent[:, 2] - 128)
    keep: list[int] = []
    for i in np.argsort(-share, kind="stable"):
        if share[i] < 0.08:
            break
        if keep and np.hypot(*(cent[i, 1:] - cent[keep[0], 1:])) > 25:  # another hue family
            continue
        if chroma[i] < 12:  # grey, white, black: stands, shadows, lines, not a surface colour ...
            if not keep or chroma[i] < 7 or not _same_hue(cent[i], cent[keep[0]]):
                continue  # ... unless it is the shade of the field colour found first (a court in shadow)
        keep.append(int(i))
    if not keep or float(share[keep].sum()) < 0.3:
        return None
    return np.asarray(cent[keep], np.float32)


def _same_hue(c: np.ndarray, ref: np.ndarray, max_deg: float = 25.0) -> bool:
    """Whether Lab colours ``c`` and ``ref`` have about the same hue angle (a dimmer shade)."""
    a = np.arctan2(float(c[2]) - 128, float(c[1]) - 128)
    b = np.arctan2(float(ref[2]) - 128, float(ref[1]) - 128)
    return abs((np.degrees(a - b) + 180) % 360 - 180) <= max_deg


_LUTS: dict[bytes, np.ndarray] = {}


def _palette_lut(palette: np.ndarray) -> np.ndarray:
    """Field-or-not for every Lab colour quantised to 64 levels a channel (cached per palette)."""
    key = np.asarray(palette, np.float32).tobytes()
    lut = _LUTS.get(key)
    if lut is None:
        q = (np.arange(64, dtype=np.float32) * 4 + 1.5)
        grid = np.stack(np.meshgrid(q, q, q, indexing="ij"), axis=-1).reshape(-1, 3)
        d = np.min(np.stack([np.linalg.norm(grid - c, axis=1) for c in palette]), axis=0)
        lut = ((d < _COLOUR_DIST) * 255).astype(np.uint8)
        if len(_LUTS) > 8:
            _LUTS.clear()
        _LUTS[key] = lut
    return lut


def colour_mask(rgb: np.ndarray, palette: np.ndarray, lab: np.ndarray | None = None) -> np.ndarray:
    """uint8 mask of the pixels within ``_COLOUR_DIST`` (Lab) of a field colour (``lab``: the
    frame in Lab, uint8, when the caller has it)."""
    lab = (cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB) if lab is None else lab) >> 2
    idx = (lab[..., 0].astype(np.int32) << 12) | (lab[..., 1].astype(np.int32) << 6) | lab[..., 2]
    return _palette_lut(palette)[idx]


def _region(colour: np.ndarray) -> np.ndarray:
    h, w = colour.shape
    k = max(3, (min(h, w) // 30) | 1)
    closed = cv2.morphologyEx(colour, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = np.zeros_like(colour)
    for c in contours:
        if cv2.contourArea(c) >= 0.05 * colour.size:
            cv2.drawContours(out, [cv2.convexHull(c)], -1, 255, cv2.FILLED)
    return out


def _ground(colour: np.ndarray, gap: float = 0.04, start: float = 0.4) -> np.ndarray:
    """The field colour that rises from the bottom of the picture: per column, from the lowest
    field pixel (in the bottom ``start`` of the frame) upwards until more than ``gap`` of the
    frame height is not field (a wall, a strip of another colour, the horizon). Small gaps inside
    (players, lines, the ball) belong to it."""
    h, w = colour.shape
    k = max(3, (min(h, w) // 30) | 1)
    f = cv2.morphologyEx(colour, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))) > 0
    limit = max(2, int(gap * h))
    first = int((1 - start) * h)
    started = np.zeros(w, bool)
    dead = np.zeros(w, bool)
    miss = np.zeros(w, np.int32)
    out = np.zeros((h, w), np.uint8)
    for y in range(h - 1, -1, -1):
        row = f[y]
        if y >= first:
            started |= row
        miss = np.where(row, 0, miss + 1)
        dead |= started & (miss > limit)
        out[y] = (started & ~dead) * 255
    # its hull: a court of two colours (green around a red key) is one field
    return _region(out)


_DISC5 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


def _white(rgb: np.ndarray, region: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    return ((hsv[..., 1] < 70) & (hsv[..., 2] > 150) & (region > 0)).astype(np.uint8) * 255


def line_mask(rgb: np.ndarray, region: np.ndarray, white: np.ndarray | None = None) -> np.ndarray:
    """White (bright, unsaturated) pixels on the field that lie on long straight segments
    (``white``: :func:`_white` of the frame, when the caller has it)."""
    white = _white(rgb, region) if white is None else white
    # painted lines are thin: what survives an opening is a white area (sky, snow, a shirt)
    white = cv2.bitwise_and(white, cv2.bitwise_not(cv2.morphologyEx(white, cv2.MORPH_OPEN, _DISC5)))
    h, w = white.shape
    min_len = max(12, int(0.06 * max(h, w)))
    segs = cv2.HoughLinesP(white, 1, np.pi / 180, threshold=max(10, min_len // 2), minLineLength=min_len,
                           maxLineGap=max(2, min_len // 6))
    mask = np.zeros_like(white)
    if segs is not None:
        for x1, y1, x2, y2 in np.asarray(segs).reshape(-1, 4):
            cv2.line(mask, (int(x1), int(y1)), (int(x2), int(y2)), 255, 3)
    return cv2.bitwise_and(mask, white)


def find_field(rgb: np.ndarray, palette: np.ndarray | None = None) -> FieldView | None:
    """The field of one frame (``palette``: reuse the colours found on an earlier frame)."""
    pal = field_palette(rgb) if palette is None else palette
    if pal is None:
        return None
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)  # once: the colour mask and the view's paint test
    colour = colour_mask(rgb, pal, lab)
    region = _region(colour)
    h, w = region.shape
    ground = float((region[: max(1, h // 12)] > 0).mean()) >= 0.6
    if ground:
        # the field colour reaches the top of the picture: sky, or a wall or trees of the same
        # colour behind an outdoor court; the ground is what rises from the bottom without a break
        region = _ground(colour)
    white_px = _white(rgb, region)
    lines = line_mask(rgb, region, white_px)
    top = float((region[: max(1, h // 12)] > 0).mean())
    line_px = int((lines > 0).sum())
    n_region = max(1, int((region > 0).sum()))
    if ground:  # a court below a wall: smaller in the picture, its pale paint is not snow
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
        white = float(((hsv[..., 1] < 40) & (hsv[..., 2] > 180) & (region > 0)).sum()) / n_region
        big = (region > 0).mean() >= 0.25
    else:
        white = float((white_px > 0).sum()) / n_region
        big = (region > 0).mean() >= 0.35
    ok = big and top < 0.6 and line_px >= 0.15 * w and white < 0.1
    view = FieldView(colour, region, lines, pal, bool(ok), lab if ok else None)
    if ok and ground:  # court lines are long; letters of a caption on a rock are not
        view.ok = int(_main_lines(view).sum()) >= 0.15 * w
    return view


def paint_share(view: FieldView, box: tuple[int, int, int, int], fg: np.ndarray) -> float:
    """Share of a blob's pixels (``fg`` inside ``box`` x0 y0 x1 y1, mask pixels) that look like
    the field's paint: the field's hue, lighter and less saturated than the field (its colour
    blended with white: a painted line's soft edge, a piece of the centre circle between two
    players, which Hough's straight segments miss). 0 when the view has no Lab image."""
    if view.lab is None:
        return 0.0
    x0, y0, x1, y1 = box
    sel = fg[y0:y1, x0:x1] > 0
    if not sel.any():
        return 0.0
    px = view.lab[y0:y1, x0:x1][sel].astype(np.float32)
    ref = np.asarray(view.palette, np.float32)[0]
    a, b = px[:, 1] - 128, px[:, 2] - 128
    ra, rb = float(ref[1]) - 128, float(ref[2]) - 128
    hue = np.degrees(np.abs((np.arctan2(b, a) - np.arctan2(rb, ra) + np.pi) % (2 * np.pi) - np.pi))
    paint = (hue <= 25) & (px[:, 0] > float(ref[0]) + 10) & (np.hypot(a, b) < float(np.hypot(ra, rb)))
    return float(paint.mean())


def same_field(view: FieldView | None, last: FieldView | None, min_iou: float = 0.9) -> bool:
    """Whether ``view``, not found to be a playing field on its own, shows the field of ``last``
    (the previous sample's field, found): the same large field region (IoU of the regions at
    least ``min_iou``) with a few painted lines. The painted-line test alone failed on one sample
    of the football tactical view (80 line pixels, 96 needed; 245-270 on the samples around it)
    and its ~20 players vanished for a second; a cut to another picture changes the region."""
    if view is None or view.ok or last is None or not last.ok or view.region.shape != last.region.shape:
        return False
    a, b = view.region > 0, last.region > 0
    union = int((a | b).sum())
    if not union or float((a & b).sum()) / union < min_iou:
        return False
    h, w = view.region.shape
    return float((view.region[: max(1, h // 12)] > 0).mean()) < 0.6 and int((view.lines > 0).sum()) >= 0.05 * w


_Comp = tuple[float, float, float, float, float]  # x, y, width, height, fill of a blob


def _height_model(comps: list[_Comp], lo: float, hi: float
                  ) -> tuple[float, float] | None:
    """Player height in pixels as a line of the foot row (``h = a + b * foot``: perspective) fitted
    to the clean single-player blobs of one frame (upright, dense, in the size range), twice with
    outliers (merged pairs, fragments) dropped. ``None`` with fewer than 6 such blobs."""
    pts = np.asarray([(y + bh, bh) for x, y, bw, bh, fill in comps
                      if lo <= bh <= hi and 1.6 <= bh / max(1, bw) <= 3.5 and fill >= 0.4], np.float64)
    if len(pts) < 6:
        return None
    keep = np.ones(len(pts), bool)
    a, b = float(np.median(pts[:, 1])), 0.0
    for _ in range(3):
        sel = pts[keep]
        if len(sel) < 6:
            break
        if float(np.ptp(sel[:, 0])) > 2 * float(np.median(sel[:, 1])):
            b, a = (float(v) for v in np.polyfit(sel[:, 0], sel[:, 1], 1))
            b = max(0.0, b)  # nearer (lower) players are never smaller
            a = float(np.median(sel[:, 1] - b * sel[:, 0]))
        else:
            a, b = float(np.median(sel[:, 1])), 0.0
        pred = a + b * pts[:, 0]
        keep = np.abs(pts[:, 1] - pred) <= 0.25 * pred
    return a, b


def _split_columns(fg: np.ndarray, comp: _Comp, k: int) -> list[tuple[int, int]]:
    """``k`` column ranges ``(x0, x1)`` of a blob holding players side by side, cut at the
    emptiest columns (the gap between their bodies) near the equal split."""
    x, y, bw, bh = (int(v) for v in comp[:4])
    cols = (fg[y:y + bh, x:x + bw] > 0).sum(axis=0).astype(np.float64)
    cuts = [x]
    for j in range(1, k):
        c = j * bw / k
        lo_, hi_ = int(max(1, c - 0.25 * bw / k)), int(min(bw - 1, c + 0.25 * bw / k))
        best = lo_ + int(np.argmin(cols[lo_:hi_ + 1])) if hi_ >= lo_ else int(c)
        cuts.append(x + best)
    cuts.append(x + bw)
    return [(cuts[j], cuts[j + 1]) for j in range(k) if cuts[j + 1] - cuts[j] >= 2]


def field_blobs(view: FieldView, exclude: np.ndarray | None = None,
                min_h: float = 0.025, max_h: float = 0.25) -> np.ndarray:
    """Upright player-sized blobs on the field: ``(N, 5)`` x1 y1 x2 y2 score in mask pixels.

    ``exclude``: boxes (x1 y1 x2 y2, same pixels) already found by the pose model; blobs whose
    centre lies in one (grown by 10 %) are left out. Heights between ``min_h`` and ``max_h`` of
    the frame height.

    With enough clean single players in view (a tactical camera), a player's height is known per
    image row (:func:`_height_model`): a blob two players wide is split at the gap between them,
    one two players tall (one behind the other) is split in height, and two fragments of one
    player (shirt and shorts against a similar field colour) are joined."""
    if not view.ok:
        return np.zeros((0, 5), np.float32)
    h, w = view.region.shape
    raw = ((view.region > 0) & (view.colour == 0) & (view.lines == 0)).astype(np.uint8) * 255
    fg = cv2.morphologyEx(raw, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    lo, hi = max(6.0, min_h * h), max_h * h
    comps: list[_Comp] = []
    for i in range(1, n):
        x_, y_, bw_, bh_, area_ = (int(v) for v in stats[i])
        if area_ < 6:
            continue
        comps.append((float(x_), float(y_), float(bw_), float(bh_), area_ / max(1, bw_ * bh_)))
    model = _height_model(comps, lo, hi)
    single: list[_Comp] = []
    if model is not None:
        a, b = model

        def expect(foot: float) -> float:
            return max(lo, a + b * foot)

        # fragments of one player: a piece with another piece just below or above it
        used: set[int] = set()
        frags = [i for i, (x, y, bw, bh, fill) in enumerate(comps)
                 if bh < 0.7 * expect(y + bh) and bh >= 0.2 * expect(y + bh)]
        merged: list[_Comp] = []
        for i in frags:
            if i in used:
                continue
            x, y, bw, bh, fill = comps[i]
            for j in frags:
                if j == i or j in used:
                    continue
                x2, y2, bw2, bh2, fill2 = comps[j]
                top, bot = min(y, y2), max(y + bh, y2 + bh2)
                gap = max(y, y2) - min(y + bh, y2 + bh2)
                ov = min(x + bw, x2 + bw2) - max(x, x2)
                if ov >= 0.3 * min(bw, bw2) and gap <= 0.2 * expect(bot) and (bot - top) <= 1.25 * expect(bot):
                    x0, x1 = min(x, x2), max(x + bw, x2 + bw2)
                    area = fill * bw * bh + fill2 * bw2 * bh2
                    merged.append((x0, top, x1 - x0, bot - top, area / max(1, (x1 - x0) * (bot - top))))
                    used.update((i, j))
                    break
        comps = [c for i, c in enumerate(comps) if i not in used] + merged
        for x, y, bw, bh, fill in comps:
            e = expect(y + bh)
            if bh < 0.5 * e or fill < 0.3 or bh > 3.2 * e:
                continue
            kv = int(round(bh / e)) if bh > 1.5 * e else 1  # players one behind the other
            kh = int(round(bw / (0.45 * e))) if bw > 0.8 * e else 1  # players side by side
            if kv > 1 and kh > 1:
                continue  # a bench, a banner: not a stack of players
            if kv > 1:
                step = bh / kv
                single.extend((x, y + j * step, bw, step, fill) for j in range(kv))
            elif kh > 1:
                if kh > 4:
                    continue
                single.extend((float(x0), y, float(x1 - x0), bh, fill)
                              for x0, x1 in _split_columns(fg, (x, y, bw, bh, fill), kh))
            elif bh / max(1, bw) >= 1.1:
                if bw < 0.3 * e:  # a sliver (one leg, a shirt split by a line): a player's width
                    x, bw = x + bw / 2 - 0.15 * e, 0.3 * e
                if bh < 0.8 * e:  # a piece of a player: the expected height, about its centre
                    y, bh = y + bh / 2 - 0.45 * e, 0.9 * e
                single.append((x, y, bw, bh, fill))
    else:
        tall: list[_Comp] = []
        for x, y, bw, bh, fill in comps:
            if bh < lo or fill * bw * bh < 12:
                continue
            ratio = bh / max(1, bw)
            if fill < 0.3 or ratio < 1.1:
                continue
            (tall if ratio > 4.0 or bh > hi else single).append((x, y, bw, bh, fill))
        if len(single) >= 3:  # players standing in a line merge into one tall blob: split it
            med = float(np.median([s[3] for s in single]))
            for x, y, bw, bh, fill in tall:
                k = int(round(bh / med))
                if 2 <= k <= 6 and bw <= 1.2 * med:
                    step = bh / k
                    for j in range(k):
                        single.append((x, float(round(y + j * step)), bw, float(round(step)), fill))
    out = []
    grown = None
    if exclude is not None and len(exclude):
        e_ = np.asarray(exclude, np.float32)[:, :4].copy()
        gw, gh = (e_[:, 2] - e_[:, 0]) * 0.1, (e_[:, 3] - e_[:, 1]) * 0.1
        grown = np.stack([e_[:, 0] - gw, e_[:, 1] - gh, e_[:, 2] + gw, e_[:, 3] + gh], axis=1)
    for x, y, bw, bh, fill in single:
        if not lo <= bh <= hi:
            continue
        cx, cy = x + bw / 2, y + bh / 2
        foot = (int(min(h - 1, y + bh - 1)), int(min(w - 1, cx)))
        if view.region[foot] == 0:
            continue
        inside = float((view.region[int(y):int(y + bh), int(x):int(x + bw)] > 0).mean())
        if inside < 0.8:
            continue
        if paint_share(view, (int(x), int(y), int(np.ceil(x + bw)), int(np.ceil(y + bh))), raw) >= 0.7:
            continue  # a piece of painted line (the players on the tuning frames: at most 0.37)
        if grown is not None and bool(np.any((grown[:, 0] <= cx) & (cx <= grown[:, 2]) &
                                             (grown[:, 1] <= cy) & (cy <= grown[:, 3]))):
            continue
        ratio = bh / max(1, bw)
        shape = 1.0 if 1.5 <= ratio <= 3.5 else 0.8
        # a 10-px player's head (two or three pixels of hair and skin) rarely survives the
        # opening: the blob is the body below it, so the person's box reaches higher
        head = _HEAD * bh
        out.append((x - _LEFT * bh, max(0.0, y - head), x + bw, y + bh,
                    round(0.3 + 0.2 * shape * min(1.0, fill / 0.5), 4)))
    return np.asarray(out, np.float32).reshape(-1, 5)


def kit_colour(rgb: np.ndarray, box: np.ndarray, view: FieldView | None = None) -> np.ndarray:
    """Lab median of a person's upper body (shirt), field-coloured pixels left out; NaN if none."""
    h, w = rgb.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box[:4])
    bw, bh = x2 - x1, y2 - y1
    xa, xb = int(max(0, x1 + 0.25 * bw)), int(min(w, x2 - 0.25 * bw + 1))
    ya, yb = int(max(0, y1 + 0.15 * bh)), int(min(h, y1 + 0.5 * bh + 1))
    if xb <= xa or yb <= ya:
        return np.full(3, np.nan, np.float32)
    patch = _lab(np.ascontiguousarray(rgb[ya:yb, xa:xb])).reshape(-1, 3)
    if view is not None:
        keep = view.colour[ya:yb, xa:xb].reshape(-1) == 0
        if keep.sum() >= 3:
            patch = patch[keep]
    return np.median(patch, axis=0).astype(np.float32)


class ShotFieldMasks:
    """Coarse field masks of the sampled frames, averaged per shot when the shots are known."""

    def __init__(self) -> None:
        self.frames: list[int] = []
        self.masks: list[np.ndarray] = []

    def add(self, frame: int, view: FieldView | None) -> None:
        if view is None or not view.ok:
            m = np.zeros((MASK_H, MASK_W), np.float32)
        else:
            m = cv2.resize((view.region > 0).astype(np.float32), (MASK_W, MASK_H), interpolation=cv2.INTER_AREA)
        self.frames.append(int(frame))
        self.masks.append(m)

    def per_shot(self, shots: list[tuple[int, int]], frame_count: int) -> np.ndarray:
        """``(S, FIELD_COLS)`` rows start, end, mask (1 = field) for shots with a field on most
        samples; ``shots`` empty = one shot over the video."""
        spans = shots or [(0, max(1, frame_count))]
        f = np.asarray(self.frames, np.int64)
        rows = []
        for s, e in spans:
            sel = np.flatnonzero((f >= s) & (f < e))
            if not len(sel):
                continue
            m = np.stack([self.masks[i] for i in sel])
            if float((m.reshape(len(m), -1).max(axis=1) > 0).mean()) < 0.5:
                continue
            mask = (m.mean(axis=0) >= 0.5).astype(np.float32)
            rows.append(np.concatenate([[s, e], mask.reshape(-1)]).astype(np.float32))
        return np.stack(rows) if rows else np.zeros((0, FIELD_COLS), np.float32)


def shot_field_mask(fields: np.ndarray | None, frame: int) -> np.ndarray | None:
    """The stored ``MASK_H × MASK_W`` field mask of the shot holding ``frame``, if any."""
    if fields is None or not len(fields):
        return None
    a = np.asarray(fields, np.float32)
    hit = np.flatnonzero((a[:, 0] <= frame) & (frame < a[:, 1]))
    return a[hit[0], 2:].reshape(MASK_H, MASK_W) if len(hit) else None


def _main_lines(view: FieldView) -> np.ndarray:
    """The field's painted lines without stray white bits (letters, a chair's logo): connected
    pieces that are long (a sixth of the picture's width) and not tiny."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(view.lines, connectivity=8)
    total = int(stats[1:, 4].sum()) if n > 1 else 0
    long_side = view.lines.shape[1] / 6
    big = [i for i in range(1, n) if stats[i, 4] >= max(30, 0.03 * total)
           and max(stats[i, 2], stats[i, 3]) >= long_side]
    return np.isin(lab, big).astype(np.uint8) if big else np.zeros_like(view.lines)


def _line_hull(view: FieldView) -> np.ndarray | None:
    """Convex hull ``(K, 2)`` of the field's main painted lines."""
    pts = cv2.findNonZero(_main_lines(view))
    if pts is None or len(pts) < 20:
        return None
    return cv2.convexHull(pts).reshape(-1, 2).astype(np.float32)


def play_area(view: FieldView, grow: tuple[float, float, float] = (1.1, 1.25, 1.5)) -> np.ndarray:
    """uint8 mask where players play: the field, within the convex hull of its painted lines grown
    about its centre by ``grow`` = (sideways, away from the camera, towards it): players stand
    behind a baseline, and the near end looks deeper in perspective; the whole field when it has
    few lines. Ball kids, line judges, the umpire's chair and benches beside a court stand
    outside it."""
    hull = _line_hull(view)
    if hull is None:
        return view.region.copy()
    c = hull.mean(axis=0)
    d = hull - c
    gy = np.where(d[:, 1] < 0, grow[1], grow[2])
    grown = (c + d * np.stack([np.full(len(d), grow[0]), gy], axis=1)).astype(np.int32)
    mask = np.zeros_like(view.region)
    cv2.fillConvexPoly(mask, grown, 255)
    # a hull of a few lines (a corner of the pitch) says little: fall back to the field itself
    if (mask > 0).sum() < 0.3 * max(1, int((view.region > 0).sum())):
        return view.region.copy()
    return cv2.bitwise_and(mask, view.region)


def feet_in(mask: np.ndarray, boxes: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Whether each box's bottom centre (source pixels / ``scale`` = mask pixels) is in ``mask``."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4) / max(1e-6, scale)
    h, w = mask.shape
    xs = np.clip(((b[:, 0] + b[:, 2]) / 2).astype(int), 0, w - 1)
    ys = np.clip((b[:, 3] - 1).astype(int), 0, h - 1)
    return mask[ys, xs] > 0


def far_tile(view: FieldView, depth: float = 0.15, max_scale: float = 3.0, min_scale: float = 1.8,
             model_size: tuple[int, int] = (640, 384)) -> tuple[tuple[int, int, int, int], float] | None:
    """Where small far players are expected and how much to enlarge it: the far ``depth`` of the
    painted lines' hull and the space behind its far line, in mask pixels, and the scale
    that fills the model's input. ``None`` when that would enlarge less than ``min_scale`` (the
    far end is large already, or too wide for one tile: a football pitch from the stand, where
    the pose model fails on its small players anyway and the field blobs find them)."""
    if not view.ok:
        return None
    hull = _line_hull(view)
    if hull is None:
        return None
    h, w = view.region.shape
    y0, y1 = float(hull[:, 1].min()), float(hull[:, 1].max())
    band_end = y0 + depth * (y1 - y0)
    xs = np.nonzero(_main_lines(view)[int(y0):int(band_end) + 1])[1]  # the far lines' extent
    if len(xs) < 10:
        return None
    lo, hi = np.percentile(xs, [2, 98])
    pad = 0.03 * (hi - lo)
    x0, x1 = max(0, int(lo - pad)), min(w, int(hi + pad) + 1)
    top = max(0, int(y0 - 0.35 * (y1 - y0)))  # a far player stands behind the far line
    bottom = min(h, int(band_end) + 1)
    bw, bh = x1 - x0, bottom - top
    if bw < 16 or bh < 8:
        return None
    scale = min(max_scale, model_size[0] / bw, model_size[1] / bh)
    if scale < min_scale:
        return None
    return (x0, top, x1, bottom), float(scale)
