"""Request-level defences that no single view should have to remember."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from labelhub.api_errors import error_response
from labelhub.csp import content_security_policy

# Views that take audio, archives or prompt files; they may receive up to MAX_UPLOAD_BYTES
# (plus the multipart envelope). Django admin is staff-only and may attach consent evidence.
UPLOAD_VIEWS = {
    "recording-list",
    "recording-bulk-upload",
    "recorder-recordings",
    "feedback",
    "prompt-import",
    "campaigns:prompt-import",
    "campaigns:bulk-upload-create",
}
UPLOAD_NAMESPACES = {"admin"}
# Upload views that may also receive a long-form campaign's source, up to
# MAX_SOURCE_UPLOAD_BYTES. The body's campaign is not known here, so the service applies the
# campaign's own limit after the upload (a short-clip campaign still refuses past MAX_UPLOAD_BYTES).
SOURCE_UPLOAD_VIEWS = {"recording-list"}
# Boundaries, part headers and the other form fields around one uploaded file.
MULTIPART_ENVELOPE_BYTES = 64 * 1024


def smallest_limit() -> int:
    """A body no larger than this is within every view's limit."""
    return min(settings.MAX_REQUEST_BYTES, settings.MAX_UPLOAD_BYTES + MULTIPART_ENVELOPE_BYTES)


def request_limit(path: str) -> int:
    """The largest body, in bytes, the view at this path may be sent."""
    try:
        match = resolve(path)
    except Resolver404:
        return settings.MAX_REQUEST_BYTES
    if match.view_name in SOURCE_UPLOAD_VIEWS:
        largest = max(settings.MAX_UPLOAD_BYTES, settings.MAX_SOURCE_UPLOAD_BYTES)
        return largest + MULTIPART_ENVELOPE_BYTES
    if match.view_name in UPLOAD_VIEWS or UPLOAD_NAMESPACES & set(match.namespaces):
        return settings.MAX_UPLOAD_BYTES + MULTIPART_ENVELOPE_BYTES
    return settings.MAX_REQUEST_BYTES


def _refusal(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return error_response(code, message, status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestSizeLimitMiddleware:
    """Refuses a body larger than its path allows from Content-Length alone, before anything
    reads (or spools to disk) a byte of it: a 300 MB upload costs nothing to refuse."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            message = _("The Content-Length header is not a byte count.")
            return _refusal(request, 400, "bad_content_length", message)
        if length <= smallest_limit():
            # Nearly every request: no limit can refuse it, so its path is not resolved here
            # (Django resolves it again for the view; twice was ~2% of a claim's CPU).
            return self.get_response(request)
        limit = request_limit(request.path_info)
        if length > limit:
            message = _("The request is %(size)d bytes; the limit here is %(limit)d bytes.") % {
                "size": length,
                "limit": limit,
            }
            return _refusal(request, 413, "too_large", message)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sends the site's policy (labelhub.csp) on every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        return response
