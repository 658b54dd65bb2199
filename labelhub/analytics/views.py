"""The PM's analytics pages: campaign chains, the dashboard, gaps and re-collection, CSVs."""

from typing import overload

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from labelhub.accounts.permissions import pm_required, signed_in_user
from labelhub.analytics.asr_error import (
    DIMENSION_LABELS,
    DIMENSIONS,
    asr_error_by,
    describe,
    headline_unit,
)
from labelhub.analytics.charts import Bar, bar_chart, line_chart
from labelhub.analytics.coverage import coverage_by_cell, coverage_gaps, coverage_over_time
from labelhub.analytics.labeling_cost import labeling_cost_by
from labelhub.analytics.recollection import recollection_plan
from labelhub.analytics.selectors import (
    campaign_ancestry,
    campaign_chains,
    campaigns_for_analytics,
    excluded_recording_ids,
    exclusion_history,
)
from labelhub.analytics.services import exclusion_add, exclusion_lift, recollection_draft
from labelhub.analytics.sums import campaign_sums
from labelhub.analytics.tables import UnknownTable, clip_error_rows, rows_to_csv, table_rows
from labelhub.campaigns.labels import GroupLabels
from labelhub.campaigns.models import Campaign
from labelhub.errors import DomainError
from labelhub.pages import flash_outcome
from labelhub.recordings.models import Exclusion
from labelhub.validation import query_choice

CLIP_PAGE_SIZE = 500
# Crossed groupings offered on the dashboard ("jeolla / 60s / car"); any other works by URL.
CROSSED = ("dialect+age_band", "dialect+age_band+environment", "age_band+gender")


def _grouping_label(by: str) -> str:
    return " / ".join(str(DIMENSION_LABELS[part]) for part in by.split("+"))


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return get_object_or_404(campaigns_for_analytics(user=signed_in_user(request)), pk=campaign_id)


@overload
def _percent_param(request: HttpRequest, name: str, default: float) -> float: ...
@overload
def _percent_param(request: HttpRequest, name: str, default: None) -> float | None: ...
def _percent_param(request: HttpRequest, name: str, default: float | None) -> float | None:
    raw = request.GET.get(name) or request.POST.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw) / 100
    except ValueError:
        return default
    return value if 0 < value < 10 else default


@require_GET
@pm_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "analytics/campaign_list.html",
        {"nodes": campaign_chains(user=signed_in_user(request))},
    )


