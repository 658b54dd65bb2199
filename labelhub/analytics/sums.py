"""Sums over ClipFact rows, in SQL: what every analytics figure is computed from.

Each figure asks for the sums it needs grouped by the columns it slices on; Python then adds
groups together (a quota cell is a union of value combinations) and turns the sums into rates
and intervals. Every sum is additive, so adding groups is exact; only distinct speakers are not,
and those are counted from (speaker, combination) pairs (cell_speakers).
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db.models import Case, Count, IntegerField, Max, QuerySet, Sum, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from labelhub.analytics.facts import CELL_FIELDS, campaign_facts, in_cell
from labelhub.analytics.models import ClipFact, FactDay, FactLabeler, FactRollup
from labelhub.analytics.sum_columns import (
    ALL_SUMS,
    COST_SUMS,
    ERROR_SUMS,
    summed,
)
from labelhub.campaigns.models import Campaign, QuotaCell

Z_95 = 1.959964


def grouped(facts: QuerySet[Any], by: Iterable[str], sums: Mapping[str, object]) -> list[dict]:
    """One dict per distinct value combination of `by`, with the `sums` over its clips."""
    by = list(by)
    # Aliased, because an annotation named like a column (words) would shadow it in F().
    aliased = {f"sum__{name}": expression for name, expression in sums.items()}
    if not by:
        rows = [facts.aggregate(**aliased)]
    else:
        rows = list(facts.values(*by).annotate(**aliased).order_by(*by))
    return [{key.removeprefix("sum__"): value for key, value in row.items()} for row in rows]


def added(rows: Iterable[Mapping[str, float]], keys: Iterable[str]) -> dict[str, float]:
    """The sums of several groups added into one."""
    rows = list(rows)
    return {key: sum(row[key] or 0 for row in rows) for key in keys}


def campaign_sums(*, campaign: Campaign, recording_ids: Iterable[int] | None = None) -> "FactSums":
    """The sums of the campaign's counted clips (or of those among `recording_ids`).

    A whole campaign is read from the per-speaker rollups (thousands of rows); a chosen set of
    clips (a release's) from its ClipFact rows, which no rollup can narrow to.
    """
    facts = campaign_facts(campaign=campaign, recording_ids=recording_ids)
    return FactSums(campaign, facts, rolled_up=recording_ids is None)


# Who counts as a cell's speaker, per measure: a speaker with at least one such clip there.
SPEAKER_MEASURES = ("collected", "approved", "measured")


# The rollup count that is positive exactly when a speaker has a clip of the measure there.
_SPEAKER_COUNTS = {
    "collected": "collected_clips",
    "approved": "approved_clips",
    "measured": "clips",
}


def _resummed(sums: Mapping[str, object]) -> dict[str, Coalesce]:
    """The same sums taken over rollup rows, which hold each sum in a column of its name."""
    return {name: summed(name) for name in sums}


def _any(name: str) -> Max:
    # Max over 0/1 rather than BOOL_OR, which SQLite (the embedded default) lacks.
    return Max(Case(When(**{name: True}, then=1), default=0, output_field=IntegerField()))


class FactSums:
    """The sums of one set of clip facts, each query run once however many figures read it.

    The dashboard reads coverage, ASR error per cell and labeling cost from the same GROUP BY
    over the cell fields, and distinct speakers per cell from one (fields, speaker) pass.
    """

    def __init__(
        self, campaign: Campaign, facts: QuerySet[ClipFact], *, rolled_up: bool = False
    ) -> None:
        self.campaign = campaign
        self.facts = facts
        # Whether the figures are read from the campaign's rollups rather than from `facts`.
        self.rolled_up = rolled_up

    def _rollup(self) -> QuerySet[FactRollup]:
        return FactRollup.objects.filter(campaign=self.campaign)

    def error_groups(self, columns: Iterable[str]) -> list[dict]:
        """The ERROR_SUMS of the measured clips per combination of `columns`."""
        if self.rolled_up:
            # Every error sum is zero or null on an unmeasured clip, so a rollup row's sums are
            # its measured clips' sums; groups without any ("clips" 0) are dropped by callers.
            return grouped(self._rollup(), columns, _resummed(ERROR_SUMS))
        return grouped(self.facts.filter(measured=True), columns, ERROR_SUMS)

    def labeler_groups(self) -> list[dict]:
        """The COST_SUMS of the labeled clips per labeler."""
        if self.rolled_up:
            labelers = FactLabeler.objects.filter(campaign=self.campaign)
            return grouped(labelers, ["labeler_name"], _resummed(COST_SUMS))
        return grouped(self.facts.filter(labeled=True), ["labeler_name"], COST_SUMS)

    def approved_days(self) -> list[dict]:
        """Per day an approved clip's transcript became final: its clips and seconds."""
        if self.rolled_up:
            rolled = FactDay.objects.filter(campaign=self.campaign).values("day")
            days: QuerySet[Any, Any] = rolled.annotate(
                seconds=summed("seconds"), clips=Sum("clips")
            )
        else:
            days = (
                self.facts.filter(approved=True, approved_at__isnull=False)
                .annotate(day=TruncDate("approved_at", tzinfo=timezone.get_current_timezone()))
                .values("day")
                .annotate(seconds=summed("seconds"), clips=Count("pk"))
            )
        return [dict(row) for row in days.order_by("day")]

    @cached_property
    def cells(self) -> list[QuotaCell]:
        return list(QuotaCell.objects.filter(campaign=self.campaign))

    @cached_property
    def by_cell_fields(self) -> list[dict]:
        if self.rolled_up:
            return grouped(self._rollup(), CELL_FIELDS, _resummed(ALL_SUMS))
        return grouped(self.facts, CELL_FIELDS, ALL_SUMS)

    @cached_property
    def per_cell(self) -> list[tuple[QuotaCell, dict[str, float]]]:
        """The sums added up per quota cell (a combination of values may be in several)."""
        return [
            (cell, added((row for row in self.by_cell_fields if in_cell(row, cell)), ALL_SUMS))
            for cell in self.cells
        ]

    @cached_property
    def whole(self) -> dict[str, float]:
        return added(self.by_cell_fields, ALL_SUMS)

    @cached_property
    def cell_speakers(self) -> dict[str, dict[int, set[int]]]:
        """Per measure and quota cell, the distinct speakers with at least one such clip."""
        members: dict[str, dict[int, set[int]]] = {
            m: {cell.pk: set() for cell in self.cells} for m in SPEAKER_MEASURES
        }
        if self.rolled_up:
            anys = {f"any_{m}": Max(count) for m, count in _SPEAKER_COUNTS.items()}
            pairs = self._rollup().values(*CELL_FIELDS, "speaker_id").annotate(**anys).order_by()
        else:
            anys = {f"any_{m}": _any(m) for m in SPEAKER_MEASURES}
            pairs = self.facts.values(*CELL_FIELDS, "speaker_id").annotate(**anys).order_by()
        combos: dict[tuple[str, ...], list[int]] = {}
        for row in pairs:
            key = tuple(row[name] for name in CELL_FIELDS)
            if key not in combos:
                combos[key] = [cell.pk for cell in self.cells if in_cell(row, cell)]
            for measure in SPEAKER_MEASURES:
                if row[f"any_{measure}"]:
                    for cell_id in combos[key]:
                        members[measure][cell_id].add(row["speaker_id"])
        return members


@dataclass(frozen=True)
class Rate:
    value: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def ratio_interval(
    *, n: int, edits: float, units: float, edits_sq: float, units_sq: float, cross: float
) -> Rate | None:
    """A corpus rate (edits / units over n clips) with its 95% interval, from sums only.

    The normal approximation of a ratio estimator (delta method): with R = Σe/Σu, the clips'
    residuals e − R·u have variance s² = (Σe² − 2RΣeu + R²Σu²)/(n − 1), and the rate's standard
    error is √(s²/n) / ū. Exact from the stored sums, where a bootstrap needs every clip.
    """
    if not units:
        return None
    rate = edits / units
    if n < 2:
        return Rate(rate, rate, rate)
    residual = max(edits_sq - 2 * rate * cross + rate * rate * units_sq, 0.0)
    error = math.sqrt(residual / (n - 1) / n) / (units / n)
    return Rate(rate, max(rate - Z_95 * error, 0.0), rate + Z_95 * error)


def spread(*, n: int, total: float, squares: float) -> float:
    """The sample standard deviation of n values from their sum and sum of squares."""
    if n < 2:
        return 0.0
    return math.sqrt(max(squares - total * total / n, 0.0) / (n - 1))
