"""The recordings browser's filters, read from a query string: the API list, the PM's page and
its CSV download all parse the same parameters here, so the three always agree.

A bad value is refused (InvalidParameter, 400 naming the parameter), never silently ignored: a
PM who mistypes a date must not read an unfiltered list as the filtered one.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from labelhub.campaigns.models import QuotaCell
from labelhub.recordings.models import Recording
from labelhub.validation import InvalidParameter, query_choice, query_id, query_text

# Quality flags ("quiet") and draft flags ("hallucination") are short lowercase words.
_FLAG = re.compile(r"[a-z0-9_.-]{1,64}")
_SPEAKER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# Ingest's and the upload checks' codes ("silent", "too_short", "ingest_failed").
_CODE = re.compile(r"[a-z0-9_]{1,32}")
ID_PARAMETERS = ("campaign", "prompt", "cell", "environment", "channel")


@dataclass(frozen=True)
class RecordingFilters:
    campaign: int | None = None
    status: str = ""
    speaker: str = ""
    cell: int | None = None
    prompt: int | None = None
    flag: str = ""
    rejection_code: str = ""
    environment: int | None = None
    channel: int | None = None
    kind: str = ""
    created_from: date | None = None
    created_to: date | None = None

    def as_query(self) -> dict[str, str]:
        """The set filters as query parameters, for pagination and download links."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: str(value) for name, value in values.items() if value not in (None, "")}


def filters_parse(params: Mapping[str, str]) -> RecordingFilters:
    """Raises InvalidParameter naming the first parameter whose value is not valid."""
    ids = {name: query_id(params, name) for name in ID_PARAMETERS}
    created_from = _date(params, "created_from")
    created_to = _date(params, "created_to")
    if created_from and created_to and created_to < created_from:
        raise _invalid("created_to", _("is before created_from"))
    return RecordingFilters(
        **ids,
        status=query_choice(params, "status", Recording.Status.values, ""),
        kind=query_choice(params, "kind", Recording.Kind.values, ""),
        speaker=_matching(params, "speaker", _SPEAKER),
        flag=_matching(params, "flag", _FLAG),
        rejection_code=_matching(params, "rejection_code", _CODE),
        created_from=created_from,
        created_to=created_to,
    )


def filters_apply(recordings: QuerySet[Recording], f: RecordingFilters) -> QuerySet[Recording]:
    exact = {
        "campaign_id": f.campaign,
        "status": f.status,
        "prompt_id": f.prompt,
        "environment_id": f.environment,
        "channel_id": f.channel,
        "kind": f.kind,
        "rejection_code": f.rejection_code,
        "created_at__gte": _start_of(f.created_from),
        # created_to names a whole day: everything before the next day's midnight.
        "created_at__lt": _start_of(f.created_to and f.created_to + timedelta(days=1)),
    }
    recordings = recordings.filter(**{k: v for k, v in exact.items() if v not in (None, "")})
    if f.speaker:
        by_id = Q(speaker_id=int(f.speaker)) if f.speaker.isdigit() else Q()
        recordings = recordings.filter(Q(speaker__code=f.speaker) | by_id)
    if f.flag:
        recordings = recordings.filter(_flagged(f.flag))
    if f.cell is not None:
        recordings = recordings.filter(_in_cell(f.cell))
    return recordings


def _flagged(flag: str) -> Q:
    # Draft flags live on the ASR draft revision; named through the reverse relation, since
    # recordings must not import labeling.
    drafted = Recording.objects.filter(
        revisions__kind="asr_draft", revisions__flags__contains=[flag]
    )
    return Q(quality_flags__contains=[flag]) | Q(pk__in=drafted.values("pk"))


def _in_cell(cell_id: int) -> Q:
    """The clips whose speaker (and speech style) fall in the cell: a blank dimension is "any"."""
    cell = QuotaCell.objects.filter(pk=cell_id).first()
    if cell is None:
        return Q(pk__in=[])
    speaker_dimensions = ("age_band", "gender", "region", "dialect")
    match = {f"speaker__{d}": getattr(cell, d) for d in speaker_dimensions if getattr(cell, d)}
    if cell.speech_style:
        match["speech_style"] = cell.speech_style
    return Q(campaign_id=cell.campaign_id, **match)


def _matching(params: Mapping[str, str], name: str, pattern: re.Pattern) -> str:
    value = query_text(params, name).strip()
    if value and not pattern.fullmatch(value):
        raise _invalid(name, _("'%(value)s' is not a valid value") % {"value": value[:40]})
    return value


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = query_text(params, name).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        reason = _("'%(value)s' is not a date (YYYY-MM-DD)") % {"value": value[:40]}
        raise _invalid(name, reason) from None


def _start_of(day: date | None) -> datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


def _invalid(name: str, reason: str) -> InvalidParameter:
    return InvalidParameter(
        _("query parameter %(name)s: %(reason)s") % {"name": name, "reason": reason},
        parameter=name,
    )


MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


def page_parse(params: Mapping[str, str]) -> tuple[int, int]:
    """(page, page_size) from the query string: page from 1, page_size 1 to MAX_PAGE_SIZE."""
    page = query_id(params, "page") or 1
    size = query_id(params, "page_size") or DEFAULT_PAGE_SIZE
    if size > MAX_PAGE_SIZE:
        raise _invalid("page_size", _("at most %(max)d") % {"max": MAX_PAGE_SIZE})
    return page, size
