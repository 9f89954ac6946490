"""ClipDesk core: media, time, pipeline, project store, timeline operations and exports.

Nothing in this package imports Qt or an ML library (an import-linter contract in
``pyproject.toml`` and ``tests/test_architecture.py`` keep it so). ML work lives in ``models/``,
the UI in ``app/``.
"""

__version__ = "0.1.0"
