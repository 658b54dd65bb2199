"""Cut planning for long-form sources: where one utterance ends and the next begins.

Pure functions over times in seconds (no Django, no model): the input is the speech regions
voice activity detection found and the words Whisper timed; the output is spans of the source.
A cut only ever falls in a gap between two words, so no word is split. Within a stretch of
speech the cuts are chosen by dynamic programming: every segment should be near the target
length, every cut in as long a pause as possible, and lengths outside [shortest, longest] cost
far more than anything else, so they happen only where nothing else is possible (a source
shorter than the shortest segment). Pauses of at least HARD_GAP always end a segment: an
utterance never holds a long silence. Speech VAD heard but Whisper left without words is kept
as atoms too (a segment of its own, or part of a word segment, and counted), so nobody's speech
is silently dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

# Silence kept on each side of a segment's outer words, where the gap allows (half of it at
# most, so neighbours never overlap): a cut right at a word's edge clips its onset or release.
EDGE_PAD = 0.25
# A pause this long always ends a segment (raised to the shortest segment when that is longer,
# so the segments on both sides can still be padded up to it).
HARD_GAP = 2.0
# VAD speech with no word within it for this long counts as speech Whisper left untranscribed.
UNCOVERED_MIN = 1.0
# How fast the cost of a cut falls with its pause: a 0.2 s pause costs a third of no pause.
PAUSE_SCALE = 0.2
# No spoken word lasts longer than this. Whisper's word alignment sometimes stretches the first
# word after a pause back over the pause; kept as timed, such a "word" could hold more than the
# longest segment, which no cut may then shorten. Its end is kept: that is where it was said.
MAX_WORD_SECONDS = 3.0
# A second outside [shortest, longest] costs more than any amount of pause or length cost.
VIOLATION = 1000.0


@dataclass(frozen=True)
class Bounds:
    min_seconds: float = 2.0
    max_seconds: float = 15.0
    target_seconds: float = 10.0


@dataclass(frozen=True)
class TimedWord:
    start: float
    end: float
    text: str
    probability: float
    ref: int = -1  # opaque to the planner: lets the caller find the word's decoding again


@dataclass(frozen=True)
class Atom:
    """A piece of speech no cut may enter: one word, or a stretch of speech without words."""

    start: float
    end: float
    word: int | None  # index into the words given to plan_cuts; None for wordless speech


@dataclass(frozen=True)
class PlannedSegment:
    start: float
    end: float
    words: tuple[int, ...]  # indices into the words given to plan_cuts, in time order
    wordless: float  # seconds of speech in the segment that no word covers
    core_start: float  # where its first word (or wordless speech) starts: edges stay outside
    core_end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def plan_cuts(
    *,
    regions: list[tuple[float, float]],
    words: list[TimedWord],
    duration: float,
    bounds: Bounds = Bounds(),
) -> list[PlannedSegment]:
    """Segments covering every word and every stretch of wordless speech, in time order."""
    atoms = _atoms(regions, words, duration, bounds)
    if not atoms:
        return []
    hard_gap = max(HARD_GAP, bounds.min_seconds)
    blocks, current = [], [atoms[0]]
    for atom in atoms[1:]:
        if atom.start - current[-1].end >= hard_gap:
            blocks.append(current)
            current = []
        current.append(atom)
    blocks.append(current)
    planned: list[PlannedSegment] = []
    for i, block in enumerate(blocks):
        # A block may take the silence up to half the gap to its neighbours, or to the edges.
        left = block[0].start - (blocks[i - 1][-1].end if i else 0.0)
        right = (blocks[i + 1][0].start if i + 1 < len(blocks) else duration) - block[-1].end
        before = left / 2 if i else left
        after = right / 2 if i + 1 < len(blocks) else right
        planned.extend(_plan_block(block, before, after, bounds))
    return _tidy(planned, duration)


def _atoms(
    regions: list[tuple[float, float]], words: list[TimedWord], duration: float, bounds: Bounds
) -> list[Atom]:
    atoms: list[Atom] = []
    last_end = 0.0
    # Words in time order, each starting no earlier than the previous one ended: Whisper's
    # timings of neighbouring words can overlap by a frame.
    for index in sorted(range(len(words)), key=lambda k: (words[k].start, words[k].end)):
        word = words[index]
        end = min(max(word.end, last_end, 0.0), duration)
        start = min(max(word.start, last_end, end - MAX_WORD_SECONDS, 0.0), end)
        atoms.append(Atom(start, end, index))
        last_end = end
    covered = [(a.start, a.end) for a in atoms]
    for start, end in _uncovered(regions, covered):
        atoms.extend(_wordless_atoms(start, end, bounds))
    return sorted(atoms, key=lambda a: (a.start, a.end))


def _uncovered(
    regions: list[tuple[float, float]], covered: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Parts of the speech regions, at least UNCOVERED_MIN long, that no word touches."""
    spans = []
    for r_start, r_end in sorted(regions):
        cursor = r_start
        for c_start, c_end in covered:
            if c_end <= cursor or c_start >= r_end:
                continue
            if c_start - cursor >= UNCOVERED_MIN:
                spans.append((cursor, c_start))
            cursor = max(cursor, c_end)
        if r_end - cursor >= UNCOVERED_MIN:
            spans.append((cursor, r_end))
    return spans


