from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from labelhub.api_errors import error_response
from labelhub.attention import pm_attention
from labelhub.navigation import landing_url


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own work; PMs on what needs them, visitors on the introduction."""
    target = landing_url(request.user)
    if target is not None:
        return redirect(target)
    if request.user.is_authenticated and request.user.is_pm:
        context = {"attention": pm_attention(user=request.user)}
        return render(request, "home_pm.html", context)
    return render(request, "home.html")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the API's error shape under /api/ (unrouted paths included), a page elsewhere."""
    if _is_api(request):
        return error_response("not_found", _("Not found."), 404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        message = _("You do not have permission to perform this action.")
        return error_response("permission_denied", message, 403)
    return render(request, "403.html", status=403)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# The map /api/ shows; tests/api_contract/ keeps it and the schema's paths the same.
API_ENDPOINTS = {
    "schema": "/api/schema/",
    "docs": "/api/docs/",
    "token": "/api/auth/token/",
    "campaigns": "/api/campaigns/",
    "campaign": "/api/campaigns/{campaign_id}/",
    "consent_documents": "/api/campaigns/{campaign_id}/consent-documents/",
    "prompts": "/api/campaigns/{campaign_id}/prompts/",
    "campaign_transition": "/api/campaigns/{campaign_id}/transition/",
    "legal_review": "/api/campaigns/{campaign_id}/legal-review/",
    "legal_review_sign_off": "/api/campaigns/{campaign_id}/legal-review/sign-off/",
    "quota_cells": "/api/campaigns/{campaign_id}/quota-cells/",
    "quota_cell": "/api/campaigns/{campaign_id}/quota-cells/{cell_id}/",
    "prompt_import": "/api/campaigns/{campaign_id}/prompts/import/",
    "environments": "/api/campaigns/{campaign_id}/environments/",
    "environment": "/api/campaigns/{campaign_id}/environments/{place_id}/",
    "channels": "/api/campaigns/{campaign_id}/channels/",
    "channel": "/api/campaigns/{campaign_id}/channels/{place_id}/",
    "speakers": "/api/campaigns/{campaign_id}/speakers/",
    "invites": "/api/campaigns/{campaign_id}/invites/",
    "speaker_withdraw": "/api/speakers/{speaker_id}/withdraw/",
    "speaker_consents": "/api/speakers/{speaker_id}/consents/",
    # The recorder page's endpoints: the signed invite token is the credential.
    "recorder_state": "/api/record/{token}/",
    "recorder_consent": "/api/record/{token}/consent/",
    "recorder_recordings": "/api/record/{token}/recordings/",
    "bulk_upload": "/api/campaigns/{campaign_id}/bulk-uploads/",
    "bulk_upload_detail": "/api/bulk-uploads/{bulk_upload_id}/",
    "recordings": (
        "/api/recordings/?campaign=&status=&speaker=&cell=&prompt=&flag=&rejection_code="
        "&environment=&channel=&kind=&created_from=&created_to=&page=&page_size="
    ),
    "recording": "/api/recordings/{recording_id}/",
    "recording_audio": "/api/recordings/{recording_id}/audio/",
    "recording_spectrogram": "/api/recordings/{recording_id}/spectrogram/",
    "task_claim": "/api/tasks/claim/",
    "task_submit": "/api/tasks/{task_id}/submit/",
    "task_lease": "/api/tasks/{task_id}/lease/",
    "task_skip": "/api/tasks/{task_id}/skip/",
    "task_requeue": "/api/tasks/{task_id}/requeue/",
    "task_release": "/api/tasks/{task_id}/release/",
    "task_reassign": "/api/tasks/{task_id}/reassign/",
    "campaign_queue": "/api/campaigns/{campaign_id}/queue/",
    "triage": "/api/triage/",
    "review_claim": "/api/reviews/claim/",
    "review_decide": "/api/reviews/{task_id}/decide/",
    "recording_peaks": "/api/recordings/{recording_id}/peaks/",
    "recording_history": "/api/recordings/{recording_id}/history/",
    "source_segments": "/api/sources/{source_id}/segments/",
    "segment": "/api/segments/{segment_id}/",
    "segment_split": "/api/segments/{segment_id}/split/",
    "segment_merge_next": "/api/segments/{segment_id}/merge-next/",
    "segment_delete": "/api/segments/{segment_id}/delete/",
    "convention_check": "/api/conventions/check/",
    "workbench_stats": "/api/workbench/stats/",
    "double_agreement": "/api/agreement/?campaign={campaign_id}",
    "releases": "/api/releases/",
    "release_preview": "/api/releases/preview/",
    "release": "/api/releases/{release_id}/",
    "release_renditions": "/api/releases/{release_id}/renditions/",
    "release_archive": "/api/releases/{release_id}/archive/",
    "release_download": "/api/releases/{release_id}/download/",
    "release_download_url": "/api/releases/{release_id}/download-url/",
    "release_changes": "/api/releases/{release_id}/changes/",
    "release_datasheet": "/api/releases/{release_id}/datasheet/",
    "release_withdrawn_items": "/api/releases/{release_id}/withdrawn-items/",
    "release_downloads": "/api/releases/{release_id}/downloads/",
    "release_revoke": "/api/releases/{release_id}/revoke/",
    "analytics_table": "/api/analytics/campaigns/{campaign_id}/{table}/?by={grouping}",
    "analytics_recollection": "/api/analytics/campaigns/{campaign_id}/recollection/",
    "exclusions": "/api/analytics/exclusions/",
    "exclusions_lift": "/api/analytics/exclusions/lift/",
    "feedback": "/api/feedback/",
}


@require_GET
def api_index(request: HttpRequest) -> JsonResponse:
    """A map of the API for people exploring it; every endpoint needs a token or a session.

    The OpenAPI schema at /api/schema/ is the full contract; tests/api_contract/ keeps this map
    and the schema's paths the same."""
    return JsonResponse({"endpoints": API_ENDPOINTS})
