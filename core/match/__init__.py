"""The match: reading the scoreboard (``scoreboard``) and the structure it implies (``structure``:
halves, half-time, extra time)."""
