"""Speech: Silero voice activity (``vad``), faster-whisper transcription (``asr``) and the
``speech`` stage (``stage``)."""
