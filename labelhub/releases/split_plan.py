"""Splits across versions: recorded speakers keep theirs, sentences stay in one split if they can.

A dataset's speakers keep the split they were first given in every later version (a client who
trained on v1 must be able to evaluate on v4 without meeting its training speakers); only
speakers never seen before are assigned, stratified as ``assign_splits`` does. A re-split,
asked for explicitly, reassigns everyone.

Read speech adds a second leak: the same prompt read by a train speaker and a test speaker.
Sentence-disjoint splits keep every prompt text in one split by assigning connected groups of
the speaker–sentence graph (speakers joined by a sentence they both read) as one unit. That
cannot always be met together with speaker-disjointness and stable splits: when one group holds
most of the audio (every speaker read the same script) or recorded speakers of different splits
share a sentence, the speakers stay disjoint, sentences may overlap, and ``note`` says why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from labelhub.releases.splits import SplitItem, assign_splits

# A sentence-disjoint assignment is kept only if each split gets at least this share of its
# target audio: below it, an evaluation split is too thin to be worth the disjointness.
MIN_SHARE_OF_TARGET = 0.5


@dataclass(frozen=True)
class SplitPlan:
    splits: dict[str, str]  # item id -> split
    speakers: dict[str, str]  # speaker id -> split
    sentence_disjoint: bool  # whether no sentence is in two splits by construction
    note: str  # why sentence-disjoint splits were not made, when they were wanted


def sentence_key(text: str) -> str:
    """Prompt texts that differ only in case or spacing are the same sentence."""
    return " ".join(text.split()).casefold()


def sentences_repeat(items: Sequence[SplitItem]) -> bool:
    """Whether some sentence is read by more than one speaker: then it could leak."""
    readers: dict[str, set[str]] = defaultdict(set)
    for item in items:
        if item.sentence:
            readers[item.sentence].add(item.speaker_id)
    return any(len(speakers) > 1 for speakers in readers.values())


def plan_splits(
    items: Sequence[SplitItem],
    *,
    ratios: Mapping[str, float],
    seed: int,
    recorded: Mapping[str, str],
    resplit: bool = False,
    sentence_disjoint: bool | None = None,
) -> SplitPlan:
    """Splits a version's items, keeping each recorded speaker's split unless ``resplit``.

    ``sentence_disjoint`` None means: when some sentence is read by two speakers.
    """
    pins = {} if resplit else _present_pins(items, recorded, ratios)
    wanted = sentences_repeat(items) if sentence_disjoint is None else sentence_disjoint
    note = ""
    if wanted:
        grouped, note = _by_sentence_groups(items, ratios=ratios, seed=seed, pins=pins)
        if grouped is not None:
            return _plan(items, grouped, sentence_disjoint=True, note="")
    splits = assign_splits(items, ratios=ratios, seed=seed, fixed=pins)
    return _plan(items, splits, sentence_disjoint=False, note=note)


def _present_pins(
    items: Sequence[SplitItem], recorded: Mapping[str, str], ratios: Mapping[str, float]
) -> dict[str, str]:
    present = {item.speaker_id for item in items}
    pins = {key: split for key, split in recorded.items() if key in present}
    for key, split in sorted(pins.items()):
        if split not in ratios:
            raise ValueError(
                f"speaker {key!r} keeps split {split!r} from an earlier version, but "
                f"split_ratios has no {split!r}: keep the split or ask for a resplit"
            )
    return pins


def _plan(
    items: Sequence[SplitItem], splits: dict[str, str], *, sentence_disjoint: bool, note: str
) -> SplitPlan:
    speakers = {item.speaker_id: splits[item.item_id] for item in items}
    return SplitPlan(splits, speakers, sentence_disjoint, note)


def _by_sentence_groups(
    items: Sequence[SplitItem],
    *,
    ratios: Mapping[str, float],
    seed: int,
    pins: Mapping[str, str],
) -> tuple[dict[str, str] | None, str]:
    """Assigns each connected speaker–sentence group whole, or (None, why it cannot)."""
    group_of = _groups(items)
    group_pins: dict[str, set[str]] = defaultdict(set)
    for speaker, split in pins.items():
        group_pins[group_of[speaker]].add(split)
    if any(len(splits) > 1 for splits in group_pins.values()):
        return None, (
            "speakers kept in different splits by earlier versions read the same sentences"
        )
    cells = _dominant_cells(items, group_of)
    units = [
        replace(item, speaker_id=group_of[item.speaker_id], cell=cells[group_of[item.speaker_id]])
        for item in items
    ]
    fixed = {group: splits.pop() for group, splits in group_pins.items()}
    splits = assign_splits(units, ratios=ratios, seed=seed, fixed=fixed)
    if not _every_split_filled(items, splits, ratios):
        return None, (
            "the speakers and sentences form too few separate groups to fill every split "
            f"(the largest group has {_largest_group_share(items, group_of):.0%} of the audio)"
        )
    return splits, ""


def _groups(items: Sequence[SplitItem]) -> dict[str, str]:
    """Speaker id -> its group's name (the group's smallest speaker id), by union-find."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for item in items:
        root(item.speaker_id)
        if item.sentence:
            first, second = root(item.speaker_id), root("\x00" + item.sentence)
            if first != second:
                parent[max(first, second)] = min(first, second)
    speakers = sorted({item.speaker_id for item in items})
    members: dict[str, list[str]] = defaultdict(list)
    for speaker in speakers:
        members[root(speaker)].append(speaker)
    return {speaker: group[0] for group in members.values() for speaker in group}


