"""Every analytics table as rows of plain values: one shape for the page, the API and the CSV."""

from collections.abc import Callable

from django.db.models.functions import Coalesce

from labelhub.analytics.asr_error import COLUMNS, DIMENSIONS, GroupError, asr_error_by
from labelhub.analytics.coverage import coverage_by_cell, coverage_gaps, coverage_over_time
from labelhub.analytics.facts import campaign_facts
from labelhub.analytics.labeling_cost import BY, labeling_cost_by
from labelhub.analytics.selectors import exclusion_history
from labelhub.analytics.sums import FactSums, campaign_sums
from labelhub.campaigns.models import Campaign
from labelhub.spreadsheet import safe_csv

TABLES = ("coverage", "gaps", "coverage-over-time", "asr-error", "labeling-cost", "exclusions")


class UnknownTable(ValueError):
    pass


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


def _coverage(campaign: Campaign, facts: FactSums, by: str) -> list[dict]:
    return [
        {
            "cell_id": row.cell.pk,
            "cell": row.label,
            **{f"target_{k}": v for k, v in vars(row.target).items()},
            **{f"collected_{k}": v for k, v in vars(row.collected).items()},
            **{f"approved_{k}": v for k, v in vars(row.approved).items()},
        }
        for row in coverage_by_cell(campaign=campaign, facts=facts)
    ]


def _gaps(campaign: Campaign, facts: FactSums, by: str) -> list[dict]:
    return [
        {
            "cell_id": row.cell.pk,
            "cell": row.label,
            **{f"missing_{k}": v for k, v in vars(row.missing).items()},
            "approved_percent_of_target": _pct(row.approved_share),
        }
        for row in coverage_gaps(campaign=campaign, facts=facts)
    ]


def _over_time(campaign: Campaign, facts: FactSums, by: str) -> list[dict]:
    return [
        {
            "day": row.day.isoformat(),
            "approved_minutes": row.minutes,
            "cumulative_minutes": row.cumulative_minutes,
            "approved_clips": row.clips,
        }
        for row in coverage_over_time(campaign=campaign, facts=facts)
    ]


def error_row(row: GroupError) -> dict:
    out: dict = {"dimension": row.dimension, "group": row.group, "clips": row.clips}
    for unit, rate, size in (("wer", row.wer, row.words), ("cer", row.cer, row.chars)):
        out[f"{unit}_percent"] = _pct(rate.value) if rate else None
        out[f"{unit}_ci_low"] = _pct(rate.low) if rate else None
        out[f"{unit}_ci_high"] = _pct(rate.high) if rate else None
        out["reference_words" if unit == "wer" else "reference_chars"] = size
    return out


def _asr_error(campaign: Campaign, facts: FactSums, by: str) -> list[dict]:
    by = by or "cell"
    return [error_row(row) for row in asr_error_by(campaign=campaign, dimension=by, facts=facts)]


def _labeling_cost(campaign: Campaign, facts: FactSums, by: str) -> list[dict]:
    rows = []
    for row in labeling_cost_by(campaign=campaign, by=by or "labeler", facts=facts):
        values = dict(vars(row))
        for name in ("edit_rate", "return_rate", "double_cer"):
            values[name.replace("_rate", "_percent").replace("_cer", "_cer_percent")] = _pct(
                values.pop(name)
            )
        rows.append(values)
    return rows


def _exclusions(campaign: Campaign, facts: FactSums, by: str) -> list[dict]:
    return [
        {
            "id": e.pk,
            "recording_id": e.recording_id,
            "speaker_id": e.speaker_id,
            "speaker_code": e.speaker.code if e.speaker else "",
            "reason": e.reason,
            "note": e.note,
            "created_by": e.created_by.username,
            "created_at": e.created_at.isoformat(),
            "lifted_by": e.lifted_by.username if e.lifted_by else "",
            "lifted_at": e.lifted_at.isoformat() if e.lifted_at else "",
        }
        for e in exclusion_history(campaign=campaign)
    ]


_BUILDERS: dict[str, Callable[[Campaign, FactSums, str], list[dict]]] = {
    "coverage": _coverage,
    "gaps": _gaps,
    "coverage-over-time": _over_time,
    "asr-error": _asr_error,
    "labeling-cost": _labeling_cost,
    "exclusions": _exclusions,
}


def table_rows(
    *, campaign: Campaign, table: str, by: str = "", facts: FactSums | None = None
) -> list[dict]:
    """The rows of one table; `by` picks the grouping of asr-error and labeling-cost."""
    if table not in _BUILDERS:
        raise UnknownTable(f"unknown table {table!r}; one of {', '.join(TABLES)}")
    if by and table == "asr-error" and any(p not in DIMENSIONS for p in by.split("+")):
        raise UnknownTable(f"unknown grouping {by!r}; one of {', '.join(DIMENSIONS)}")
    if by and table == "labeling-cost" and by not in BY:
        raise UnknownTable(f"unknown grouping {by!r}; one of {', '.join(BY)}")
    facts = campaign_sums(campaign=campaign) if facts is None else facts
    try:
        return _BUILDERS[table](campaign, facts, by)
    except ValueError as error:  # a grouping the selectors refuse, e.g. "cell+dialect"
        raise UnknownTable(str(error)) from None


def rows_to_csv(rows: list[dict]) -> str:
    # Transcripts, notes and speaker codes are typed by people: no cell may run as a formula.
    return safe_csv(rows)


def clip_error_rows(*, campaign: Campaign, by: str = "", group: str = "") -> list[dict]:
    """Per-clip WER and CER of approved clips, worst first; `by`/`group` keep one group of the
    asr-error table (e.g. by="dialect+age_band", group="jeolla / 60s")."""
    parts = [part for part in by.split("+") if part] if group else []
    if any(part not in DIMENSIONS or part == "cell" for part in parts):
        raise UnknownTable(f"unknown grouping {by!r}")
    facts = campaign_facts(campaign=campaign).filter(measured=True)
    values = group.split(" / ")
    if parts and len(values) != len(parts):
        return []
    for part, value in zip(parts, values, strict=False):
        if part == "campaign":
            facts = facts if value == campaign.name else facts.none()
        else:
            facts = facts.filter(**{COLUMNS[part]: "" if value == "—" else value})
    # Worst first; a clip without reference words ranks with the error-free ones.
    rows = facts.order_by(Coalesce("clip_wer", 0.0).desc(), "recording_id").values(
        *_CLIP_COLUMNS, "clip_wer", "clip_cer", "draft_text", "final_text"
    )
    return [
        {
            **{name: row[column] for name, column in _CLIP_COLUMNS.items()},
            "wer_percent": _pct(row["clip_wer"]),
            "cer_percent": _pct(row["clip_cer"]),
            "draft": row["draft_text"],
            "final": row["final_text"],
        }
        for row in rows
    ]


_CLIP_COLUMNS = {
    "recording_id": "recording_id",
    "speaker_id": "speaker_id",
    "speaker_code": "speaker_code",
    "dialect": "dialect",
    "age_band": "age_band",
    "environment": "environment",
    "seconds": "seconds",
}
