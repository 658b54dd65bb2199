"""Every analytics table as rows of plain values: one shape for the page, the API and the CSV."""

from collections.abc import Callable

from labelhub.analytics.asr_error import (
    DIMENSIONS,
    GroupError,
    asr_error_by,
    clip_errors,
    group_of,
)
from labelhub.analytics.coverage import coverage_by_cell, coverage_gaps, coverage_over_time
from labelhub.analytics.facts import ClipFacts, campaign_clips
from labelhub.analytics.labeling_cost import BY, labeling_cost_by
from labelhub.analytics.selectors import exclusion_history
from labelhub.campaigns.models import Campaign
from labelhub.spreadsheet import safe_csv

TABLES = ("coverage", "gaps", "coverage-over-time", "asr-error", "labeling-cost", "exclusions")


class UnknownTable(ValueError):
    pass


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


def _coverage(campaign: Campaign, clips: list[ClipFacts], by: str) -> list[dict]:
    return [
        {
            "cell_id": row.cell.pk,
            "cell": row.label,
            **{f"target_{k}": v for k, v in vars(row.target).items()},
            **{f"collected_{k}": v for k, v in vars(row.collected).items()},
            **{f"approved_{k}": v for k, v in vars(row.approved).items()},
        }
        for row in coverage_by_cell(campaign=campaign, clips=clips)
    ]


def _gaps(campaign: Campaign, clips: list[ClipFacts], by: str) -> list[dict]:
    return [
        {
            "cell_id": row.cell.pk,
            "cell": row.label,
            **{f"missing_{k}": v for k, v in vars(row.missing).items()},
            "approved_percent_of_target": _pct(row.approved_share),
        }
        for row in coverage_gaps(campaign=campaign, clips=clips)
    ]


def _over_time(campaign: Campaign, clips: list[ClipFacts], by: str) -> list[dict]:
    return [
        {
            "day": row.day.isoformat(),
            "approved_minutes": row.minutes,
            "cumulative_minutes": row.cumulative_minutes,
            "approved_clips": row.clips,
        }
        for row in coverage_over_time(campaign=campaign, clips=clips)
    ]


def error_row(row: GroupError) -> dict:
    out: dict = {"dimension": row.dimension, "group": row.group, "clips": row.clips}
    for unit, rate, size in (("wer", row.wer, row.words), ("cer", row.cer, row.chars)):
        out[f"{unit}_percent"] = _pct(rate.value) if rate else None
        out[f"{unit}_ci_low"] = _pct(rate.low) if rate else None
        out[f"{unit}_ci_high"] = _pct(rate.high) if rate else None
        out["reference_words" if unit == "wer" else "reference_chars"] = size
    return out


def _asr_error(campaign: Campaign, clips: list[ClipFacts], by: str) -> list[dict]:
    by = by or "cell"
    return [error_row(row) for row in asr_error_by(campaign=campaign, dimension=by, clips=clips)]


def _labeling_cost(campaign: Campaign, clips: list[ClipFacts], by: str) -> list[dict]:
    rows = []
    for row in labeling_cost_by(campaign=campaign, by=by or "labeler", clips=clips):
        values = dict(vars(row))
        for name in ("edit_rate", "return_rate", "double_cer"):
            values[name.replace("_rate", "_percent").replace("_cer", "_cer_percent")] = _pct(
                values.pop(name)
            )
        rows.append(values)
    return rows


def _exclusions(campaign: Campaign, clips: list[ClipFacts], by: str) -> list[dict]:
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


_BUILDERS: dict[str, Callable[[Campaign, list[ClipFacts], str], list[dict]]] = {
    "coverage": _coverage,
    "gaps": _gaps,
    "coverage-over-time": _over_time,
    "asr-error": _asr_error,
    "labeling-cost": _labeling_cost,
    "exclusions": _exclusions,
}


def table_rows(
    *, campaign: Campaign, table: str, by: str = "", clips: list[ClipFacts] | None = None
) -> list[dict]:
    """The rows of one table; `by` picks the grouping of asr-error and labeling-cost."""
    if table not in _BUILDERS:
        raise UnknownTable(f"unknown table {table!r}; one of {', '.join(TABLES)}")
    if by and table == "asr-error" and any(p not in DIMENSIONS for p in by.split("+")):
        raise UnknownTable(f"unknown grouping {by!r}; one of {', '.join(DIMENSIONS)}")
    if by and table == "labeling-cost" and by not in BY:
        raise UnknownTable(f"unknown grouping {by!r}; one of {', '.join(BY)}")
    clips = campaign_clips(campaign=campaign) if clips is None else clips
    try:
        return _BUILDERS[table](campaign, clips, by)
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
    rows = []
    for error in clip_errors(clips=campaign_clips(campaign=campaign)):
        clip, counts = error.clip, error.counts
        if parts and " / ".join(group_of(clip, part, campaign) for part in parts) != group:
            continue
        rows.append(
            {
                "recording_id": clip.recording_id,
                "speaker_id": clip.speaker_id,
                "speaker_code": clip.speaker_code,
                "dialect": clip.dialect,
                "age_band": clip.age_band,
                "environment": clip.environment,
                "seconds": clip.seconds,
                "wer_percent": _pct(counts.word_edits / counts.words) if counts.words else None,
                "cer_percent": _pct(counts.char_edits / counts.chars) if counts.chars else None,
                "draft": clip.draft_text,
                "final": clip.final_text,
            }
        )
    return sorted(rows, key=lambda row: -(row["wer_percent"] or 0))