def _wordless_atoms(start: float, end: float, bounds: Bounds) -> list[Atom]:
    # Nothing to keep whole in speech without words: equal pieces near the target length.
    pieces = max(1, math.ceil((end - start) / bounds.target_seconds))
    step = (end - start) / pieces
    return [Atom(start + k * step, start + (k + 1) * step, None) for k in range(pieces)]


def _plan_block(
    block: list[Atom], before: float, after: float, bounds: Bounds
) -> list[PlannedSegment]:
    """The cheapest cutting of a stretch of speech with no hard gap, by dynamic programming."""
    n = len(block)
    gaps = [block[k + 1].start - block[k].end for k in range(n - 1)]
    # best[b]: the least cost of cutting atoms [0, b); choice[b]: where its last segment starts.
    best = [0.0] + [math.inf] * n
    choice = [0] * (n + 1)
    for stop in range(1, n + 1):
        last = stop - 1
        room_after = after if stop == n else gaps[last] / 2
        for first in range(last, -1, -1):
            core = block[last].end - block[first].start
            if core > bounds.max_seconds and first != last:
                break  # longer spans only grow; a single atom is always allowed
            room_before = before if first == 0 else gaps[first - 1] / 2
            start, end = _padded(
                block[first].start, block[last].end, room_before, room_after, bounds
            )
            cost = best[first] + _length_cost(end - start, bounds)
            if first > 0:
                cost += math.exp(-max(gaps[first - 1], 0.0) / PAUSE_SCALE)
            if cost < best[stop]:
                best[stop], choice[stop] = cost, first
    segments, stop = [], n
    while stop > 0:
        first = choice[stop]
        room_before = before if first == 0 else gaps[first - 1] / 2
        room_after = after if stop == n else gaps[stop - 1] / 2
        start, end = _padded(
            block[first].start, block[stop - 1].end, room_before, room_after, bounds
        )
        chosen = block[first:stop]
        segments.append(
            PlannedSegment(
                start=start,
                end=end,
                words=tuple(a.word for a in chosen if a.word is not None),
                wordless=sum(a.end - a.start for a in chosen if a.word is None),
                core_start=block[first].start,
                core_end=block[stop - 1].end,
            )
        )
        stop = first
    return segments[::-1]


def _padded(
    start: float, end: float, room_before: float, room_after: float, bounds: Bounds
) -> tuple[float, float]:
    """The span with EDGE_PAD of silence each side where there is room, more where it is
    shorter than the shortest segment, less where the padding would make it too long."""
    before, after = min(EDGE_PAD, room_before), min(EDGE_PAD, room_after)
    short = bounds.min_seconds - (end - start + before + after)
    if short > 0:
        # Half of what is missing on each side, then whatever one side lacks from the other.
        extra_before = min(room_before - before, short / 2)
        extra_after = min(room_after - after, short - extra_before)
        extra_before = min(room_before - before, short - extra_after)
        before, after = before + extra_before, after + extra_after
    over = (end - start + before + after) - bounds.max_seconds
    if over > 0:
        trim = min(over, before + after)
        share = before / (before + after) if before + after else 0.0
        before, after = before - trim * share, after - trim * (1 - share)
    return start - before, end + after


def _length_cost(length: float, bounds: Bounds) -> float:
    spread = max(bounds.max_seconds - bounds.min_seconds, 1.0)
    cost = ((length - bounds.target_seconds) / spread) ** 2
    outside = max(bounds.min_seconds - length, 0.0) + max(length - bounds.max_seconds, 0.0)
    return cost + VIOLATION * outside


def _tidy(planned: list[PlannedSegment], duration: float) -> list[PlannedSegment]:
    """Millisecond edges (what the database keeps) inside the source, never inside their outer
    words, and clear of each other."""
    tidy: list[PlannedSegment] = []
    for segment in planned:
        start = min(round(max(segment.start, 0.0), 3), segment.core_start)
        end = max(round(min(segment.end, duration), 3), segment.core_end)
        if tidy and start < tidy[-1].end:
            start = tidy[-1].end
        if end <= start:
            continue
        tidy.append(replace(segment, start=float(start), end=float(end)))
    return tidy
