"""ClipDesk application layer: the Qt review window and the command line.

Only this package imports Qt. ``app.cli`` imports Qt lazily (for ``clipdesk gui``) so the
command line works on machines without a display.
"""
