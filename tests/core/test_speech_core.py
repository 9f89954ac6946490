"""core.audio.speech: speech-safe boundaries, pauses, VAD hysteresis, word timing repair, WER, frame F1."""

from __future__ import annotations

import numpy as np
import pytest

from core.segments import SPEECH, Segment
from core.audio.speech import (
    VadParams, Word, frame_f1, frame_range, is_inside_speech, pauses, regions_from_probabilities,
    repair_word_times, speech_blocks, speech_safe_boundary, word_error_rate,
)
from core.timebase import FrameClock, Rate


def seg(a: int, b: int, sid: int | None = None) -> Segment:
    return Segment(SPEECH, a, b, "words", id=sid)


SPEECH_SEGS = [seg(10, 50, 1), seg(80, 120, 2), seg(120, 150, 3)]  # 2 and 3 touch: one block


def test_boundary_outside_speech_is_untouched():
    for f in (0, 5, 10, 50, 60, 80, 150, 200):
        b = speech_safe_boundary(f, SPEECH_SEGS)
        assert not b.inside_speech and b.frame == f == b.original and b.segment_id is None
        assert not b.moved


def test_boundary_inside_speech_snaps_to_nearest_pause_edge():
    b = speech_safe_boundary(20, SPEECH_SEGS)
    assert b.inside_speech and b.frame == 10 and b.original == 20 and b.segment_id == 1 and b.moved
    b = speech_safe_boundary(45, SPEECH_SEGS)
    assert b.frame == 50
    # The join between two touching segments is not a pause: snap to the block's edges.
    b = speech_safe_boundary(120, SPEECH_SEGS)
    assert b.inside_speech and b.frame in (80, 150) and b.segment_id == 2
    assert is_inside_speech(120, SPEECH_SEGS) and not is_inside_speech(50, SPEECH_SEGS)


def test_boundary_preference_and_max_shift():
    assert speech_safe_boundary(20, SPEECH_SEGS, prefer="later").frame == 50
    assert speech_safe_boundary(45, SPEECH_SEGS, prefer="earlier").frame == 10
    # Preferred edge too far: the other edge is used when within reach.
    assert speech_safe_boundary(45, SPEECH_SEGS, max_shift=10, prefer="earlier").frame == 50
    # No edge within reach: flagged, left in place.
    b = speech_safe_boundary(100, SPEECH_SEGS, max_shift=5)
    assert b.inside_speech and b.frame == 100 and not b.moved and b.segment_id == 2
    with pytest.raises(ValueError):
        speech_safe_boundary(20, SPEECH_SEGS, prefer="middle")


def test_pauses_and_blocks():
    assert speech_blocks(SPEECH_SEGS) == [(10, 50, 1), (80, 150, 2)]
    assert pauses(SPEECH_SEGS, 200) == [(0, 10), (50, 80), (150, 200)]
    assert pauses(SPEECH_SEGS, 200, min_len=20) == [(50, 80), (150, 200)]
    assert pauses([], 30) == [(0, 30)]
    assert pauses([seg(0, 30)], 30) == []


def test_vad_hysteresis_regions():
    # 10 windows silence, 20 speech with a 3-window dip, 30 silence, 5 speech
    p = np.zeros(70, np.float32)
    p[10:30] = 0.9
    p[18:21] = 0.2  # a short dip: shorter than min_silence -> same region
    p[60:65] = 0.8
    win, rate = 512, 16000
    prm = VadParams(min_silence_ms=250, min_speech_ms=100, pad_ms=0)
    r = regions_from_probabilities(p, win, rate, 70 * win, prm)
    assert r == [(10 * win, 30 * win), (60 * win, 65 * win)]
    # Padding never crosses into the next region and stays inside the audio.
    r = regions_from_probabilities(p, win, rate, 70 * win, VadParams(pad_ms=5000))
    assert r[0][0] == 0 and r[0][1] == r[1][0] and r[-1][1] == 70 * win
    # Too-short speech is dropped.
    r = regions_from_probabilities(p, win, rate, 70 * win, VadParams(min_speech_ms=500, pad_ms=0))
    assert r == [(10 * win, 30 * win)]
    # Long speech is split at its quietest window.
    q = np.full(1000, 0.9, np.float32)
    q[700] = 0.6
    r = regions_from_probabilities(q, win, rate, 1000 * win, VadParams(max_speech_s=25.0, pad_ms=0))
    assert len(r) == 2 and r[0][1] == 700 * win


