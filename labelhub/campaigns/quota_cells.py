"""Quota cells: the demographic targets of a campaign. Every dimension is checked against its
list (the campaign's own dialects and regions), targets are never negative, and a cell that
duplicates another is refused by name."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from labelhub.campaigns.demographics import AgeBand, Gender, dialect_choices_for, region_choices_for
from labelhub.campaigns.models import Campaign, QuotaCell, SpeechStyle
from labelhub.campaigns.services import campaign_require_open
from labelhub.errors import Conflict, DomainError

CELL_DIMENSIONS = ("age_band", "gender", "region", "dialect", "speech_style")
CELL_LABEL_SEPARATOR = " · "
CELL_FIELDS = frozenset(
    {*CELL_DIMENSIONS, "target_clips", "target_minutes", "target_speakers"}
    | {"max_minutes_per_speaker"}
)


def cell_value_labels(campaign: Campaign) -> dict[str, dict[str, str]]:
    """Per dimension, each code's label ("jeju" -> "Jeju dialect") in the active language."""
    return {
        "age_band": _labels(AgeBand.choices),
        "gender": _labels(Gender.choices),
        "region": _labels(region_choices_for(campaign)),
        "dialect": _labels(dialect_choices_for(campaign)),
        "speech_style": _labels(SpeechStyle.choices),
    }


def _labels(choices: Iterable[tuple[str, object]]) -> dict[str, str]:
    # Lazy labels read now, in the active language (the cell labels are joined as text).
    return {code: str(label) for code, label in choices}


def cell_label(cell: QuotaCell, labels: dict[str, dict[str, str]] | None = None) -> str:
    """The cell's non-blank values, labelled; `labels` (cell_value_labels) saves a lookup per
    cell when many cells of one campaign are labelled."""
    labels = labels if labels is not None else cell_value_labels(cell.campaign)
    parts = [
        str(labels[dimension].get(value, value))
        for dimension in CELL_DIMENSIONS
        if (value := getattr(cell, dimension))
    ]
    return CELL_LABEL_SEPARATOR.join(parts) or _("any speaker")


def _cell_label(campaign: Campaign, values: dict[str, Any]) -> str:
    """The cell as a PM reads it ("20s / Female / Jeju dialect"), not as its codes."""
    labels = cell_value_labels(campaign)
    parts = [
        str(labels[dimension].get(value, value))
        for dimension in CELL_DIMENSIONS
        if (value := values.get(dimension))
    ]
    return " / ".join(parts) or _("any speaker")


def _cell_errors(campaign: Campaign, values: dict[str, Any]) -> list[str]:
    allowed = {
        "age_band": AgeBand.values,
        "gender": Gender.values,
        "region": [code for code, _label in region_choices_for(campaign)],
        "dialect": [code for code, _label in dialect_choices_for(campaign)],
        "speech_style": SpeechStyle.values,
    }
    errors = []
    for dimension in CELL_DIMENSIONS:
        value = values.get(dimension) or ""
        if value and value not in allowed[dimension]:
            errors.append(
                _("%(field)s '%(value)s' is not one of: %(allowed)s")
                % {"field": dimension, "value": value, "allowed": ", ".join(allowed[dimension])}
            )
    for target in ("target_clips", "target_minutes", "target_speakers"):
        value = values.get(target) or 0
        if not isinstance(value, int | float) or value < 0:
            errors.append(_("%(field)s must be 0 or more") % {"field": target})
    cap = values.get("max_minutes_per_speaker")
    if cap is not None and (not isinstance(cap, int | float) or cap <= 0):
        errors.append(_("max_minutes_per_speaker must be more than 0"))
    return errors


def _cell_key(values: dict[str, Any]) -> tuple[str, ...]:
    return tuple(values.get(dimension) or "" for dimension in CELL_DIMENSIONS)


@transaction.atomic
def quota_cells_create(*, campaign: Campaign, cells: list[dict[str, Any]]) -> list[QuotaCell]:
    """Creates all the cells or none: the first bad or duplicate cell is named in a 400."""
    campaign_require_open(campaign=campaign)
    if not cells:
        raise DomainError(_("No quota cells given."), code="empty_cells")
    existing = {
        _cell_key(values)
        for values in QuotaCell.objects.filter(campaign=campaign).values(*CELL_DIMENSIONS)
    }
    seen: set[tuple[str, ...]] = set()
    for number, values in enumerate(cells, start=1):
        unknown = set(values) - CELL_FIELDS
        if unknown:
            raise DomainError(
                _("Cell %(n)s: unknown fields %(fields)s")
                % {"n": number, "fields": ", ".join(sorted(unknown))},
                code="invalid_cell",
            )
        errors = _cell_errors(campaign, values)
        if errors:
            raise DomainError(
                _("Cell %(n)s: %(errors)s") % {"n": number, "errors": "; ".join(errors)},
                code="invalid_cell",
            )
        key = _cell_key(values)
        if key in existing or key in seen:
            raise Conflict(
                _("Cell %(n)s duplicates the cell %(cell)s.")
                % {"n": number, "cell": _cell_label(campaign, values)},
                code="duplicate_cell",
            )
        seen.add(key)
    return QuotaCell.objects.bulk_create(_cell_instance(campaign, values) for values in cells)


def _cell_instance(campaign: Campaign, values: dict[str, Any]) -> QuotaCell:
    fields = {dimension: values.get(dimension) or "" for dimension in CELL_DIMENSIONS}
    for target in ("target_clips", "target_minutes", "target_speakers"):
        if values.get(target) is not None:
            fields[target] = values[target]
    fields["max_minutes_per_speaker"] = values.get("max_minutes_per_speaker")
    return QuotaCell(campaign=campaign, **fields)


@transaction.atomic
def quota_cell_update(*, cell: QuotaCell, **changes: Any) -> QuotaCell:
    unknown = set(changes) - CELL_FIELDS
    if unknown:
        raise DomainError(f"unknown quota cell fields: {', '.join(sorted(unknown))}")
    campaign_require_open(campaign=cell.campaign)
    values = {field: getattr(cell, field) for field in CELL_FIELDS} | changes
    errors = _cell_errors(cell.campaign, values)
    if errors:
        raise DomainError("; ".join(errors), code="invalid_cell")
    twin = QuotaCell.objects.filter(
        campaign=cell.campaign, **{d: values.get(d) or "" for d in CELL_DIMENSIONS}
    ).exclude(pk=cell.pk)
    if twin.exists():
        raise Conflict(
            _("The cell %(cell)s exists already.") % {"cell": _cell_label(cell.campaign, values)},
            code="duplicate_cell",
        )
    for field, value in changes.items():
        # A blank dimension means "any"; it is stored as "", never NULL.
        setattr(cell, field, (value or "") if field in CELL_DIMENSIONS else value)
    cell.save()
    return cell


def quota_cell_delete(*, cell: QuotaCell) -> None:
    campaign_require_open(campaign=cell.campaign)
    cell.delete()
