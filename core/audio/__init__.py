"""Audio: the dialogue-first mixdown (``mix``), the audio lanes stage in the decode pass
(``stage``), loudness / flux / excitement lanes (``features``) and speech timing (``speech``:
speech-safe boundaries, pauses, VAD post-processing, word repair). No ML here."""
