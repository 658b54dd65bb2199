"""A source's segment list finds each segment's draft words by bisection: the same words, in the
same order, as scanning them all, overlapping and identical-middle words included."""

import random

from labelhub.labeling.segment_selectors import SegmentContext, words_within


def test_bisected_words_equal_the_scan_for_any_window() -> None:
    rng = random.Random(7)
    words, cursor = [], 0.0
    for k in range(3000):
        start = cursor + rng.random() * 0.3  # words often overlap their neighbours
        words.append([round(start, 3), round(start + rng.random() * 0.8, 3), f" w{k}", 0.9])
        cursor = start
    words.append([1.0, 3.0, " long", 0.5])  # a word holding others, with the same middle as one
    words.append([1.9, 2.1, " short", 0.5])
    words.sort(key=lambda w: (w[0], w[1]))
    context = SegmentContext(user=None, now=None, words=words, latest={}, drafts={})
    windows = [(rng.random() * cursor, rng.random() * 20) for _ in range(500)]
    for start, length in [(0.0, 0.0), (2.0, 0.0), (1.5, 1.0), *windows]:
        assert context.words_within(start, start + length) == words_within(
            words, start, start + length
        )