def _dominant_cells(items: Sequence[SplitItem], group_of: Mapping[str, str]) -> dict[str, str]:
    # A group mixes cells; stratifying by the cell holding most of its audio is the closest fit.
    weights: defaultdict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in items:
        weights[group_of[item.speaker_id]][item.cell] += item.seconds or 1.0
    return {
        group: min(counter, key=lambda cell: (-counter[cell], cell))
        for group, counter in weights.items()
    }


def _weights(items: Sequence[SplitItem]) -> list[tuple[SplitItem, float]]:
    # As assign_splits does: audio seconds, or item counts when no item has a duration.
    timed = any(item.seconds > 0 for item in items)
    return [(item, item.seconds if timed else 1.0) for item in items]


def _every_split_filled(
    items: Sequence[SplitItem], splits: Mapping[str, str], ratios: Mapping[str, float]
) -> bool:
    weighted = _weights(items)
    total = sum(weight for _, weight in weighted)
    got: defaultdict[str, float] = defaultdict(float)
    for item, weight in weighted:
        got[splits[item.item_id]] += weight
    return all(got[name] >= MIN_SHARE_OF_TARGET * ratio * total for name, ratio in ratios.items())


def _largest_group_share(items: Sequence[SplitItem], group_of: Mapping[str, str]) -> float:
    weighted = _weights(items)
    per_group: defaultdict[str, float] = defaultdict(float)
    for item, weight in weighted:
        per_group[group_of[item.speaker_id]] += weight
    total = sum(per_group.values())
    return max(per_group.values()) / total if total else 1.0


def split_overlap(
    items: Sequence[SplitItem], splits: Mapping[str, str], names: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Per split pair ("train/test"): speakers and distinct sentences found in both."""
    speakers: dict[str, set[str]] = defaultdict(set)
    sentences: dict[str, set[str]] = defaultdict(set)
    for item in items:
        split = splits[item.item_id]
        speakers[split].add(item.speaker_id)
        if item.sentence:
            sentences[split].add(item.sentence)
    return {
        f"{first}/{second}": {
            "speakers": len(speakers[first] & speakers[second]),
            "sentences": len(sentences[first] & sentences[second]),
        }
        for first, second in combinations(names, 2)
    }
