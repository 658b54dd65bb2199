"""Cut planning: segments follow the campaign's bounds, cut only between words, prefer pauses."""

import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from asr.cuts import EDGE_PAD, Bounds, TimedWord, plan_cuts

BOUNDS = Bounds(min_seconds=2.0, max_seconds=15.0, target_seconds=10.0)


def run_of_words(start: float, gaps: list[float], *, length: float = 0.3) -> list[TimedWord]:
    """len(gaps) + 1 words of `length` seconds, separated by the given pauses."""
    words, cursor = [], start
    for k in range(len(gaps) + 1):
        words.append(TimedWord(round(cursor, 3), round(cursor + length, 3), f" w{k}", 0.9))
        if k < len(gaps):
            cursor += length + gaps[k]
    return words


def speech(seed: int, seconds: float) -> tuple[list[TimedWord], list[tuple[float, float]]]:
    """Sentences of 3-25 words, short pauses inside, longer ones (sometimes 3 s) between."""
    rng = random.Random(seed)
    words, regions, cursor = [], [], 0.5
    while cursor < seconds:
        first = cursor
        for _ in range(rng.randint(3, 25)):
            length = rng.uniform(0.15, 0.6)
            words.append(TimedWord(round(cursor, 2), round(cursor + length, 2), " w", 0.9))
            cursor += length + rng.choice([0.0, 0.02, 0.05, 0.1, 0.25])
        regions.append((max(first - 0.2, 0.0), cursor + 0.2))
        cursor += rng.choice([0.3, 0.5, 0.8, 1.2, 3.0])
    return words, regions


def assert_well_cut(segments, words, duration, bounds=BOUNDS):
    assert segments, "nothing planned"
    for segment in segments:
        assert bounds.min_seconds - 1e-6 <= segment.duration <= bounds.max_seconds + 1e-6, segment
        assert 0.0 <= segment.start < segment.end <= duration
    for before, after in zip(segments, segments[1:], strict=False):
        assert before.end <= after.start
    planned = [k for s in segments for k in s.words]
    assert sorted(planned) == list(range(len(words))), "every word in exactly one segment"
    for segment in segments:
        for k in segment.words:
            assert segment.start <= words[k].start and words[k].end <= segment.end, (segment, k)
    edges = [edge for s in segments for edge in (s.start, s.end)]
    for word in words:
        assert not any(word.start < edge < word.end for edge in edges), word


def test_generated_speech_is_cut_within_bounds_and_never_inside_a_word():
    for seed in range(20):
        words, regions = speech(seed, 300.0)
        duration = words[-1].end + 1.0
        segments = plan_cuts(regions=regions, words=words, duration=duration, bounds=BOUNDS)
        assert_well_cut(segments, words, duration)
        lengths = sorted(s.duration for s in segments)
        assert 5.0 < lengths[len(lengths) // 2] < 15.0, lengths  # aims at the target


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    bounds=st.sampled_from(
        [Bounds(2, 15, 10), Bounds(1, 8, 4), Bounds(4, 30, 20), Bounds(2, 6, 6), Bounds(2, 4, 3)]
    ),
)
def test_any_speech_and_bounds(seed, bounds):
    words, regions = speech(seed, 120.0)
    duration = words[-1].end + 1.0
    segments = plan_cuts(regions=regions, words=words, duration=duration, bounds=bounds)
    assert_well_cut(segments, words, duration, bounds)


def test_a_run_longer_than_the_longest_segment_is_cut_at_its_largest_pause():
    gaps = [0.05] * 50
    gaps[24] = 0.3  # after word 24, about 8.5 s into a 17.5 s run
    words = run_of_words(1.0, gaps)
    segments = plan_cuts(regions=[], words=words, duration=20.0, bounds=BOUNDS)
    assert [s.words for s in segments] == [tuple(range(25)), tuple(range(25, 51))]
    assert words[24].end <= segments[0].end <= segments[1].start <= words[25].start


def test_a_run_without_any_pause_is_still_cut_between_words():
    words = run_of_words(0.0, [0.0] * 99)  # 30 s of words touching each other
    segments = plan_cuts(regions=[], words=words, duration=30.0, bounds=BOUNDS)
    assert_well_cut(segments, words, 30.0)
    assert len(segments) in (2, 3)


def test_the_longest_pauses_win_over_exact_target_lengths():
    # Pauses of 0.8 s after 7 s and after 14 s, 0.02 s everywhere else: 21 s of speech.
    gaps = [0.02] * 60
    gaps[19], gaps[39] = 0.8, 0.8
    words = run_of_words(0.5, gaps)
    segments = plan_cuts(regions=[], words=words, duration=25.0, bounds=BOUNDS)
    assert len(segments) >= 2
    assert {s.words[0] for s in segments} <= {0, 20, 40}


