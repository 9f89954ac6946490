"""What the window and every panel share, with no widgets of its own: the review context
(project, video, playhead, selection, undoable edits), the editing commands behind the shortcuts,
user settings, the background-task base and Qt start-up. Imports nothing else of ``app``."""
