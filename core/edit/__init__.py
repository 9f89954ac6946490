"""Editing the timeline: undoable operations with history (``ops``) and snapping (``snapping``)."""
