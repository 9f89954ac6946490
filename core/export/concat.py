"""Clips joined into one video without encoding again: FFmpeg's concat demuxer with stream copy.

:func:`concat_clips` joins MP4 clips that share their codec parameters (the per-highlight clips
:mod:`core.export.clip` cuts from one source do: same encoder, size, pixel format, frame rate,
audio layout) into one file by copying their packets, in a second or so whatever the length. Clips
whose parameters differ are encoded once into the joined file instead (the same H.264/AAC settings
as :func:`core.export.clip.export_clip`), so the result is always one playable file.

Runs on the caller's thread.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Sequence

from core.errors import ClipDeskError


def stream_params(path: str | os.PathLike[str]) -> tuple[Any, ...]:
    """What must be equal for two files' packets to be joined by a stream copy."""
    import av

    try:
        with av.open(str(path)) as c:
            out: list[Any] = []
            for s in c.streams:
                cc = s.codec_context
                if s.type == "video":
                    out.append(("video", cc.name, cc.width, cc.height, str(cc.pix_fmt), s.time_base,
                                s.average_rate or s.guessed_rate, cc.profile))
                elif s.type == "audio":
                    out.append(("audio", cc.name, cc.sample_rate, cc.layout.name if cc.layout else None,
                                s.time_base))
            return tuple(out)
    except (av.error.FFmpegError, OSError) as e:  # type: ignore[attr-defined]
        raise ClipDeskError(f"{path}: cannot be read to join ({e})") from None


def concat_clips(clips: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str],
                 title: str | None = None) -> dict[str, Any]:
    """Join ``clips`` in order into ``out`` (MP4); ``{"path", "copied"}`` (``copied``: by stream
    copy, False when the clips differed and were encoded once)."""
    from core.export.clip import ffmpeg_exe
    from core.export.paths import atomic_target

    paths = [Path(c) for c in clips]
    if not paths:
        raise ClipDeskError("no clips to join")
    params = {stream_params(p) for p in paths}
    copy = len(params) == 1
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="clipdesk-concat-") as tmp:
        listing = Path(tmp) / "clips.txt"
        # the concat demuxer's own quoting: ' closes the string, \' is a literal quote
        listing.write_text("".join("file '" + str(p.resolve()).replace("'", "'\\''") + "'\n" for p in paths))
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "concat", "-safe", "0",
               "-i", str(listing), "-map", "0:v:0", "-map", "0:a:0?"]
        cmd += (["-c", "copy"] if copy else
                ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac",
                 "-b:a", "160k"])
        if title:
            cmd += ["-metadata", f"title={' '.join(title.split())[:200]}"]
        cmd += ["-movflags", "+faststart", "-f", "mp4"]
        try:
            with atomic_target(out) as tmp_out:
                subprocess.run([*cmd, str(tmp_out)], check=True, capture_output=True, timeout=3600)
        except subprocess.CalledProcessError as e:
            msg = " ".join((e.stderr or b"").decode(errors="replace").split())[-300:]
            raise ClipDeskError(f"{out.name}: the clips could not be joined ({msg or e})") from None
        except (subprocess.SubprocessError, OSError) as e:
            raise ClipDeskError(f"{out.name}: the clips could not be joined ({e})") from None
    return {"path": out, "copied": copy}


__all__ = ["concat_clips", "stream_params"]
