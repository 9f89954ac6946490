"""The multi-track timeline: painting and interaction (``view``), what it shows (``model``),
snapping, the thumbnail strip and the audio lane. ``python -m app.timeline.view`` opens it on a
generated demo project."""
