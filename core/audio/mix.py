"""Dialogue-first mono mixdown of multichannel (3.0 / 5.1 / 7.1 ...) audio for analysis.

ffmpeg's default downmix to mono adds every channel (FC 1.0, FL/FR 0.707, surrounds 0.5, LFE 0),
so on broadcast sport, where the commentary sits in the front-centre channel and the crowd in the
fronts and surrounds, the speech drowns in crowd noise. For layouts with a front-centre channel,
:class:`DialogueMixer` keeps the centre at full weight, the front pair at :data:`FRONT_WEIGHT`
(some dialogue and effects are panned or phantom-centred there, and an upmixed 5.1 with an empty
centre must not go silent) and drops LFE and surrounds. Measured on 5.1 AAC with a centre tone and
equal independent noise in FL/FR/BL/BR/LFE, the speech-to-noise ratio gains +9.1 dB over the default
(+6.0 dB when the crowd also bleeds into the centre at half level); fronts at 0.5 gain only +4.7 dB,
fronts at 0 lose every front-panned sound. Front-only content comes out 11.5 dB below the default.

Mono, stereo and other layouts without a centre channel keep ffmpeg's default path unchanged:
:func:`mono_resampler` picks the path, and the decode pass and :func:`core.media.reader.load_audio` both
use it so they always agree.
"""

from __future__ import annotations

from typing import Protocol

import av
import numpy as np

CENTRE_WEIGHT = 1.0
FRONT_WEIGHT = 0.3
_WEIGHTS = {"FC": CENTRE_WEIGHT, "FL": FRONT_WEIGHT, "FR": FRONT_WEIGHT}


def _as_layout(layout: av.AudioLayout | str | None) -> av.AudioLayout | None:
    if layout is None:
        return None
    try:
        return layout if isinstance(layout, av.AudioLayout) else av.AudioLayout(layout)
    except (ValueError, av.error.FFmpegError):
        return None


def dialogue_weights(layout: av.AudioLayout | str | None) -> np.ndarray | None:
    """Per-channel mixing weights (in the layout's channel order) for a dialogue-first mono mix.

    FC 1.0, FL/FR :data:`FRONT_WEIGHT`, everything else (LFE, surrounds, wides) 0. ``None`` for
    layouts without a front-centre channel or with fewer than three channels (mono, stereo, quad,
    unknown channel order): those keep ffmpeg's default downmix.
    """
    lay = _as_layout(layout)
    if lay is None or lay.nb_channels < 3:
        return None
    names = [c.name for c in lay.channels]
    if "FC" not in names:
        return None
    return np.array([_WEIGHTS.get(n, 0.0) for n in names], dtype=np.float32)


class MonoResampler(Protocol):
    """Turns decoded audio frames into mono float32 chunks at a fixed rate."""

    def resample(self, frame: av.AudioFrame | None) -> list[np.ndarray]:
        """Mono chunks for ``frame`` (``None`` flushes the buffered tail)."""
        ...


class DefaultMono:
    """ffmpeg's own downmix to mono (today's path for mono, stereo and centre-less layouts)."""

    dialogue = False

    def __init__(self, rate: int) -> None:
        self._res = av.AudioResampler(format="flt", layout="mono", rate=rate)

    def resample(self, frame: av.AudioFrame | None) -> list[np.ndarray]:
        return [out.to_ndarray().reshape(-1) for out in self._res.resample(frame)]


class DialogueMixer:
    """Resample to ``rate`` keeping the source layout, then mix with :func:`dialogue_weights`.

    The weights are divided by their sum, so any input within [-1, 1] (a full-scale centre
    included) stays within [-1, 1]; a centre-only signal comes out at ``1 / 1.6`` (-4 dB).
    Resamples to packed ``flt`` rather than planar ``fltp``: same samples, but PyAV 18 miscounts
    the planes of an 8-channel planar frame and ``to_ndarray`` on a 7.1 ``fltp`` frame crashes.
    """

    dialogue = True

    def __init__(self, layout: av.AudioLayout | str, rate: int) -> None:
        w = dialogue_weights(layout)
        lay = _as_layout(layout)
        if w is None or lay is None:
            raise ValueError(f"no front-centre channel in layout {layout!r}")
        self.weights = (w / float(np.abs(w).sum())).astype(np.float32)
        self.channels = lay.nb_channels
        self._res = av.AudioResampler(format="flt", layout=lay, rate=rate)

    def mix(self, interleaved: np.ndarray) -> np.ndarray:
        """Mono float32 from interleaved samples of the source layout (``(n * channels,)``)."""
        return (interleaved.reshape(-1, self.channels) @ self.weights).astype(np.float32, copy=False)

    def resample(self, frame: av.AudioFrame | None) -> list[np.ndarray]:
        return [self.mix(out.to_ndarray().reshape(-1)) for out in self._res.resample(frame)]


def mono_resampler(layout: av.AudioLayout | str | None, rate: int) -> DefaultMono | DialogueMixer:
    """The resampler for a stream of ``layout``: dialogue-first where it has a centre channel."""
    if layout is None or dialogue_weights(layout) is None:
        return DefaultMono(rate)
    return DialogueMixer(layout, rate)


__all__ = ["CENTRE_WEIGHT", "FRONT_WEIGHT", "DefaultMono", "DialogueMixer", "MonoResampler",
           "dialogue_weights", "mono_resampler"]
