"""Dock panels, one module each: inspector, covers, transcript, reframe QA, search, actions,
highlights, export queue; ``registry`` lists the optional ones. Panels never import each other nor
the main window: they talk through ``app.review.context.ReviewContext`` (import-linter contract)."""
