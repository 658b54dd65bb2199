"""Workbench, review, triage and history pages. The workbench and review pages are ES modules
(frontend/workbench/) on top of the API; triage and history are plain server-rendered pages."""

import secrets

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from labelhub.accounts.permissions import (
    labeling_staff_required,
    pm_required,
    reviewer_required,
    signed_in_user,
)
from labelhub.csp import content_security_policy, policy_with
from labelhub.labeling.models import Task
from labelhub.labeling.selectors import revisions_of, tasks_in_triage
from labelhub.labeling.services import task_requeue
from labelhub.pages import flash_outcome
from labelhub.recordings.selectors import recordings_visible_to

# The page renews its lease this often; the lease itself lasts LABELING_LEASE_MINUTES.
HEARTBEAT_SECONDS = 60

# Segment mode's own keys (a long-form source); frontend/workbench/segments.js binds the same.
SEGMENT_KEYS = [
    ("Ctrl+Enter", gettext_lazy("Submit the segment and go to the next one")),
    ("Alt+N · Alt+P", gettext_lazy("Next / previous segment")),
    ("Alt+Enter", gettext_lazy("Play the segment")),
    ("Alt+L", gettext_lazy("Loop the segment (again to stop)")),
    ("Alt+X", gettext_lazy("Split the segment at the cursor")),
    ("Alt+M", gettext_lazy("Merge with the next segment")),
    ("Alt+A", gettext_lazy("Add a segment at the cursor")),
    ("Alt+Delete", gettext_lazy("Delete the segment")),
    ("Alt+[ · Alt+]", gettext_lazy("Move the start / end to the cursor")),
    ("Alt+1 … Alt+9", gettext_lazy("Speaker 1 … 9 for the segment")),
]


def _template_url(name: str, kwarg: str) -> str:
    # "/api/tasks/{id}/submit/": the page fills in the id.
    return reverse(name, kwargs={kwarg: 0}).replace("/0/", "/{id}/")


def _api_urls() -> dict:
    return {
        "leaseUrl": _template_url("task-lease", "task_id"),
        "checkUrl": reverse("convention-check"),
        "historyPage": _template_url("labeling-history", "recording_id"),
        "spectrogramUrl": _template_url("recording-spectrogram", "recording_id"),
    }


def _with_style_nonce(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """Renders a page that runs wavesurfer.js, whose shadow DOM carries one <style> element.

    The site's policy refuses inline styles; this page's policy allows that one element by a
    nonce made for this response (wavesurfer's cspNonce option), and nothing else inline.
    """
    nonce = secrets.token_urlsafe(16)
    context["config"]["styleNonce"] = nonce
    response = render(request, template, context)
    policy = policy_with(content_security_policy(), "style-src", f"'nonce-{nonce}'")
    response.headers["Content-Security-Policy"] = policy
    return response


@require_GET
@labeling_staff_required
def workbench(request: HttpRequest) -> HttpResponse:
    context = {
        "skip_reasons": Task.SkipReason.choices,
        "keys": [("Ctrl+Enter", _("Submit and next")), ("Alt+S", _("Skip the clip"))],
        "segment_keys": SEGMENT_KEYS,
        "config": {
            **_api_urls(),
            "claimUrl": reverse("task-claim"),
            "submitUrl": _template_url("task-submit", "task_id"),
            "skipUrl": _template_url("task-skip", "task_id"),
            "statsUrl": reverse("workbench-stats"),
            "segmentUrl": _template_url("segment-detail", "segment_id"),
            "heartbeatSeconds": HEARTBEAT_SECONDS,
        },
    }
    return _with_style_nonce(request, "labeling/workbench.html", context)


@require_GET
@reviewer_required
def review(request: HttpRequest) -> HttpResponse:
    context = {
        "keys": [
            ("Ctrl+Enter", _("Approve (edits included)")),
            ("Alt+R", _("Return with the comment")),
        ],
        "config": {
            **_api_urls(),
            "claimUrl": reverse("review-claim"),
            "decideUrl": _template_url("review-decide", "task_id"),
            "heartbeatSeconds": HEARTBEAT_SECONDS,
        },
    }
    return _with_style_nonce(request, "labeling/review.html", context)


@require_GET
@pm_required
def triage(request: HttpRequest) -> HttpResponse:
    return render(request, "labeling/triage.html", {"tasks": tasks_in_triage()})


@require_POST
@pm_required
def triage_requeue(request: HttpRequest, task_id: int) -> HttpResponse:
    get_object_or_404(Task, pk=task_id)
    # Refused e.g. when requeued twice from two open tabs: say so, no 500.
    flash_outcome(request, lambda: task_requeue(task_id=task_id, pm=signed_in_user(request)))
    return redirect("labeling-triage")


@require_GET
@labeling_staff_required
def history(request: HttpRequest, recording_id: int) -> HttpResponse:
    recording = get_object_or_404(
        recordings_visible_to(user=signed_in_user(request)), pk=recording_id
    )
    context = {"recording": recording, "revisions": revisions_of(recording=recording)}
    return render(request, "labeling/history.html", context)
