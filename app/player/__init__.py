"""The video player: frame-accurate display and playback (``widget``), decoding on its own thread
(``frame_server``), scrubbing proxies and the overlays drawn over the picture (poses, scoreboard)."""
