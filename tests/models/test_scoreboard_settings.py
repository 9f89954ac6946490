"""The scoreboard's settings reach the stage: ``models.stages.available_stages`` passes every
parameter the stage takes (``sample_fps`` was dropped once), and they change its parameters (so
a changed setting re-runs the stage)."""

from __future__ import annotations

from models.scoreboard.stage import ScoreboardStage
from models.stages import available_stages


def _scoreboard(settings: dict) -> ScoreboardStage:  # type: ignore[type-arg]
    stages = [s for s in available_stages(settings) if isinstance(s, ScoreboardStage)]
    assert len(stages) == 1
    return stages[0]


def test_every_scoreboard_setting_reaches_the_stage():
    sb = {"read_fps": 2.0, "relocate_s": 9.0, "min_period_s": 30.0, "sample_fps": 4.0}
    stage = _scoreboard({"scoreboard": sb})
    assert stage.params() == {**stage.params(), **sb}
    default = _scoreboard({})
    assert default.sample_fps == ScoreboardStage().sample_fps
    for key, value in sb.items():
        assert default.params()[key] != value, key  # each one is a real change from the default
        assert _scoreboard({"scoreboard": {key: value}}).params()[key] == value
