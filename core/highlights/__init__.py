"""Highlights: readable candidate moments, speech-safe shot-snapped boundaries, target durations,
automatic covers, the reel and its hand-off to editors.

Modules: ``cues`` (evidence from other tracks and signals), ``candidates`` (moments, score,
why), ``bounds`` (where a clip starts and ends), ``reel`` (settings, proposal, reel order),
``project`` (store the ``highlight`` track, covers), ``export`` (NLE cut lists, clips, GIFs,
stills), ``stage`` (pipeline stage ``highlights``). No Qt, no ML; any thread.
"""

from __future__ import annotations

from core.highlights.cues import Cue, Material, all_cues, material_from_project
from core.highlights.reel import (PRESETS, SETTING_KEY, HighlightSettings, propose, reel_order,
                                  reel_segments, settings_from)

__all__ = ["PRESETS", "SETTING_KEY", "Cue", "HighlightSettings", "Material", "all_cues",
           "material_from_project", "propose", "reel_order", "reel_segments", "settings_from"]
