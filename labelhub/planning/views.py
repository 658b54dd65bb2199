"""The PM's planning pages under /campaigns/. Thin: a form parses, a service decides."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from labelhub.accounts.permissions import pm_required, signed_in_user
from labelhub.accounts.throttles import throttle_page
from labelhub.campaigns import quota_cells, services
from labelhub.campaigns.demographics import dialect_choices_for, region_choices_for
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.pages import campaign_for_page
from labelhub.campaigns.prompt_import import MAX_BYTES, MAX_ROWS, prompts_import
from labelhub.campaigns.selectors import campaign_list, legal_review_for
from labelhub.errors import DomainError
from labelhub.pages import flash_outcome
from labelhub.planning import page_lists
from labelhub.planning.forms import (
    BulkUploadForm,
    CampaignForm,
    ChannelForm,
    EnvironmentForm,
    InviteForm,
    LegalReviewForm,
    PromptImportForm,
    QuotaCellForm,
)
from labelhub.planning.pages import refusal_text
from labelhub.recordings.bulk import BULK_SYNC_ROWS, bulk_upload
from labelhub.recordings.models import BulkUpload
from labelhub.recordings.selectors import CellProgress, bulk_upload_followed, quota_progress
from labelhub.speakers.invites import invite_path
from labelhub.speakers.services import invites_create

Status = Campaign.Status
TRANSITION_LABELS = {
    Status.DRAFT: gettext_lazy("Back to draft"),
    Status.LEGAL_REVIEW: gettext_lazy("Send to legal review"),
    Status.ACTIVE: gettext_lazy("Activate: start collecting"),
    Status.CLOSED: gettext_lazy("Close the campaign"),
}


def _back(campaign: Campaign, anchor: str = "") -> HttpResponse:
    return redirect(f"/campaigns/{campaign.pk}/{'#' + anchor if anchor else ''}")


@require_GET
@pm_required
def campaign_list_page(request: HttpRequest) -> HttpResponse:
    campaigns = campaign_list(user=signed_in_user(request))
    return render(request, "campaigns/campaign_list.html", {"campaigns": campaigns})


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            if campaign is None:
                campaign = services.campaign_create(
                    created_by=signed_in_user(request), **form.cleaned_data
                )
                messages.success(request, _("Campaign created."))
            else:
                services.campaign_update(campaign=campaign, **form.cleaned_data)
                messages.success(request, _("Campaign saved."))
            return _back(campaign)
        except ValidationError as error:
            form.add_error(None, error)
        except DomainError as error:
            form.add_error(None, error.message)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign})


@pm_required
def campaign_create_page(request: HttpRequest) -> HttpResponse:
    return _campaign_form(request, None)


@pm_required
def campaign_edit_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _campaign_form(request, campaign_for_page(request, campaign_id))


def _cell_rows(campaign: Campaign, progress: dict[int, CellProgress]) -> list[dict]:
    """Quota cells with their values labelled for display ("" stays "" and shows as any), and
    their progress (collected and approved against target)."""
    labels = quota_cells.cell_value_labels(campaign)
    return [
        {"cell": cell, "progress": progress.get(cell.pk)}
        | {
            dimension: names.get(getattr(cell, dimension), getattr(cell, dimension))
            for dimension, names in labels.items()
        }
        for cell in campaign.quota_cells.all()
    ]


def _detail(request: HttpRequest, campaign: Campaign, **forms: object) -> HttpResponse:
    review = legal_review_for(campaign=campaign)
    context = {
        "campaign": campaign,
        "transitions": [
            (status, TRANSITION_LABELS[Status(status)])
            for status in Status.values
            if status in services.TRANSITIONS[campaign.status]
        ],
        "review": review,
        "review_missing": services.legal_review_missing(review),
        "review_approved": services.legal_review_is_approved(review),
        "review_form": LegalReviewForm(instance=review),
        "cells": _cell_rows(campaign, quota_progress(campaign=campaign)),
        "cell_form": QuotaCellForm(campaign=campaign),
        "prompt_count": campaign.prompts.count(),
        "prompt_categories": sorted(
            set(campaign.prompts.exclude(category="").values_list("category", flat=True))
        ),
        "import_form": PromptImportForm(),
        "import_limits": {"rows": f"{MAX_ROWS:,}", "megabytes": MAX_BYTES // 1024 // 1024},
        "environments": campaign.environments.all(),
        "environment_form": EnvironmentForm(),
        "channels": campaign.channels.all(),
        "channel_form": ChannelForm(),
        "dialects": dialect_choices_for(campaign),
        "regions": region_choices_for(campaign),
        "editable": campaign.status != Status.CLOSED,
        "review_editable": campaign.status in (Status.DRAFT, Status.LEGAL_REVIEW),
    }
    context.update(_collection_context(request, campaign))
    context.update(page_lists.lists_context(request, campaign))
    context.update(forms)
    return render(request, "campaigns/campaign_detail.html", context)


@require_GET
@pm_required
def campaign_detail_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    return _detail(request, campaign, created_links=_created_links(request, campaign))


@require_POST
@pm_required
def campaign_transition_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    flash_outcome(
        request,
        lambda: services.campaign_transition(
            campaign=campaign, to=request.POST.get("to", ""), by=signed_in_user(request)
        ),
        success=lambda moved: (
            _("Status is now: %(status)s.") % {"status": moved.get_status_display()}
        ),
    )
    return _back(campaign)


@require_POST
@pm_required
def legal_review_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    form = LegalReviewForm(request.POST, instance=legal_review_for(campaign=campaign))
    if not form.is_valid():
        return _detail(request, campaign, review_form=form)
    flash_outcome(
        request,
        lambda: services.legal_review_update(campaign=campaign, **form.cleaned_data),
        success=_("Legal review saved."),
        refused=(DomainError, ValidationError),
    )
    return _back(campaign, "legal-review")


@require_POST
@pm_required
def legal_review_sign_off_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    flash_outcome(
        request,
        lambda: services.legal_review_sign_off(campaign=campaign, by=signed_in_user(request)),
        success=_("Legal review signed off."),
    )
    return _back(campaign, "legal-review")


@require_POST
@pm_required
def quota_cell_add_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    form = QuotaCellForm(request.POST, campaign=campaign)
    if not form.is_valid():
        return _detail(request, campaign, cell_form=form)
    flash_outcome(
        request,
        lambda: quota_cells.quota_cells_create(campaign=campaign, cells=[form.cleaned_data]),
        success=_("Quota cell added."),
    )
    return _back(campaign, "quota-cells")


@require_POST
@pm_required
def quota_cell_delete_page(request: HttpRequest, campaign_id: int, cell_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    cell = campaign.quota_cells.filter(pk=cell_id).first()
    if cell is None:
        raise Http404
    flash_outcome(
        request,
        lambda: quota_cells.quota_cell_delete(cell=cell),
        success=_("Quota cell deleted."),
    )
    return _back(campaign, "quota-cells")


@require_POST
@pm_required
@throttle_page("upload")
def prompt_import_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    form = PromptImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, campaign, import_form=form)
    try:
        report = prompts_import(campaign=campaign, upload=form.cleaned_data["file"])
    except DomainError as error:
        form.add_error("file", error.message)
        return _detail(request, campaign, import_form=form)
    # The report is shown right away rather than after a redirect: it can list many rows.
    return _detail(request, campaign, import_report=report)


def _place_add(request: HttpRequest, campaign_id: int, kind: str) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    form_class, create = {
        "environment": (EnvironmentForm, services.environment_create),
        "channel": (ChannelForm, services.channel_create),
    }[kind]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            create(campaign=campaign, **form.cleaned_data)
            messages.success(request, _("Added: %(name)s.") % {"name": form.cleaned_data["name"]})
            return _back(campaign, f"{kind}s")
        except (DomainError, ValidationError) as error:
            form.add_error(None, refusal_text(error))
    return _detail(request, campaign, **{f"{kind}_form": form})


def _place_delete(request: HttpRequest, campaign_id: int, kind: str, place_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    place = getattr(campaign, f"{kind}s").filter(pk=place_id).first()
    if place is None:
        raise Http404
    flash_outcome(
        request,
        lambda: services.place_delete(place=place),
        success=_("Deleted: %(name)s.") % {"name": place.name},
    )
    return _back(campaign, f"{kind}s")


@require_POST
@pm_required
def environment_add_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _place_add(request, campaign_id, "environment")


@require_POST
@pm_required
def environment_delete_page(request: HttpRequest, campaign_id: int, place_id: int) -> HttpResponse:
    return _place_delete(request, campaign_id, "environment", place_id)


@require_POST
@pm_required
def channel_add_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _place_add(request, campaign_id, "channel")


@require_POST
@pm_required
def channel_delete_page(request: HttpRequest, campaign_id: int, place_id: int) -> HttpResponse:
    return _place_delete(request, campaign_id, "channel", place_id)


# --- collection: speaker invites and studio bulk upload ------------------------------------------
# The pages call the speakers/recordings services as the API does; they only add the forms, the
# full invite URLs and the report page a PM can keep open while a worker processes a large ZIP.

RECENT_INVITES = 20
RECENT_BULK_UPLOADS = 10
# A running bulk upload's page reloads itself this often (seconds) until the worker is done.
BULK_REFRESH_SECONDS = 3
# Session key holding the invites created by the last POST until the page shows their links.
CREATED_INVITES = "campaigns.created_invites"


def _collection_context(request: HttpRequest, campaign: Campaign) -> dict:
    invites = campaign.invites.select_related("speaker", "channel")
    if request.GET.get("show") != "invites":
        invites = invites[:RECENT_INVITES]
    invite_count = campaign.invites.count()
    return {
        "collecting": campaign.status == Status.ACTIVE,
        "invite_form": InviteForm(campaign=campaign),
        "invites": page_lists.invite_rows(request, list(invites)),
        "invite_count": invite_count,
        "invites_capped": len(invites) < invite_count,
        "invites_used": campaign.invites.filter(used_at__isnull=False).count(),
        "bulk_form": BulkUploadForm(),
        "bulk_uploads": campaign.bulk_uploads.select_related("uploaded_by")[:RECENT_BULK_UPLOADS],
        "bulk_sync_rows": BULK_SYNC_ROWS,
        "invite_days": settings.SPEAKER_INVITE_DAYS,
    }


@require_POST
@pm_required
def invite_create_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    form = InviteForm(request.POST, campaign=campaign)
    if not form.is_valid():
        return _detail(request, campaign, invite_form=form)
    try:
        # invites_create itself does not look at the status: links are only handed out while
        # the campaign collects, i.e. after the legal sign-off.
        services.campaign_require_collecting(campaign=campaign)
        invites = invites_create(
            campaign=campaign, created_by=signed_in_user(request), **form.cleaned_data
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _back(campaign)  # to the top, where the message is shown
    messages.success(
        request,
        ngettext("%(count)d invite link created.", "%(count)d invite links created.", len(invites))
        % {"count": len(invites)},
    )
    # Redirect, then show the links once: reloading the page must not issue more live links.
    request.session[CREATED_INVITES] = {"campaign": campaign.pk, "ids": [i.pk for i in invites]}
    return _back(campaign, "invites")


def _created_links(request: HttpRequest, campaign: Campaign) -> list[str]:
    """The links just created on this campaign, as full URLs, handed out once."""
    created = request.session.pop(CREATED_INVITES, None)
    if not created or created.get("campaign") != campaign.pk:
        return []
    invites = campaign.invites.filter(pk__in=created["ids"], revoked_at__isnull=True)
    return [
        request.build_absolute_uri(invite_path(invite=invite))
        for invite in sorted(invites, key=lambda invite: invite.pk)
    ]


@require_POST
@pm_required
@throttle_page("upload")
def bulk_upload_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    form = BulkUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, campaign, bulk_form=form)
    try:
        upload = bulk_upload(
            campaign=campaign,
            archive=form.cleaned_data["archive"],
            uploaded_by=signed_in_user(request),
        )
    except DomainError as error:  # a hostile or malformed archive, or not collecting: nothing kept
        form.add_error("archive", error.message)
        return _detail(request, campaign, bulk_form=form)
    return redirect("campaigns:bulk-upload", campaign_id=campaign.pk, upload_id=upload.pk)


@require_GET
@pm_required
def bulk_upload_report_page(request: HttpRequest, campaign_id: int, upload_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    upload = campaign.bulk_uploads.select_related("uploaded_by").filter(pk=upload_id).first()
    if upload is None:
        raise Http404
    working = upload.status in (BulkUpload.Status.QUEUED, BulkUpload.Status.RUNNING)
    context = {
        "campaign": campaign,
        "upload": upload,
        "report": upload.report,
        "working": working,
        "refresh_seconds": BULK_REFRESH_SECONDS,
        # Each row followed through ingest; the page reloads until every row has settled.
        "followed": bulk_upload_followed(upload=upload),
    }
    return render(request, "campaigns/bulk_upload.html", context)
