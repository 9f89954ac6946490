"""Editor hand-off through OpenTimelineIO: ``.otio`` (every track), and FCPXML (Resolve/FCP X),
FCP 7 XML (Premiere) and CMX3600 EDL through the OTIO adapters (one cut list).

``.otio`` keeps the source layout: one OTIO track per ClipDesk track (overlapping segments go to
extra lanes ``person 2``, ...), each segment a clip at its own source time with gaps between, and
every ClipDesk field in ``metadata["clipdesk"]``. The NLE formats get one video track: the chosen
track's segments back to back (the shots tile the video, so a shot list stays in place; the
highlights become a reel). OTIO stores rates as floats: ``num/den`` is passed exactly as that
float, and frames are whole numbers, so 30000/1001 round-trips frame-exactly.

Pure functions; any thread.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import opentimelineio as otio

from core.export.data import ExportData, ExportError
from core.export.rates import frame_at, timecode_rate
from core.export.tabular import SCHEMA, video_json
from core.segments import HIGHLIGHT, SHOT, Segment

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange


def _rate(d: ExportData) -> float:
    return d.video.rate.num / d.video.rate.den


def _reference(d: ExportData) -> otio.schema.ExternalReference:
    rate = _rate(d)
    return otio.schema.ExternalReference(
        target_url=Path(d.video.path).resolve().as_uri() if Path(d.video.path).is_absolute()
        else d.video.path,
        available_range=TR(RT(0, rate), RT(d.video.frame_count, rate)))


def _clip(d: ExportData, s: Segment, ref: otio.schema.ExternalReference, name: str) -> otio.schema.Clip:
    rate = _rate(d)
    clip = otio.schema.Clip(name=name, media_reference=ref,
                            source_range=TR(RT(s.start_frame, rate), RT(s.length, rate)))
    clip.metadata["clipdesk"] = _meta(s)
    return clip


def _lanes(segs: list[Segment]) -> list[list[Segment]]:
    """Greedy interval partition: segments that overlap go to separate lanes."""
    lanes: list[list[Segment]] = []
    for s in segs:
        for lane in lanes:
            if lane[-1].end_frame <= s.start_frame:
                lane.append(s)
                break
        else:
            lanes.append([s])
    return lanes


def _name(s: Segment, i: int, d: ExportData | None = None) -> str:
    """A clip's name: a highlight's title (typed, or proposed from what was found), else the
    label, else "track N"."""
    if s.track == HIGHLIGHT:
        from core.highlights.titles import title_of

        t = (s.attrs or {}).get("title")
        if not (isinstance(t, str) and t.strip()) and d is not None:
            t = title_of(s, [x for segs in d.segments.values() for x in segs], d.clock)
        if isinstance(t, str) and t.strip():  # a straight quote breaks OTIO's FCP XML readers
            return t.strip().replace("'", "\u2019").replace('"', "\u201d")
    return s.label if s.label else f"{s.track} {i + 1}"


def _meta(s: Segment) -> dict[str, Any]:
    return {"id": s.id, "track": s.track, "start_frame": s.start_frame, "end_frame": s.end_frame,
            "label": s.label, "confidence": s.confidence, "source": s.source, "status": s.status,
            "attrs": s.attrs}


def build_timeline(d: ExportData) -> otio.schema.Timeline:
    """Every track at its source position, ClipDesk fields in namespaced metadata. Each track
    lasts the whole video (trailing gap); zero-length segments (e.g. hard cuts on the transition
    track) become markers."""
    rate = _rate(d)
    tl = otio.schema.Timeline(name=Path(d.video.path).stem)
    tl.global_start_time = RT(0, rate)
    tl.metadata["clipdesk"] = {"schema": SCHEMA, "video": video_json(d)}
    ref = _reference(d)
    total = d.video.frame_count
    for track, segs in d.segments.items():
        names = {id(s): _name(s, i, d) for i, s in enumerate(segs)}
        lanes = _lanes([s for s in segs if s.length > 0]) or [[]]
        for li, lane in enumerate(lanes):
            ot = otio.schema.Track(name=track if li == 0 else f"{track} {li + 1}",
                                   kind=otio.schema.TrackKind.Video)
            ot.metadata["clipdesk"] = {"track": track, "lane": li}
            pos = 0
            for s in lane:
                if s.start_frame > pos:
                    ot.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(s.start_frame - pos, rate))))
                ot.append(_clip(d, s, ref, names[id(s)]))
                pos = s.end_frame
            if total > pos:
                ot.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(total - pos, rate))))
            if li == 0:
                for s in segs:
                    if s.length == 0:
                        m = otio.schema.Marker(name=names[id(s)],
                                               marked_range=TR(RT(s.start_frame, rate), RT(0, rate)))
                        m.metadata["clipdesk"] = _meta(s)
                        ot.markers.append(m)
            tl.tracks.append(ot)
    return tl


def cut_track(d: ExportData) -> str:
    """The track an NLE cut list is made of: the one asked for, else highlights, else shots."""
    if len(d.segments) == 1:
        return d.tracks[0]
    for t in (HIGHLIGHT, SHOT):
        if t in d.segments:
            return t
    raise ExportError("an editor cut list needs a shot or highlight track (or one --track)")


def build_cut_list(d: ExportData) -> otio.schema.Timeline:
    """One video track: the chosen segments back to back, at the timecode rate editors use."""
    rate = timecode_rate(d)
    track = cut_track(d)
    tl = otio.schema.Timeline(name=f"{Path(d.video.path).stem} {track}")
    tl.global_start_time = RT(0, rate)
    tl.metadata["clipdesk"] = {"schema": SCHEMA, "video": video_json(d), "track": track}
    end = frame_at(d, d.video.frame_count, rate)
    ref = otio.schema.ExternalReference(target_url=_reference(d).target_url,
                                        available_range=TR(RT(0, rate), RT(end, rate)))
    ot = otio.schema.Track(name=track, kind=otio.schema.TrackKind.Video)
    for i, s in enumerate(d.segments[track]):
        a, b = frame_at(d, s.start_frame, rate), frame_at(d, s.end_frame, rate)
        if b > a:
            clip = _clip(d, s, ref, _name(s, i, d))
            clip.source_range = TR(RT(a, rate), RT(b - a, rate))
            ot.append(clip)
    if not len(ot):
        raise ExportError(f"track '{track}' has no segments to cut")
    tl.tracks.append(ot)
    return tl


def to_otio(d: ExportData) -> str:
    return str(otio.adapters.write_to_string(build_timeline(d), adapter_name="otio_json"))


def to_edl(d: ExportData) -> str:
    tl = build_cut_list(d)
    return str(otio.adapters.write_to_string(tl, adapter_name="cmx_3600", rate=_tl_rate(tl)))


def _tl_rate(tl: otio.schema.Timeline) -> float:
    return float(tl.global_start_time.rate)


def to_fcp7(d: ExportData) -> str:
    return str(otio.adapters.write_to_string(build_cut_list(d), adapter_name="fcp_xml"))


def _fcp_format_name(d: ExportData, rate: float) -> str:
    """FCP's format name (``FFVideoFormat1080p2997``) from what the project already knows."""
    size = {(1920, 1080): "1080", (1280, 720): "720", (3840, 2160): "2160"}.get(
        (d.video.width, d.video.height), f"{d.video.width}x{d.video.height}")
    code = f"{rate:.2f}".replace(".", "").rstrip("0") if rate != int(rate) else str(int(rate))
    return f"FFVideoFormat{size}p{code}"


