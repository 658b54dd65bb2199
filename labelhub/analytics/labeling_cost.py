"""Labeling cost and quality: labeler time per audio minute, edit rate, returns, agreement.

A clip's figures go to the labeler who wrote its newest labeler edit (the one who owns it after
any returns); all labeler seconds spent on the clip count, returns included, since that is what
the clip cost.
"""

from dataclasses import dataclass

from labelhub.analytics.sums import FactSums, campaign_sums
from labelhub.campaigns.models import Campaign

BY = ("labeler", "cell")


@dataclass(frozen=True)
class LabelingCost:
    group: str
    labeled_clips: int
    audio_minutes: float
    work_seconds: float
    # Labeler seconds per minute of audio; None when nothing was labeled.
    seconds_per_audio_minute: float | None
    approved_with_draft: int
    edited: int
    edit_rate: float | None
    review_decisions: int
    returned: int
    return_rate: float | None
    double_clips: int
    # CER between the labeler's text and the independent second transcription.
    double_cer: float | None


def labeling_cost_of(group: str, sums: dict) -> LabelingCost:
    """A group's labeling figures from its COST_SUMS."""
    minutes = sums["labeled_seconds"] / 60
    seconds = sums["work_seconds"]
    drafted, edited = int(sums["drafted"]), int(sums["edited"])
    decisions, returned = int(sums["review_decisions"]), int(sums["returned"])
    return LabelingCost(
        group=group,
        labeled_clips=int(sums["labeled"]),
        audio_minutes=round(minutes, 2),
        work_seconds=round(seconds, 1),
        seconds_per_audio_minute=round(seconds / minutes, 1) if minutes else None,
        approved_with_draft=drafted,
        edited=edited,
        edit_rate=edited / drafted if drafted else None,
        review_decisions=decisions,
        returned=returned,
        return_rate=returned / decisions if decisions else None,
        double_clips=int(sums["doubles"]),
        double_cer=(
            sums["double_char_edits"] / sums["double_chars"] if sums["double_chars"] else None
        ),
    )


def labeling_cost_by(
    *, campaign: Campaign, by: str, facts: FactSums | None = None
) -> list[LabelingCost]:
    """Labeling cost per labeler or per quota cell, plus a first row for the whole campaign."""
    if by not in BY:
        raise ValueError(f"unknown grouping {by!r}; one of {', '.join(BY)}")
    facts = campaign_sums(campaign=campaign) if facts is None else facts
    if by == "cell":
        cells = ((str(cell), sums) for cell, sums in facts.per_cell)
        groups = sorted(cells, key=lambda g: g[0])
    else:
        rows = facts.labeler_groups()
        groups = sorted(((row["labeler_name"] or "—", row) for row in rows), key=lambda g: g[0])
    return [
        labeling_cost_of(campaign.name, facts.whole),
        *(labeling_cost_of(name, sums) for name, sums in groups),
    ]
