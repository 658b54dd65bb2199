"""Coverage: what each quota cell asked for, what was collected, and what is approved."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from labelhub.analytics.facts import ClipFacts, campaign_clips, clip_in_cell
from labelhub.campaigns.models import Campaign, QuotaCell


@dataclass(frozen=True)
class Amounts:
    clips: int
    minutes: float
    speakers: int

    @classmethod
    def of(cls, clips: list[ClipFacts]) -> "Amounts":
        return cls(
            clips=len(clips),
            minutes=round(sum(clip.seconds for clip in clips) / 60, 2),
            speakers=len({clip.speaker_id for clip in clips}),
        )


@dataclass(frozen=True)
class CellCoverage:
    cell: QuotaCell
    target: Amounts
    collected: Amounts
    approved: Amounts

    @property
    def label(self) -> str:
        return str(self.cell)

    @property
    def missing(self) -> Amounts:
        """What approved data still lacks against the target (never negative)."""
        return Amounts(
            clips=max(self.target.clips - self.approved.clips, 0),
            minutes=round(max(self.target.minutes - self.approved.minutes, 0.0), 2),
            speakers=max(self.target.speakers - self.approved.speakers, 0),
        )

    @property
    def is_filled(self) -> bool:
        missing = self.missing
        return missing.clips == 0 and missing.minutes <= 0 and missing.speakers == 0

    @property
    def approved_share(self) -> float:
        """Approved against target, the lowest of the three measures that have a target."""
        shares = [
            done / goal
            for done, goal in (
                (self.approved.clips, self.target.clips),
                (self.approved.minutes, self.target.minutes),
                (self.approved.speakers, self.target.speakers),
            )
            if goal
        ]
        return min(shares) if shares else 1.0


def coverage_by_cell(
    *, campaign: Campaign, clips: list[ClipFacts] | None = None
) -> list[CellCoverage]:
    """Target vs collected vs approved per quota cell (clips, minutes, distinct speakers)."""
    clips = campaign_clips(campaign=campaign) if clips is None else clips
    rows = []
    for cell in QuotaCell.objects.filter(campaign=campaign):
        members = [clip for clip in clips if clip_in_cell(clip, cell)]
        rows.append(
            CellCoverage(
                cell=cell,
                target=Amounts(cell.target_clips, cell.target_minutes, cell.target_speakers),
                collected=Amounts.of([clip for clip in members if clip.collected]),
                approved=Amounts.of([clip for clip in members if clip.approved]),
            )
        )
    return rows


def coverage_gaps(
    *, campaign: Campaign, clips: list[ClipFacts] | None = None
) -> list[CellCoverage]:
    """The cells whose approved data is below target, emptiest first."""
    rows = [row for row in coverage_by_cell(campaign=campaign, clips=clips) if not row.is_filled]
    return sorted(rows, key=lambda row: row.approved_share)


@dataclass(frozen=True)
class DayCoverage:
    day: date
    minutes: float
    cumulative_minutes: float
    clips: int


def coverage_over_time(
    *, campaign: Campaign, clips: list[ClipFacts] | None = None
) -> list[DayCoverage]:
    """Approved audio minutes per day (the day the transcript became final), and the running
    total. Days without approvals between the first and last are listed with zero."""
    clips = campaign_clips(campaign=campaign) if clips is None else clips
    seconds: dict[date, float] = defaultdict(float)
    counts: dict[date, int] = defaultdict(int)
    for clip in clips:
        if clip.approved and clip.approved_at is not None:
            day = timezone.localtime(clip.approved_at).date()
            seconds[day] += clip.seconds
            counts[day] += 1
    if not seconds:
        return []
    first, last = min(seconds), max(seconds)
    rows, total = [], 0.0
    for offset in range((last - first).days + 1):
        day = date.fromordinal(first.toordinal() + offset)
        total += seconds.get(day, 0.0)
        rows.append(
            DayCoverage(
                day=day,
                minutes=round(seconds.get(day, 0.0) / 60, 2),
                cumulative_minutes=round(total / 60, 2),
                clips=counts.get(day, 0),
            )
        )
    return rows