def to_fcpxml(d: ExportData) -> str:
    """FCPXML through otio-fcpx-xml-adapter. Two adapter limits are worked around on the module
    instance OTIO loaded (it does not live in sys.modules): its rate table only knows a few
    float keys, so this video's exact ``frameDuration`` is added; and it runs ffprobe once per
    clip to name the format, so the name is given from the project's own record instead."""
    tl = build_cut_list(d)
    rate = _tl_rate(tl)
    module = otio.adapters.from_name("fcpx_xml").module()
    table: dict[Any, str] = module.FRAMERATE_FRAMEDURATION
    f = Fraction(rate).limit_denominator(1001000)
    exact = f"{f.denominator}/{f.numerator}s"
    if int(rate) in table and int(rate) != rate:
        raise ExportError(f"FCPXML cannot express {rate:.3f} fps (the adapter would use {int(rate)})")
    if int(rate) not in table:
        table.setdefault(rate, exact)
    name = _fcp_format_name(d, rate)
    original = module.format_name
    module.format_name = lambda frame_rate, path: name
    try:
        text = str(otio.adapters.write_to_string(tl, adapter_name="fcpx_xml"))
    finally:
        module.format_name = original
    return _fcpxml_in_library(text, d, tl.name)


def _fcpxml_in_library(text: str, d: ExportData, name: str) -> str:
    """Final Cut's document model is ``fcpxml > resources, library > event > (clips, project)``;
    the adapter leaves clips and project loose at the top (a mix the DTD forbids) and gives the
    format no frame size. Put them in one event of a library and add width/height."""
    root = ElementTree.fromstring(text)
    for fmt in root.iter("format"):
        fmt.set("width", str(d.video.width))
        fmt.set("height", str(d.video.height))
    for asset in root.iter("asset"):  # the adapter names it after the first clip, without audio
        asset.set("name", Path(d.video.path).name)
        if d.video.info.audio:
            a = d.video.info.audio[0]
            asset.set("hasAudio", "1")
            asset.set("audioSources", "1")
            asset.set("audioChannels", str(a.channels or 2))
            asset.set("audioRate", str(a.sample_rate or 48000))
    loose = [c for c in root if c.tag != "resources"]
    for c in loose:
        root.remove(c)
    event = ElementTree.SubElement(ElementTree.SubElement(root, "library"), "event", {"name": name})
    event.extend(loose)
    ElementTree.indent(root, space="    ")
    body = ElementTree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n{body}\n'
