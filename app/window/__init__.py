"""The review window: the main window that assembles player, timeline and panels, its menus and
shortcuts, the help overlay and the background analysis worker. The only package that knows
every other room of ``app`` (``app.cli.gui`` opens it)."""
