"""Media files: probing and PTS-accurate reading (``reader``) and the one decode pass that fans
frames and audio out to every analyzer (``decode``)."""
