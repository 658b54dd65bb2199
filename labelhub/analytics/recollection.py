"""What a re-collection campaign should collect: the plan recollection_draft writes."""

import math
from dataclasses import dataclass, field

from labelhub.analytics.asr_error import clips_for_half_width, group_error
from labelhub.analytics.coverage import coverage_by_cell
from labelhub.analytics.facts import CELL_FIELDS
from labelhub.analytics.sums import FactSums, campaign_sums
from labelhub.campaigns.models import Campaign, QuotaCell


@dataclass
class PlannedCell:
    DIMENSIONS = CELL_FIELDS

    source: QuotaCell
    target_clips: int = 0
    target_minutes: float = 0.0
    target_speakers: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.source)

    def raise_to(self, *, clips: int, minutes: float, speakers: int) -> None:
        self.target_clips = max(self.target_clips, clips)
        self.target_minutes = max(self.target_minutes, round(minutes, 2))
        self.target_speakers = max(self.target_speakers, speakers)


def recollection_plan(
    *, campaign: Campaign, error_threshold: float | None = None, ci_half_width: float = 0.05
) -> list[PlannedCell]:
    """Unfilled cells with their missing amounts, and (with a threshold) high-error cells with
    the clips their new measurement needs: n ≈ (1.96·σ/w)² from the cell's per-clip spread σ.

    The new campaign measures its own clips, so n is the whole sample it needs, not a top-up.
    """
    if ci_half_width <= 0:
        raise ValueError("the CI half-width must be positive")
    facts = campaign_sums(campaign=campaign)
    plan: dict[int, PlannedCell] = {}
    for row in coverage_by_cell(campaign=campaign, facts=facts):
        if not row.is_filled:
            missing = row.missing
            planned = plan.setdefault(row.cell.pk, PlannedCell(row.cell))
            planned.raise_to(
                clips=missing.clips, minutes=missing.minutes, speakers=missing.speakers
            )
            planned.reasons.append("unfilled")
    if error_threshold is not None:
        _plan_high_error(campaign, facts, plan, error_threshold, ci_half_width)
    return sorted(plan.values(), key=lambda planned: planned.label)


def _plan_high_error(
    campaign: Campaign,
    facts: FactSums,
    plan: dict[int, PlannedCell],
    error_threshold: float,
    ci_half_width: float,
) -> None:
    speakers = facts.cell_speakers["measured"]
    for cell, sums in facts.per_cell:
        if sums["clips"] < 2:
            continue
        measured_cell = group_error("cell", str(cell), sums, language=campaign.language)
        rate = measured_cell.headline(campaign.language)
        if rate is None or rate.low <= error_threshold:
            continue
        needed = clips_for_half_width(clip_sd=measured_cell.clip_sd, half_width=ci_half_width)
        mean_seconds = sums["seconds"] / sums["clips"]
        per_speaker = sums["clips"] / len(speakers[cell.pk])
        planned = plan.setdefault(cell.pk, PlannedCell(cell))
        planned.raise_to(
            clips=needed,
            minutes=needed * mean_seconds / 60,
            speakers=math.ceil(needed / per_speaker),
        )
        planned.reasons.append("high_error")
