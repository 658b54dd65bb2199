"""ASR error: WER and CER of the Whisper draft against the approved transcript, per group.

A group's error is corpus-level (total edits / total reference units), not a mean of per-clip
rates, so one two-word clip cannot swing a cell. Its 95% confidence interval comes from a seeded
bootstrap over clips: resample the group's clips with replacement, recompute the ratio, take the
2.5th and 97.5th percentiles. Same data, same seed, same interval.
"""

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext_lazy as _

from labelhub.analytics.facts import ClipFacts, campaign_clips, clip_in_cell
from labelhub.campaigns.models import Campaign, QuotaCell
from labelhub.text_metrics import EditCounts, edit_counts

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20240601
# Dimensions a PM can slice by; "cell" uses the campaign's quota cells (a clip may be in several).
DIMENSIONS = (
    "campaign",
    "cell",
    "age_band",
    "gender",
    "dialect",
    "region",
    "environment",
    "channel",
    "device",
    "model",
)
DIMENSION_LABELS = {
    "campaign": _("campaign"),
    "cell": _("quota cell"),
    "age_band": _("age band"),
    "gender": _("gender"),
    "dialect": _("dialect"),
    "region": _("region"),
    "environment": _("environment"),
    "channel": _("channel"),
    "device": _("device"),
    "model": _("ASR model"),
}


@dataclass(frozen=True)
class ClipError:
    clip: ClipFacts
    counts: EditCounts


@dataclass(frozen=True)
class Rate:
    value: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class GroupError:
    dimension: str
    group: str
    clips: int
    words: int
    chars: int
    wer: Rate | None
    cer: Rate | None
    # Spread of the per-clip rates of the headline unit: sizes the clips a tighter CI needs.
    clip_sd: float

    def headline(self, language: str) -> Rate | None:
        return self.cer if headline_unit(language) == "cer" else self.wer


def headline_unit(language: str) -> str:
    """Korean, Japanese and Chinese are measured in characters; word counts mean little there."""
    return "cer" if language.split("-")[0].lower() in {"ko", "ja", "zh"} else "wer"


def clip_errors(*, clips: list[ClipFacts]) -> list[ClipError]:
    """Per-clip edit counts for approved clips that have both a draft and a final text."""
    return [
        ClipError(clip, edit_counts(reference=clip.final_text, hypothesis=clip.draft_text))
        for clip in clips
        if clip.approved and clip.draft_text is not None and clip.final_text is not None
    ]


def corpus_rate(
    edits: np.ndarray,
    units: np.ndarray,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Rate | None:
    total = units.sum()
    if total == 0:
        return None
    rng = np.random.default_rng(seed)
    ratios = []
    # In chunks, so a cell of 50,000 clips needs tens of megabytes, not gigabytes.
    chunk = max(1, min(resamples, 2_000_000 // len(units)))
    for start in range(0, resamples, chunk):
        picks = rng.integers(0, len(units), size=(min(chunk, resamples - start), len(units)))
        sampled_units = np.maximum(units[picks].sum(axis=1), 1)
        ratios.append(edits[picks].sum(axis=1) / sampled_units)
    low, high = np.percentile(np.concatenate(ratios), [2.5, 97.5])
    return Rate(value=float(edits.sum() / total), low=float(low), high=float(high))


def group_error(
    dimension: str, group: str, errors: list[ClipError], *, language: str, seed: int
) -> GroupError:
    word_edits = np.array([e.counts.word_edits for e in errors])
    words = np.array([e.counts.words for e in errors])
    char_edits = np.array([e.counts.char_edits for e in errors])
    chars = np.array([e.counts.chars for e in errors])
    edits, units = (char_edits, chars) if headline_unit(language) == "cer" else (word_edits, words)
    per_clip = edits[units > 0] / units[units > 0]
    return GroupError(
        dimension=dimension,
        group=group,
        clips=len(errors),
        words=int(words.sum()),
        chars=int(chars.sum()),
        wer=corpus_rate(word_edits, words, seed=seed),
        cer=corpus_rate(char_edits, chars, seed=seed),
        clip_sd=float(per_clip.std(ddof=1)) if len(per_clip) > 1 else 0.0,
    )


def asr_error_by(
    *,
    campaign: Campaign,
    dimension: str,
    clips: list[ClipFacts] | None = None,
    seed: int = BOOTSTRAP_SEED,
) -> list[GroupError]:
    """WER and CER with 95% bootstrap intervals per group, largest group first.

    `dimension` is one of DIMENSIONS, or several joined by "+" ("dialect+age_band+environment")
    for crossed groups such as "jeolla / 60s / car".
    """
    parts = dimension.split("+")
    if any(part not in DIMENSIONS for part in parts) or ("cell" in parts and len(parts) > 1):
        raise ValueError(f"unknown dimension {dimension!r}; one of {', '.join(DIMENSIONS)}")
    clips = campaign_clips(campaign=campaign) if clips is None else clips
    errors = clip_errors(clips=clips)
    groups: dict[str, list[ClipError]] = defaultdict(list)
    if dimension == "cell":
        for cell in QuotaCell.objects.filter(campaign=campaign):
            groups[str(cell)] = [e for e in errors if clip_in_cell(e.clip, cell)]
    else:
        for error in errors:
            name = " / ".join(group_of(error.clip, part, campaign) for part in parts)
            groups[name].append(error)
    rows = [
        group_error(dimension, name, members, language=campaign.language, seed=seed)
        for name, members in groups.items()
        if members
    ]
    return sorted(rows, key=lambda row: (-row.clips, row.group))


def group_of(clip: ClipFacts, dimension: str, campaign: Campaign) -> str:
    if dimension == "campaign":
        return campaign.name
    if dimension == "model":
        return clip.draft_model or "—"
    return clip.value(dimension) or "—"


def clips_for_half_width(*, clip_sd: float, half_width: float) -> int:
    """Clips needed so a 95% interval's half-width is about `half_width`: n = (1.96·σ/w)²."""
    if half_width <= 0:
        raise ValueError("the half-width must be positive")
    return max(math.ceil((1.96 * clip_sd / half_width) ** 2), 1)


def describe(row: GroupError, *, language: str, label: str | None = None) -> str:
    """The sentence a PM reads: "jeolla: CER 31% ± 4 (n=57)" (`label`: the group's display
    name, e.g. "전라 방언", instead of its code)."""
    unit = headline_unit(language)
    rate = row.headline(language)
    name = row.group if label is None else label
    if rate is None:
        return f"{name}: {unit.upper()} — (n={row.clips})"
    return (
        f"{name}: {unit.upper()} {rate.value * 100:.0f}% "
        f"± {rate.half_width * 100:.0f} (n={row.clips})"
    )