def test_a_long_silence_always_ends_a_segment_and_edges_are_padded():
    first = run_of_words(1.0, [0.05] * 9)  # 1.0 .. 4.45
    second = run_of_words(7.0, [0.05] * 9)  # 7.0 .. 10.45, after a 2.55 s silence
    words = first + second
    segments = plan_cuts(regions=[], words=words, duration=14.0, bounds=BOUNDS)
    assert [s.words for s in segments] == [tuple(range(10)), tuple(range(10, 20))]
    assert segments[0].start == round(1.0 - EDGE_PAD, 3)
    assert segments[0].end == round(4.45 + EDGE_PAD, 3)
    assert segments[1].start == round(7.0 - EDGE_PAD, 3)


def test_a_lone_short_word_is_padded_into_the_silence_up_to_the_shortest_segment():
    words = [TimedWord(5.0, 5.4, " yes", 0.9)]
    (segment,) = plan_cuts(regions=[(4.8, 5.6)], words=words, duration=10.0, bounds=BOUNDS)
    assert segment.duration >= 2.0
    assert segment.start < 5.0 and segment.end > 5.4
    assert abs((5.0 - segment.start) - (segment.end - 5.4)) < 1e-6  # padded evenly


def test_padding_never_reaches_past_the_source_or_into_a_neighbour():
    words = run_of_words(0.0, [0.05] * 30)  # starts at the very first sample
    duration = words[-1].end + 0.1
    segments = plan_cuts(regions=[], words=words, duration=duration, bounds=BOUNDS)
    assert segments[0].start == 0.0 and segments[-1].end <= duration


def test_speech_without_words_becomes_its_own_segment():
    words = run_of_words(1.0, [0.05] * 9)  # 1.0 .. 4.45
    regions = [(0.8, 4.7), (10.0, 13.0)]  # the second: VAD speech Whisper left without words
    segments = plan_cuts(regions=regions, words=words, duration=20.0, bounds=BOUNDS)
    assert len(segments) == 2
    assert segments[1].words == () and segments[1].wordless == 3.0
    assert segments[1].start <= 10.0 and segments[1].end >= 13.0


def test_long_speech_without_words_is_split_within_bounds():
    regions = [(5.0, 45.0)]
    segments = plan_cuts(regions=regions, words=[], duration=50.0, bounds=BOUNDS)
    assert len(segments) == 4
    assert all(2.0 <= s.duration <= 15.0 and s.words == () for s in segments)
    assert segments[0].start <= 5.0 and segments[-1].end >= 45.0


def test_words_cover_their_region_so_nothing_wordless_is_reported():
    words = run_of_words(1.0, [0.05] * 9)
    segments = plan_cuts(regions=[(0.6, 4.9)], words=words, duration=6.0, bounds=BOUNDS)
    assert [s.wordless for s in segments] == [0.0]


def test_overlapping_word_timings_are_kept_apart():
    words = [TimedWord(1.0, 1.5, " a", 0.9), TimedWord(1.45, 1.9, " b", 0.9)]
    (segment,) = plan_cuts(regions=[], words=words, duration=4.0, bounds=BOUNDS)
    assert segment.words == (0, 1)


def test_nothing_to_cut():
    assert plan_cuts(regions=[], words=[], duration=60.0, bounds=BOUNDS) == []
    assert plan_cuts(regions=[(1.0, 1.5)], words=[], duration=60.0, bounds=BOUNDS) == []


def test_two_hours_of_words_plan_in_well_under_a_second_per_ten_minutes():
    words, regions = speech(7, 7200.0)
    started = time.perf_counter()
    segments = plan_cuts(regions=regions, words=words, duration=7300.0, bounds=BOUNDS)
    assert time.perf_counter() - started < 10.0
    assert len(segments) > 400


def test_a_word_timed_over_a_long_pause_cannot_make_a_segment_longer_than_the_longest():
    # Whisper's alignment stretched "w0" back over 20 s of silence: a 20.3 s "word".
    words = [TimedWord(0.0, 20.3, " w0", 0.9), *run_of_words(20.6, [0.2] * 8)]
    planned = plan_cuts(regions=[(19.9, 24.0)], words=words, duration=30.0, bounds=BOUNDS)
    assert planned and all(s.duration <= BOUNDS.max_seconds for s in planned)
    assert planned[0].words[0] == 0 and planned[0].end >= 20.3  # the word itself stays in
