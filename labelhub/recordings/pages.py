"""The PM's recordings browser: one campaign's clips, filtered, played inline, downloaded as CSV.

Mounted at /campaigns/<id>/recordings/ (labelhub.recordings.web_urls). The filters are the API
list's (labelhub.recordings.filters), so the page, its CSV and GET /api/recordings/ agree.
"""

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from labelhub.accounts.permissions import pm_required, signed_in_user
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.pages import campaign_for_page
from labelhub.recordings.filters import RecordingFilters, filters_parse, page_parse
from labelhub.recordings.models import Recording
from labelhub.recordings.selectors import recording_filter_choices, recording_list, recording_page
from labelhub.spreadsheet import safe_cell
from labelhub.validation import InvalidParameter

CSV_COLUMNS = [
    "id",
    "uid",
    "speaker",
    "prompt_id",
    "prompt_text",
    "duration_seconds",
    "status",
    "rejection_code",
    "rejection_reason",
    "quality_flags",
    "environment",
    "channel",
    "kind",
    "created_at",
]


def _filters(request: HttpRequest, campaign: Campaign) -> RecordingFilters:
    # The campaign comes from the address, whatever the query string says.
    params = request.GET.copy()
    params["campaign"] = str(campaign.pk)
    return filters_parse(params)


@require_GET
@pm_required
def recordings_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    context = {"campaign": campaign, "choices": recording_filter_choices(campaign=campaign)}
    try:
        filters = _filters(request, campaign)
        page, page_size = page_parse(request.GET)
        found = recording_page(
            recording_list(user=signed_in_user(request), filters=filters),
            page=page,
            page_size=page_size,
        )
    except InvalidParameter as bad:
        messages.error(request, bad.message)
        context["current"] = {k: v for k, v in request.GET.items() if isinstance(v, str)}
        return render(request, "recordings/browser.html", context, status=400)
    query = {k: v for k, v in filters.as_query().items() if k != "campaign"}
    context.update(current=query, found=found, query=query)
    context["page_links"] = _page_links(query, found, page_size)
    return render(request, "recordings/browser.html", context)


def _page_links(query: dict[str, str], found: dict, page_size: int) -> dict[str, str]:
    def link(page: int) -> str:
        return "?" + urlencode({**query, "page": str(page), "page_size": str(page_size)})

    links = {"csv": "csv/?" + urlencode(query)}
    if found["has_previous"]:
        links["previous"] = link(found["page"] - 1)
    if found["has_next"]:
        links["next"] = link(found["page"] + 1)
    return links


@require_GET
@pm_required
def recordings_csv(request: HttpRequest, campaign_id: int) -> HttpResponseBase:
    campaign = campaign_for_page(request, campaign_id)
    try:
        filters = _filters(request, campaign)
    except InvalidParameter as bad:
        messages.error(request, bad.message)
        return redirect("recordings:recordings-browser", campaign_id=campaign.pk)
    rows = recording_list(user=signed_in_user(request), filters=filters)
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    name = _("recordings-campaign-%(id)d.csv") % {"id": campaign.pk}
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class _Echo:
    """csv.writer's file: hands each written line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(recordings) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so spreadsheet programs read the Korean text as UTF-8
    yield writer.writerow(CSV_COLUMNS)
    for recording in recordings.iterator(chunk_size=500):
        yield writer.writerow([safe_cell(value) for value in _csv_row(recording)])


def _csv_row(recording: Recording) -> list[object]:
    prompt = recording.prompt
    return [
        recording.pk,
        str(recording.uid),
        recording.speaker.code,
        prompt.external_id or prompt.pk if prompt else "",
        prompt.text if prompt else "",
        recording.duration_seconds if recording.duration_seconds is not None else "",
        recording.status,
        recording.rejection_code,
        recording.rejection_reason,
        " ".join(recording.quality_flags or []),
        recording.environment.name if recording.environment else "",
        recording.channel.name if recording.channel else "",
        recording.kind,
        recording.created_at.isoformat(),
    ]
