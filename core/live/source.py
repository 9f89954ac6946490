"""A recording still being written: a growing file, or an HLS playlist on disk assembled into one.

:class:`GrowingReader` is a read-only, non-seekable file object over a file that grows: ``read``
returns what is there, waits (polling) while nothing new is, and returns ``b""`` at the end of the
stream, which is: the source says so (HLS ``#EXT-X-ENDLIST`` and every listed segment appended),
the writer closed the file and nothing grew for ``closed_s`` seconds (``core.live.holders``: a
writer seen holding the file no longer does), no growth for ``idle_s`` seconds (the writer stopped,
or closed it where that cannot be seen), a stop request
(``--until``, cancel). The demuxer (PyAV over this object) therefore reads up to the live edge and
waits there, like FFmpeg's ``file`` protocol with ``follow=1`` and ``rw_timeout``, but the end,
the lag and cancel stay in our hands.

:class:`HlsAssembler` turns a playlist on disk (``.m3u8`` + MPEG-TS or fMP4 segments, with
``#EXT-X-MAP`` for fMP4) into one growing file beside the project, appending each complete
segment once and in order: the project refers to that file (clips, the player, the reel), and the
same bytes analysed offline give the same results. A corrupt segment (MPEG-TS sync lost, fMP4
boxes that do not add up) is skipped with one line; a segment listed but missing is waited for,
then skipped with one line. What was appended is recorded in ``<file>.segments.json`` so a
killed follower continues where it was (a half-appended segment is cut off again).

Runs on the follower's thread (the demuxer calls ``read``).
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from core.errors import ClipDeskError
from core.live.holders import WriterWatch

TS_PACKET = 188
_MP4_BOXES = {b"styp", b"sidx", b"moof", b"mdat", b"prft", b"emsg", b"ftyp", b"moov", b"free", b"skip",
              b"uuid", b"mfra", b"ssix"}
HLS_SUFFIXES = {".m3u8", ".m3u"}

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


class GrowingReader:
    """``read(n)`` over a growing file (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str], idle_s: float = 10.0, poll_s: float = 0.1,
                 pump: Callable[[], None] | None = None, ended: Callable[[], str | None] | None = None,
                 stop: Callable[[], str | None] | None = None, start: int = 0,
                 closed_s: float | None = 1.0) -> None:
        self.path = Path(path)
        self._f = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        if start:
            self._f.seek(start)
        self.pos = start
        self.idle_s = float(idle_s)
        self.poll_s = float(poll_s)
        self._pump = pump
        self._ended = ended
        self._stop = stop
        self.last_growth = time.monotonic()
        self._last_pump = 0.0
        self.end_reason: str | None = None
        self.ended_at: float | None = None  # monotonic time the end was seen
        self.closed_s = closed_s  # None: the writer's closing is not watched (HLS: the playlist says)
        self._watch = WriterWatch(self.path) if closed_s is not None else None
        if self._watch is not None:
            self._watch.look()
        self.waited_s = 0.0  # time spent at the live edge, waiting for the writer

    # PyAV wants these on a file object it reads through
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def size(self) -> int:
        try:
            return os.fstat(self._f.fileno()).st_size
        except (OSError, ValueError):
            return self.pos

    def pump(self, force: bool = False) -> None:
        """Let the source append what is new (HLS), at most every half second unless ``force``."""
        now = time.monotonic()
        if self._pump is not None and (force or now - self._last_pump >= 0.5):
            self._last_pump = now
            self._pump()

    def read(self, n: int = -1) -> bytes:
        n = 1 << 16 if n is None or n < 0 else n
        while True:
            self.pump()
            if self.end_reason is not None:
                return b""
            data = self._f.read(n)
            if data:
                self.pos += len(data)
                self.last_growth = time.monotonic()
                return data
            why = self._stop() if self._stop is not None else None
            if why:
                self.end_reason = why
                self.ended_at = time.monotonic()
                return b""
            self.pump(force=True)
            if self._ended is not None:
                why = self._ended()
                if why and self.size() <= self.pos:
                    self.end_reason = why
                    self.ended_at = time.monotonic()
                    return b""
            if self.size() > self.pos:
                continue
            idle = time.monotonic() - self.last_growth
            if idle >= self.idle_s:
                self.end_reason = f"no new data for {self.idle_s:g} s (the writer stopped)"
                self.ended_at = time.monotonic()
                return b""
            if (self._watch is not None and self.closed_s is not None and idle >= self.closed_s
                    and self._watch.closed() and self.size() <= self.pos):
                self.end_reason = f"the writer closed the file (no new data for {idle:.1f} s)"
                self.ended_at = time.monotonic()
                return b""
            time.sleep(self.poll_s)
            self.waited_s += self.poll_s

    def close(self) -> None:
        self._f.close()


