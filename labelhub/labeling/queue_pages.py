"""The PM's queue page for one campaign (/work/queue/<id>/) and its two POST actions.

Thin: labelhub.labeling.queue_selectors reads, labelhub.labeling.queue_services writes; every
action redirects back to the page with its outcome flashed.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from labelhub.accounts.models import User
from labelhub.accounts.permissions import pm_required, signed_in_user
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.pages import campaign_for_page
from labelhub.labeling.models import Task
from labelhub.labeling.queue_selectors import (
    DOUBLE,
    PRIMARY,
    queue_counts,
    queue_holdings,
    queue_members,
    queue_waiting,
)
from labelhub.labeling.queue_services import task_lease_release, task_reassign
from labelhub.pages import flash_outcome

STATE_LABELS = {
    "open": gettext_lazy("Open, waiting for a labeler"),
    "returned": gettext_lazy("Returned by review, waiting for a labeler"),
    "held": gettext_lazy("Held by a labeler"),
    "submitted": gettext_lazy("Submitted, waiting for review"),
    "in_review": gettext_lazy("Held by a reviewer"),
    "approved": gettext_lazy("Approved"),
    "skipped": gettext_lazy("Skipped (in triage)"),
}
DOUBLE_LABELS = {
    "double_waiting": gettext_lazy("Waiting for a second transcriber"),
    "double_held": gettext_lazy("Held by a second transcriber"),
    "double_done": gettext_lazy("Transcribed twice"),
}
KIND_LABELS = {
    "label": gettext_lazy("labeling"),
    "review": gettext_lazy("review"),
    "double": gettext_lazy("second transcription"),
}


class ReleaseForm(forms.Form):
    lease = forms.ChoiceField(choices=[(PRIMARY, PRIMARY), (DOUBLE, DOUBLE)], required=False)


class ReassignForm(ReleaseForm):
    labeler = forms.ModelChoiceField(
        queryset=User.objects.all(),
        error_messages={"required": gettext_lazy("Choose who should get the task.")},
    )


@require_GET
@pm_required
def queue_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    counts = queue_counts(campaign=campaign)
    holdings = [
        {"holding": holding, "kind": KIND_LABELS[holding.kind]}
        for holding in queue_holdings(campaign=campaign)
    ]
    context = {
        "campaign": campaign,
        "counts": counts,
        "states": [(name, label, counts[name]) for name, label in STATE_LABELS.items()],
        "double_states": [(name, label, counts[name]) for name, label in DOUBLE_LABELS.items()],
        "lapsed": counts["expired_leases"] + counts["expired_double_leases"],
        "holdings": holdings,
        "waiting": queue_waiting(campaign=campaign),
        "members": queue_members(campaign=campaign),
        "lease_minutes": settings.LABELING_LEASE_MINUTES,
    }
    return render(request, "labeling/queue.html", context)


def _task_of(campaign: Campaign, task_id: int) -> Task:
    return get_object_or_404(Task, pk=task_id, recording__campaign=campaign)


def _form_error(form: forms.Form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


@require_POST
@pm_required
def queue_release(request: HttpRequest, campaign_id: int, task_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    task = _task_of(campaign, task_id)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("labeling-queue", campaign_id=campaign.pk)
    flash_outcome(  # refused e.g. when the holder submitted a moment ago
        request,
        lambda: task_lease_release(
            task_id=task.pk, pm=signed_in_user(request), lease=form.cleaned_data["lease"] or PRIMARY
        ),
        success=lambda holder: (
            _("Clip %(clip)s is no longer held by %(name)s; it is back in the queue.")
            % {"clip": task.recording_id, "name": holder.username}
        ),
    )
    return redirect("labeling-queue", campaign_id=campaign.pk)


@require_POST
@pm_required
def queue_reassign(request: HttpRequest, campaign_id: int, task_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    task = _task_of(campaign, task_id)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("labeling-queue", campaign_id=campaign.pk)
    to = form.cleaned_data["labeler"]
    flash_outcome(
        request,
        lambda: task_reassign(
            task_id=task.pk,
            pm=signed_in_user(request),
            to=to,
            lease=form.cleaned_data["lease"] or PRIMARY,
        ),
        success=_("Clip %(clip)s is now held by %(name)s for %(minutes)d minutes.")
        % {
            "clip": task.recording_id,
            "name": to.username,
            "minutes": settings.LABELING_LEASE_MINUTES,
        },
    )
    return redirect("labeling-queue", campaign_id=campaign.pk)
