"""Following a recording while it is written (``clipdesk analyze --follow``).

:mod:`core.live.source` reads a growing file or assembles an HLS playlist's segments into one,
:mod:`core.live.decode` is the one decode pass over it with commit points, :mod:`core.live.stages`
turns the stages' sink state into provisional results at each commit, and :mod:`core.live.follow`
drives it all: claim, commit in chunks, keep up, finalise with the stages' own ``finish``.
No Qt, no ML imports (model-backed stages get their live glue from ``models.live``).
"""