@dataclass
class HlsEntry:
    seq: int
    uri: str
    init: str | None  # #EXT-X-MAP URI in force for this segment (fMP4)


def parse_playlist(text: str) -> tuple[list[HlsEntry], bool]:
    """``(segments, ended)`` of a media playlist; a last line still being written is ignored."""
    lines = text.split("\n")
    if not text.endswith("\n"):
        lines = lines[:-1]
    seq = 0
    init: str | None = None
    out: list[HlsEntry] = []
    ended = False
    want_uri = False
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            try:
                seq = int(line.split(":", 1)[1])
            except ValueError:
                pass
        elif line.startswith("#EXT-X-MAP:"):
            m = re.search(r'URI="([^"]+)"', line)
            init = m.group(1) if m else None
        elif line.startswith("#EXTINF"):
            want_uri = True
        elif line.startswith("#EXT-X-ENDLIST"):
            ended = True
        elif line.startswith("#EXT-X-STREAM-INF"):
            raise ClipDeskError("this is a master playlist (variants); follow one media playlist instead")
        elif not line.startswith("#") and want_uri:
            out.append(HlsEntry(seq, line, init))
            seq += 1
            want_uri = False
    return out, ended


def check_segment(data: bytes, name: str) -> tuple[bytes, str | None]:
    """``(bytes to append, note)``; raises :class:`ClipDeskError` (one line) for a corrupt segment."""
    low = name.lower()
    if low.endswith((".ts", ".m2ts", ".mts")) or (data[:1] == b"\x47" and not low.endswith((".m4s", ".mp4"))):
        if len(data) < TS_PACKET or data[0] != 0x47:
            raise ClipDeskError(f"{name}: not MPEG-TS (no sync byte at the start)")
        whole = len(data) - len(data) % TS_PACKET
        bad = sum(1 for i in range(0, whole, TS_PACKET) if data[i] != 0x47)
        if bad:
            raise ClipDeskError(f"{name}: MPEG-TS sync lost in {bad} of {whole // TS_PACKET} packets")
        note = (f"{name}: ends mid-packet; {len(data) - whole} trailing bytes dropped"
                if whole != len(data) else None)
        return data[:whole], note
    if low.endswith((".m4s", ".mp4", ".cmfv", ".cmfa", ".m4v")):
        i = 0
        while i < len(data):
            if i + 8 > len(data):
                raise ClipDeskError(f"{name}: fMP4 box header cut off at byte {i}")
            size = int.from_bytes(data[i:i + 4], "big")
            kind = data[i + 4:i + 8]
            if size == 1 and i + 16 <= len(data):
                size = int.from_bytes(data[i + 8:i + 16], "big")
            if kind not in _MP4_BOXES or size < 8 or i + size > len(data):
                raise ClipDeskError(f"{name}: fMP4 boxes do not add up at byte {i}")
            i += size
        return data, None
    return data, None


