"""Honest model cards: what a reader must know before trusting the validation figures."""

from __future__ import annotations

from models.actions.train import card_warnings


def _card(videos: int, spans: int, split: str = "by video", val: int = 200, per_class: dict | None = None) -> dict:
    pc = per_class or {"background": {"support": 100}, "forehand": {"support": 50}, "backhand": {"support": 50}}
    return {"data": {"videos": [f"v{i}" for i in range(videos)], "labelled_spans": spans, "split": split,
                     "spans_per_class": {"forehand": spans // 2, "backhand": spans - spans // 2}},
            "validation": {"window_level": {"examples": val, "per_class": pc}} if val else None}


def test_eleven_scraps_from_one_clip_are_flagged() -> None:
    w = card_warnings(_card(1, 11, "by time within the only video (last part held out)", val=6,
                            per_class={"background": {"support": 4}, "forehand": {"support": 2},
                                       "backhand": {"support": 0}}))
    text = " | ".join(w)
    assert "one video" in text and "only 11 labelled spans" in text and "only 6 validation windows" in text
    assert "no validation examples of: backhand" in text and "fewer than 8 labelled spans" in text


def test_enough_data_from_several_videos_has_no_warning() -> None:
    assert card_warnings(_card(6, 120)) == []
    assert any("nothing was measured" in w for w in card_warnings(_card(6, 120, val=0)))
