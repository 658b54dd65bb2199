from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def api_index(request: HttpRequest) -> JsonResponse:
    """A map of the API for people exploring it; every endpoint needs a token or a session."""
    endpoints = {
        "token": "/api/auth/token/",
        "campaigns": "/api/campaigns/",
        "consent_documents": "/api/campaigns/{campaign_id}/consent-documents/",
        "prompts": "/api/campaigns/{campaign_id}/prompts/",
        "speakers": "/api/campaigns/{campaign_id}/speakers/",
        "recordings": "/api/recordings/",
        "recording_audio": "/api/recordings/{recording_id}/audio/",
        "task_claim": "/api/tasks/claim/",
        "task_submit": "/api/tasks/{task_id}/submit/",
        "releases": "/api/releases/",
        "release_download": "/api/releases/{release_id}/download/",
    }
    return JsonResponse({"endpoints": endpoints})
