"""Labeling cost and quality: labeler time per audio minute, edit rate, returns, agreement.

A clip's figures go to the labeler who wrote its newest labeler edit (the one who owns it after
any returns); all labeler seconds spent on the clip count, returns included, since that is what
the clip cost.
"""

from collections import defaultdict
from dataclasses import dataclass

from labelhub.analytics.facts import ClipFacts, campaign_clips, clip_in_cell
from labelhub.campaigns.models import Campaign, QuotaCell
from labelhub.labeling.models import TranscriptRevision
from labelhub.text_metrics import edit_counts, normalise, pooled_cer

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


def labeling_cost_of(group: str, clips: list[ClipFacts]) -> LabelingCost:
    labeled = [clip for clip in clips if clip.labeler_text is not None]
    minutes = sum(clip.seconds for clip in labeled) / 60
    seconds = sum(clip.work_seconds for clip in labeled)
    drafted = [clip for clip in clips if clip.approved and clip.draft_text is not None]
    edited = [
        clip
        for clip in drafted
        if normalise(clip.final_text or "") != normalise(clip.draft_text or "")
    ]
    decisions = [decision for clip in clips for decision in clip.review_decisions]
    returned = decisions.count(TranscriptRevision.Decision.RETURNED)
    doubles = [
        edit_counts(reference=clip.first_labeler_text, hypothesis=clip.double_text)
        for clip in labeled
        if clip.double_text is not None and clip.first_labeler_text is not None
    ]
    return LabelingCost(
        group=group,
        labeled_clips=len(labeled),
        audio_minutes=round(minutes, 2),
        work_seconds=round(seconds, 1),
        seconds_per_audio_minute=round(seconds / minutes, 1) if minutes else None,
        approved_with_draft=len(drafted),
        edited=len(edited),
        edit_rate=len(edited) / len(drafted) if drafted else None,
        review_decisions=len(decisions),
        returned=returned,
        return_rate=returned / len(decisions) if decisions else None,
        double_clips=len(doubles),
        double_cer=pooled_cer(doubles),
    )


def labeling_cost_by(
    *, campaign: Campaign, by: str, clips: list[ClipFacts] | None = None
) -> list[LabelingCost]:
    """Labeling cost per labeler or per quota cell, plus a first row for the whole campaign."""
    if by not in BY:
        raise ValueError(f"unknown grouping {by!r}; one of {', '.join(BY)}")
    clips = campaign_clips(campaign=campaign) if clips is None else clips
    groups: dict[str, list[ClipFacts]] = defaultdict(list)
    if by == "cell":
        for cell in QuotaCell.objects.filter(campaign=campaign):
            groups[str(cell)] = [clip for clip in clips if clip_in_cell(clip, cell)]
    else:
        for clip in clips:
            if clip.labeler_text is not None:
                groups[clip.labeler_name or "—"].append(clip)
    rows = [labeling_cost_of(name, members) for name, members in sorted(groups.items())]
    return [labeling_cost_of(campaign.name, clips), *rows]
