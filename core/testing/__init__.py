"""Fixture generators for tests, benchmarks and the demo, kept out of the product path: synthetic
edits with ground truth (``synth``), seeded randomised edits of real shared footage split into
tuning and held-out sources (``edits``), a burned-in scoreboard (``scoreboard``), VAD evaluation
helpers (``vad_eval``) and the demo project (``demo``). Product code never imports this package
(import-linter contract)."""
