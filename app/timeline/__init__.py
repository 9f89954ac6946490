"""The multi-track timeline: painting and interaction (``view``), what it shows (``model``),
snapping, the thumbnail strip and the audio lane. ``python -m app.timeline`` opens it with a
player on a generated demo project."""
