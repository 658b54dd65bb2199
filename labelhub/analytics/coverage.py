"""Coverage: what each quota cell asked for, what was collected, and what is approved."""

from dataclasses import dataclass
from datetime import date

from labelhub.analytics.sums import FactSums, campaign_sums
from labelhub.campaigns.models import Campaign, QuotaCell


@dataclass(frozen=True)
class Amounts:
    clips: int
    minutes: float
    speakers: int

    @classmethod
    def of(cls, clips: float, seconds: float, speakers: int) -> "Amounts":
        return cls(clips=int(clips), minutes=round(seconds / 60, 2), speakers=speakers)


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


def coverage_by_cell(*, campaign: Campaign, facts: FactSums | None = None) -> list[CellCoverage]:
    """Target vs collected vs approved per quota cell (clips, minutes, distinct speakers)."""
    facts = campaign_sums(campaign=campaign) if facts is None else facts
    collectors = facts.cell_speakers["collected"]
    approvers = facts.cell_speakers["approved"]
    return [
        CellCoverage(
            cell=cell,
            target=Amounts(cell.target_clips, cell.target_minutes, cell.target_speakers),
            collected=Amounts.of(
                sums["collected_clips"], sums["collected_seconds"], len(collectors[cell.pk])
            ),
            approved=Amounts.of(
                sums["approved_clips"], sums["approved_seconds"], len(approvers[cell.pk])
            ),
        )
        for cell, sums in facts.per_cell
    ]


def coverage_gaps(*, campaign: Campaign, facts: FactSums | None = None) -> list[CellCoverage]:
    """The cells whose approved data is below target, emptiest first."""
    rows = [row for row in coverage_by_cell(campaign=campaign, facts=facts) if not row.is_filled]
    return sorted(rows, key=lambda row: row.approved_share)


@dataclass(frozen=True)
class DayCoverage:
    day: date
    minutes: float
    cumulative_minutes: float
    clips: int


def coverage_over_time(*, campaign: Campaign, facts: FactSums | None = None) -> list[DayCoverage]:
    """Approved audio minutes per day (the day the transcript became final), and the running
    total. Days without approvals between the first and last are listed with zero."""
    facts = campaign_sums(campaign=campaign) if facts is None else facts
    days = facts.approved_days()
    seconds = {row["day"]: row["seconds"] for row in days}
    counts = {row["day"]: row["clips"] for row in days}
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