def test_repair_word_times_interpolates_weak_numbers():
    words = [Word("the", 1.0, 1.2, 0.9), Word("score", 1.2, 1.6, 0.9),
             Word("2-1", 1.6, 1.6, 0.2),  # collapsed, low confidence number
             Word("in", 3.0, 3.1, 0.9), Word("the", 3.1, 3.2, 0.9),
             Word("67th", 0.0, 0.0, 0.1),  # outside the segment
             Word("minute", 3.8, 4.2, 0.9)]
    fixed = repair_word_times(words, 1.0, 4.5)
    assert [w.text for w in fixed] == [w.text for w in words]
    assert [w.interpolated for w in fixed] == [False, False, True, False, False, True, False]
    # Every word has a positive duration, inside the segment, in order.
    for a, b in zip(fixed, fixed[1:], strict=False):
        assert a.start < a.end <= b.start + 1e-9
    # "2-1" sat at 1.6 s, at the start of a 1.4 s gap: it gets a plausible length there, not the gap.
    assert fixed[2].start == pytest.approx(1.6) and 0.2 < fixed[2].end - fixed[2].start < 0.5
    # "67th" goes into the 0.6 s gap between "the" and "minute" (its own time was outside the
    # segment): right after "the", with a plausible length.
    assert fixed[5].start == pytest.approx(3.2) and 3.5 < fixed[5].end <= 3.8
    # Good words keep their times.
    assert fixed[0] == words[0] and fixed[6] == words[6]


def test_repair_word_times_makes_room_when_gap_is_empty():
    words = [Word("it's", 0.0, 0.5, 0.9), Word("3-0", 0.5, 0.5, 0.9), Word("now", 0.5, 1.0, 0.9)]
    fixed = repair_word_times(words, 0.0, 1.0)
    assert fixed[1].interpolated and fixed[1].end - fixed[1].start > 0.03
    assert fixed[0].end <= fixed[1].start + 1e-9 and fixed[1].end <= fixed[2].start + 1e-9
    assert repair_word_times([], 0, 1) == []


def test_frame_range_covers_whole_frames():
    clock = FrameClock(Rate(25, 1), 100)
    assert frame_range(clock, 0.0, 1.0) == (0, 25)
    assert frame_range(clock, 0.05, 0.95) == (1, 24)
    assert frame_range(clock, 3.9, 9.0) == (97, 100)


def test_wer_and_frame_f1():
    assert word_error_rate("Ask not what your country", "ask not what your country.") == 0.0
    assert word_error_rate("a b c d", "a x c") == pytest.approx(0.5)
    p, r, f = frame_f1([(0.0, 1.0)], [(0.0, 1.0)], 2.0)
    assert (p, r, f) == (1.0, 1.0, 1.0)
    p, r, f = frame_f1([(0.0, 2.0)], [(0.0, 1.0)], 2.0)
    assert p == pytest.approx(0.5) and r == 1.0
    # Only the scored span counts.
    p, r, f = frame_f1([(0.0, 2.0)], [(0.0, 1.0)], 2.0, scored=[(0.0, 1.0)])
    assert f == 1.0


def test_boundary_falls_back_to_a_word_edge_when_no_pause_is_in_reach():
    from core.segments import WORD

    words = [Segment(WORD, 80, 90, "ask"), Segment(WORD, 90, 104, "not"), Segment(WORD, 106, 118, "what"),
             Segment(WORD, 118, 150, "your")]
    b = speech_safe_boundary(100, SPEECH_SEGS, max_shift=5, words=words)
    assert b.inside_speech and b.frame == 104 and b.original == 100  # end of "not", not mid-word
    b = speech_safe_boundary(105, SPEECH_SEGS, max_shift=5, words=words)
    assert b.frame in (104, 106)
    # Already between words: stays put (still flagged: the sentence goes on).
    b = speech_safe_boundary(90, SPEECH_SEGS, max_shift=5, words=words)
    assert b.frame == 90 and b.inside_speech
    # No word edge in reach either: unchanged.
    b = speech_safe_boundary(130, SPEECH_SEGS, max_shift=5, words=words)
    assert b.frame == 130 and b.inside_speech
    # A pause edge in reach still wins over word edges.
    assert speech_safe_boundary(84, SPEECH_SEGS, max_shift=5, words=words).frame == 80


def test_repair_word_times_places_a_word_inside_a_pause_where_the_model_put_it():
    words = [Word("goal", 0.0, 0.4, 0.9), Word("7", 2.0, 2.0, 0.9), Word("now", 4.0, 4.3, 0.9)]
    fixed = repair_word_times(words, 0.0, 4.3)
    assert fixed[1].interpolated and fixed[1].start < 2.0 < fixed[1].end
    assert fixed[1].end - fixed[1].start < 0.5