@require_GET
@pm_required
def dashboard(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    by = _grouping(request)
    facts = campaign_sums(campaign=campaign)
    coverage = coverage_by_cell(campaign=campaign, facts=facts)
    errors = asr_error_by(campaign=campaign, dimension=by, facts=facts)
    unit = headline_unit(campaign.language)
    over_time = coverage_over_time(campaign=campaign, facts=facts)
    labels = GroupLabels(campaign)
    context = {
        "campaign": campaign,
        "ancestry": campaign_ancestry(campaign=campaign),
        "children": campaign.children.order_by("created_at"),
        "coverage": [(row, labels.cell(row.cell)) for row in coverage],
        "coverage_chart": _coverage_chart(coverage, labels),
        "time_chart": line_chart(
            [(row.day.isoformat(), row.cumulative_minutes) for row in over_time],
            title=_("Approved minutes, cumulative"),
            chart_id="time-chart",
        ),
        "gap_count": sum(1 for row in coverage if not row.is_filled),
        "by": by,
        "dimensions": [(by, _grouping_label(by)) for by in (*DIMENSIONS, *CROSSED)],
        "unit": unit.upper(),
        "grouping_label": _grouping_label(by),
        "errors": [
            (
                row,
                labels.group(by, row.group),
                describe(row, language=campaign.language, label=labels.group(by, row.group)),
            )
            for row in errors
        ],
        "error_chart": _error_chart(errors, labels, by, language=campaign.language),
        "cost": labeling_cost_by(campaign=campaign, by="labeler", facts=facts),
    }
    return render(request, "analytics/dashboard.html", context)


def _grouping(request: HttpRequest) -> str:
    """The dashboard's ?by=: a dimension, dimensions crossed with '+', or the quota cell."""
    by = request.GET.get("by", "cell")
    parts = by.split("+")
    if any(part not in DIMENSIONS for part in parts) or ("cell" in parts and len(parts) > 1):
        return "cell"
    return by


def _coverage_chart(coverage: list, labels: GroupLabels) -> str:
    return bar_chart(
        [
            Bar(
                labels.cell(row.cell),
                tuple(
                    round(amounts.minutes, 1)
                    for amounts in (row.target, row.collected, row.approved)
                ),
            )
            for row in coverage
        ],
        title=_("Audio minutes per quota cell"),
        series=(_("target"), _("collected"), _("approved")),
        chart_id="coverage-chart",
    )


def _error_chart(errors: list, labels: GroupLabels, by: str, *, language: str) -> str:
    unit = headline_unit(language)
    return bar_chart(
        [
            Bar(
                labels.group(by, row.group),
                (rate.value,),
                low=rate.low,
                high=rate.high,
                note=f"{rate.value * 100:.0f}% ± {rate.half_width * 100:.0f} (n={row.clips})",
            )
            for row in errors
            if (rate := row.headline(language)) is not None
        ],
        title=_("ASR %(unit)s by %(group)s, with 95%% intervals")
        % {
            "unit": unit.upper(),
            "group": _grouping_label(by),
        },
        series=(unit.upper(),),
        percent=True,
        chart_id="error-chart",
    )


@require_GET
@pm_required
def gaps(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    threshold = _percent_param(request, "error_threshold", None)
    width = _percent_param(request, "ci_half_width", 0.05)
    labels = GroupLabels(campaign)
    plan = recollection_plan(campaign=campaign, error_threshold=threshold, ci_half_width=width)
    context = {
        "campaign": campaign,
        "gaps": [(row, labels.cell(row.cell)) for row in coverage_gaps(campaign=campaign)],
        "plan": [(cell, labels.cell(cell.source)) for cell in plan],
        "error_threshold": "" if threshold is None else round(threshold * 100, 2),
        "ci_half_width": round(width * 100, 2),
        "unit": headline_unit(campaign.language).upper(),
        "drafted": _drafted(campaign, request.GET.get("drafted", "")),
    }
    return render(request, "analytics/gaps.html", context)


def _drafted(parent: Campaign, raw_id: str) -> dict | None:
    """What "Draft the campaign" just created from `parent`, for the confirmation box."""
    if not raw_id.isdigit():
        return None
    child = Campaign.objects.filter(parent=parent, pk=int(raw_id)).first()
    if child is None:
        return None
    labels = GroupLabels(child)
    return {
        "campaign": child,
        "cells": [(cell, labels.cell(cell)) for cell in child.quota_cells.order_by("pk")],
        "prompts": child.prompts.count(),
    }


@require_POST
@pm_required
def recollect(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    try:
        child = recollection_draft(
            campaign=campaign,
            by=signed_in_user(request),
            name=request.POST.get("name", ""),
            error_threshold=_percent_param(request, "error_threshold", None),
            ci_half_width=_percent_param(request, "ci_half_width", 0.05),
        )
    except DomainError as error:
        return render(
            request,
            "analytics/gaps.html",
            {"campaign": campaign, "gaps": [], "plan": [], "error": error.message},
            status=400,
        )
    # Back to the gaps page, which confirms what was created and links the new campaign.
    return redirect(f"{reverse('analytics:gaps', args=[campaign.pk])}?drafted={child.pk}")


@require_GET
@pm_required
def table_csv(request: HttpRequest, campaign_id: int, table: str) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    by = request.GET.get("by", "")
    try:
        rows = table_rows(campaign=campaign, table=table, by=by)
    except UnknownTable as error:
        raise Http404(str(error)) from None
    response = HttpResponse(rows_to_csv(rows), content_type="text/csv; charset=utf-8")
    suffix = f"-{by.replace('+', '-')}" if by else ""
    response["Content-Disposition"] = (
        f'attachment; filename="campaign-{campaign.pk}-{table}{suffix}.csv"'
    )
    return response


@require_GET
@pm_required
def clips(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Per-clip error, worst first, filtered to one group of the dashboard: where to curate."""
    campaign = _campaign(request, campaign_id)
    by = request.GET.get("by", "")
    group = request.GET.get("group", "")
    try:
        rows = clip_error_rows(campaign=campaign, by=by, group=group)
    except UnknownTable as error:
        raise Http404(str(error)) from None
    if query_choice(request.GET, "format", ["html", "csv"], default="html") == "csv":
        response = HttpResponse(rows_to_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}-clips.csv"'
        return response
    excluded = excluded_recording_ids(campaign=campaign)
    context = {
        "campaign": campaign,
        "rows": rows[:CLIP_PAGE_SIZE],
        "total": len(rows),
        "excluded": excluded,
        "by": by,
        "group": group,
        "reasons": Exclusion.Reason.choices,
    }
    return render(request, "analytics/clips.html", context)


@require_POST
@pm_required
def exclude(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    ids = [int(pk) for pk in request.POST.getlist("recording") if pk.isdigit()]
    if request.POST.get("target") == "speakers":
        speaker_ids = campaign.recordings.filter(pk__in=ids).values_list("speaker_id", flat=True)
        targets: dict[str, list[int]] = {"speaker_ids": sorted(set(speaker_ids))}
    else:
        targets = {"recording_ids": ids}
    flash_outcome(
        request,
        lambda: exclusion_add(
            by=signed_in_user(request),
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
            campaign=campaign,
            **targets,
        ),
        success=lambda added: (
            ngettext("%(count)d exclusion in force.", "%(count)d exclusions in force.", len(added))
            % {"count": len(added)}
        ),
    )
    return redirect("analytics:exclusions", campaign_id=campaign.pk)


@require_GET
@pm_required
def exclusions(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    context = {"campaign": campaign, "history": exclusion_history(campaign=campaign)}
    return render(request, "analytics/exclusions.html", context)


@require_POST
@pm_required
def lift(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    ids = [int(pk) for pk in request.POST.getlist("exclusion") if pk.isdigit()]
    wanted = exclusion_history(campaign=campaign).filter(pk__in=ids)
    flash_outcome(
        request,
        lambda: exclusion_lift(
            exclusion_ids=list(wanted.values_list("pk", flat=True)), by=signed_in_user(request)
        ),
    )
    return redirect("analytics:exclusions", campaign_id=campaign.pk)
