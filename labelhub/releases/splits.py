"""Speaker-disjoint, demographically stratified train/dev/test splits for a release.

Splits are sized by audio seconds, not item counts: training and evaluation budgets are stated in
hours, and prompt lengths vary a lot between speakers, so equal item counts can still give a test
set of very different size. When no item has a duration (all zero), item counts stand in.

The greedy pass guarantees that, unless ``fixed`` pins push a split over, every split ends within
one speaker (the largest) of its target: a speaker goes only to a split it fits in without
overshooting, and only when no split has room does it go to the split with the most room left.
Among the splits it fits, it takes the one its stratum (cell) needs most, which is what keeps each
split's mix of cells close to the dataset's.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SplitItem:
    item_id: str
    speaker_id: str
    cell: str  # the speaker's demographic stratum, e.g. "50s|male|gyeongsang"
    seconds: float
    # The prompt text the item reads, normalised; "" for speech that follows no prompt.
    sentence: str = ""


@dataclass
class _Speaker:
    speaker_id: str
    cell: str
    weight: float
    item_ids: list[str]


def assign_splits(
    items: Sequence[SplitItem],
    *,
    ratios: Mapping[str, float],
    seed: int,
    fixed: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Maps each item id to a split name.

    ``fixed`` maps speaker ids or item ids to the split they had in an earlier version; a pinned
    speaker keeps that split with all of its items. Keys no longer in ``items`` are ignored,
    since speakers who withdrew consent drop out between versions.
    """
    _check_ratios(ratios)
    speakers = _speakers(items)
    pins = _pins(speakers, fixed or {}, ratios)
    total = sum(s.weight for s in speakers)
    global_left = {name: ratio * total for name, ratio in ratios.items()}
    cell_left = _cell_targets(speakers, ratios)
    chosen: dict[str, str] = {}

    def place(speaker: _Speaker, split: str) -> None:
        chosen[speaker.speaker_id] = split
        global_left[split] -= speaker.weight
        cell_left[speaker.cell][split] -= speaker.weight

    for speaker in speakers:
        if speaker.speaker_id in pins:
            place(speaker, pins[speaker.speaker_id])
    for speaker in _greedy_order(speakers, seed):
        if speaker.speaker_id not in chosen:
            place(speaker, _best_split(speaker, global_left, cell_left[speaker.cell], seed))
    return {item_id: chosen[s.speaker_id] for s in speakers for item_id in s.item_ids}


def _check_ratios(ratios: Mapping[str, float]) -> None:
    if not ratios:
        raise ValueError("ratios is empty: name at least one split")
    for name, ratio in ratios.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"split names must be non-empty strings, got {name!r}")
        if not math.isfinite(ratio) or ratio <= 0:
            raise ValueError(f"ratio for split {name!r} must be positive, got {ratio!r}")
    total = math.fsum(ratios.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"ratios must sum to 1, got {total!r}")


def _speakers(items: Sequence[SplitItem]) -> list[_Speaker]:
    """One entry per speaker, sorted by id so nothing depends on the input order."""
    by_id: dict[str, _Speaker] = {}
    seen: set[str] = set()
    for item in sorted(items, key=lambda i: i.item_id):
        if item.item_id in seen:
            raise ValueError(f"item id {item.item_id!r} appears twice")
        seen.add(item.item_id)
        if not math.isfinite(item.seconds) or item.seconds < 0:
            raise ValueError(f"item {item.item_id!r} has invalid seconds {item.seconds!r}")
        speaker = by_id.setdefault(item.speaker_id, _Speaker(item.speaker_id, item.cell, 0.0, []))
        if speaker.cell != item.cell:
            raise ValueError(
                f"speaker {item.speaker_id!r} has items in cells {speaker.cell!r} and "
                f"{item.cell!r}; a cell is a speaker's demographics and must be the same"
            )
        speaker.weight += item.seconds
        speaker.item_ids.append(item.item_id)
    speakers = sorted(by_id.values(), key=lambda s: s.speaker_id)
    if not any(s.weight > 0 for s in speakers):
        for speaker in speakers:
            speaker.weight = float(len(speaker.item_ids))
    return speakers


def _pins(
    speakers: list[_Speaker], fixed: Mapping[str, str], ratios: Mapping[str, float]
) -> dict[str, str]:
    """Speaker id -> pinned split, from pins on the speaker itself or on any of its items."""
    pins: dict[str, str] = {}
    for speaker in speakers:
        keys = [speaker.speaker_id, *speaker.item_ids]
        wanted = {fixed[key] for key in keys if key in fixed}
        if len(wanted) > 1:
            raise ValueError(
                f"fixed puts speaker {speaker.speaker_id!r} in several splits: {sorted(wanted)}"
            )
        if wanted:
            split = wanted.pop()
            if split not in ratios:
                raise ValueError(f"fixed names split {split!r}, which is not in ratios")
            pins[speaker.speaker_id] = split
    return pins


def _cell_targets(
    speakers: list[_Speaker], ratios: Mapping[str, float]
) -> dict[str, dict[str, float]]:
    totals: dict[str, float] = defaultdict(float)
    for speaker in speakers:
        totals[speaker.cell] += speaker.weight
    return {
        cell: {name: ratio * total for name, ratio in ratios.items()}
        for cell, total in totals.items()
    }


def _greedy_order(speakers: list[_Speaker], seed: int) -> list[_Speaker]:
    """Smallest cells first, each cell's largest speakers first.

    Rare cells go while every split still has room, so they can spread as the ratios ask;
    big cells come last because their many speakers can absorb what is left over.
    """
    cell_size: dict[str, float] = defaultdict(float)
    for speaker in speakers:
        cell_size[speaker.cell] += speaker.weight
    return sorted(
        speakers,
        key=lambda s: (cell_size[s.cell], s.cell, -s.weight, _tiebreak(seed, s.speaker_id)),
    )


def _best_split(
    speaker: _Speaker, global_left: dict[str, float], cell_left: dict[str, float], seed: int
) -> str:
    def key(split: str) -> tuple[bool, float, float, str]:
        fits = global_left[split] >= speaker.weight
        # When no split fits, the cell's need is ignored: the split with most room overshoots least.
        need = cell_left[split] if fits else 0.0
        return (fits, need, global_left[split], _tiebreak(seed, speaker.speaker_id, split))

    return max(global_left, key=key)


def _tiebreak(seed: int, *parts: str) -> str:
    # Hashing ids (not drawing from a shared RNG) keeps ties independent of processing order.
    return hashlib.sha256("\x1f".join([str(seed), *parts]).encode()).hexdigest()