class HlsAssembler:
    """Appends a playlist's segments, in order and once each, to ``out`` (see module docstring)."""

    def __init__(self, playlist: str | os.PathLike[str], out: str | os.PathLike[str], idle_s: float = 10.0,
                 say: Say = _quiet) -> None:
        self.playlist = Path(playlist).resolve()
        self.out = Path(out)
        self.state_path = self.out.with_name(self.out.name + ".segments.json")
        self.idle_s = idle_s
        self.say = say
        self.ended = False
        self.last_seq = -1
        self.init: str | None = None
        self.appended = 0
        self.skipped = 0
        self.listed_bytes = 0  # bytes of every listed segment on disk: the live edge
        self._missing_since: dict[int, float] = {}
        self._load_state()

    def _load_state(self) -> None:
        if self.state_path.is_file() and self.out.is_file():
            try:
                st = json.loads(self.state_path.read_text())
            except (OSError, ValueError):
                st = {}
            if st.get("playlist") not in (None, str(self.playlist)):
                raise ClipDeskError(f"{self.out}: assembled from another playlist ({st.get('playlist')})")
            size = int(st.get("bytes", 0))
            if self.out.stat().st_size > size:  # killed mid-append: cut the partial segment off
                with open(self.out, "r+b") as f:
                    f.truncate(size)
            self.last_seq = int(st.get("last_seq", -1))
            self.init = st.get("init")
            self.appended = int(st.get("appended", 0))
            self.skipped = int(st.get("skipped", 0))
        else:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.out.write_bytes(b"")
            self._save_state()

    def _save_state(self) -> None:
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        tmp.write_text(json.dumps({"playlist": str(self.playlist), "last_seq": self.last_seq,
                                   "init": self.init, "appended": self.appended, "skipped": self.skipped,
                                   "bytes": self.out.stat().st_size}))
        os.replace(tmp, self.state_path)

    def _append(self, data: bytes) -> None:
        with open(self.out, "ab") as f:
            f.write(data)
            f.flush()

    def poll(self) -> None:
        """Append every new complete segment; sets :attr:`ended` after ``#EXT-X-ENDLIST``."""
        try:
            text = self.playlist.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        entries, ended = parse_playlist(text)
        base = self.playlist.parent
        listed = 0
        for e in entries:
            p = base / e.uri
            try:
                listed += p.stat().st_size
            except OSError:
                pass
        self.listed_bytes = listed
        changed = False
        for e in entries:
            if e.seq <= self.last_seq:
                continue
            if e.seq > self.last_seq + 1 and self.last_seq >= 0:
                self.say(f"segments {self.last_seq + 1}-{e.seq - 1} left the playlist before they "
                         "were read; skipped")
                self.skipped += e.seq - self.last_seq - 1
            path = base / e.uri
            if not path.is_file():
                first = self._missing_since.setdefault(e.seq, time.monotonic())
                if time.monotonic() - first < self.idle_s:
                    break  # listed but not there yet: wait for it, keep the order
                self.say(f"{e.uri}: listed but missing for {self.idle_s:g} s; skipped")
                self.skipped += 1
                self.last_seq = e.seq
                changed = True
                continue
            if e.init is not None and e.init != self.init:
                try:
                    init = (base / e.init).read_bytes()
                except OSError as err:
                    raise ClipDeskError(f"{e.init}: cannot read the init segment ({err.strerror})") from None
                self._append(init)
                self.init = e.init
            try:
                data, note = check_segment(path.read_bytes(), e.uri)
            except ClipDeskError as err:
                self.say(f"{err}; skipped")
                self.skipped += 1
            except OSError as err:
                self.say(f"{e.uri}: cannot be read ({err.strerror}); skipped")
                self.skipped += 1
            else:
                if note:
                    self.say(note)
                self._append(data)
                self.appended += 1
            self.last_seq = e.seq
            changed = True
        if changed:
            self._save_state()
        if ended and (not entries or self.last_seq >= entries[-1].seq):
            self.ended = True

    def end_reason(self) -> str | None:
        return "end of playlist (#EXT-X-ENDLIST)" if self.ended else None


def is_playlist(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in HLS_SUFFIXES


def assembled_path(playlist: str | os.PathLike[str], project_dir: str | os.PathLike[str]) -> Path:
    """Where the follower assembles ``playlist``'s segments: ``<stem>.recording.ts`` (``.mp4`` for
    fMP4 segments) in the project's folder."""
    p = Path(playlist)
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    entries, _ = parse_playlist(text)
    fmp4 = "#EXT-X-MAP" in text or any(e.uri.lower().endswith((".m4s", ".mp4")) for e in entries)
    return Path(project_dir) / f"{p.stem}.recording.{'mp4' if fmp4 else 'ts'}"


__all__ = ["GrowingReader", "HlsAssembler", "HlsEntry", "assembled_path", "check_segment", "is_playlist",
           "parse_playlist"]
