"""ASR error: WER and CER of the Whisper draft against the approved transcript, per group.

A group's error is corpus-level (total edits / total reference units), not a mean of per-clip
rates, so one two-word clip cannot swing a cell. Its 95% confidence interval is the normal
approximation of that ratio (sums.ratio_interval), computed in SQL sums over the clip facts:
the same data gives the same interval, and a million clips cost one GROUP BY.
"""

import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from labelhub.analytics.sums import (
    FactSums,
    Rate,
    campaign_sums,
    ratio_interval,
    spread,
)
from labelhub.campaigns.models import Campaign

__all__ = ["DIMENSIONS", "GroupError", "Rate", "asr_error_by", "describe", "headline_unit"]

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
# The ClipFact column each dimension groups on ("campaign" groups on nothing).
COLUMNS = {"model": "draft_model", **{name: name for name in DIMENSIONS[2:9]}}


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


def group_error(dimension: str, group: str, sums: dict, *, language: str) -> GroupError:
    """A group's error figures from its ERROR_SUMS."""
    unit = headline_unit(language)
    n = int(sums["clips"])
    return GroupError(
        dimension=dimension,
        group=group,
        clips=n,
        words=int(sums["words"]),
        chars=int(sums["chars"]),
        wer=_rate(n, sums, "word"),
        cer=_rate(n, sums, "char"),
        clip_sd=spread(
            n=int(sums[f"{unit}_n"]), total=sums[f"{unit}_sum"], squares=sums[f"{unit}_sq"]
        ),
    )


def _rate(n: int, sums: dict, unit: str) -> Rate | None:
    return ratio_interval(
        n=n,
        edits=sums[f"{unit}_edits"],
        units=sums[f"{unit}s"],
        edits_sq=sums[f"{unit}_edits_sq"],
        units_sq=sums[f"{unit}s_sq"],
        cross=sums[f"{unit}_cross"],
    )


def check_dimension(dimension: str) -> list[str]:
    parts = dimension.split("+")
    if any(part not in DIMENSIONS for part in parts) or ("cell" in parts and len(parts) > 1):
        raise ValueError(f"unknown dimension {dimension!r}; one of {', '.join(DIMENSIONS)}")
    return parts


def asr_error_by(
    *, campaign: Campaign, dimension: str, facts: FactSums | None = None
) -> list[GroupError]:
    """WER and CER with 95% intervals per group, largest group first.

    `dimension` is one of DIMENSIONS, or several joined by "+" ("dialect+age_band+environment")
    for crossed groups such as "jeolla / 60s / car". `facts` narrows the clips (a release's).
    """
    parts = check_dimension(dimension)
    facts = campaign_sums(campaign=campaign) if facts is None else facts
    if dimension == "cell":
        groups = [(str(cell), sums) for cell, sums in facts.per_cell]
    else:
        columns = [COLUMNS[part] for part in parts if part != "campaign"]
        groups = [(_group_name(row, parts, campaign), row) for row in facts.error_groups(columns)]
    rows = [
        group_error(dimension, name, sums, language=campaign.language)
        for name, sums in groups
        if sums["clips"]
    ]
    return sorted(rows, key=lambda row: (-row.clips, row.group))


def _group_name(row: dict, parts: list[str], campaign: Campaign) -> str:
    return " / ".join(
        campaign.name if part == "campaign" else (row[COLUMNS[part]] or "—") for part in parts
    )


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
