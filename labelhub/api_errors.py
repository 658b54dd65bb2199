"""One place where exceptions become HTTP responses: always JSON, always naming the problem."""

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from labelhub.errors import DomainError
from labelhub.recordings.audio import AudioRejected

# PostgreSQL's SQLSTATEs for a transaction it failed so that another could go on: a deadlock
# (40P01) or a serialization failure (40001). The request's transaction was rolled back whole,
# and the same request sent again succeeds, so the caller is told to retry, not shown a 500.
RETRYABLE_SQLSTATES = {"40P01", "40001"}
RETRY_AFTER_SECONDS = 1


def _error(code: str, message: str, http_status: int, **extra: Any) -> Response:
    return Response({"error": {"code": code, "message": message, **extra}}, status=http_status)


def error_response(code: str, message: str, http_status: int, **extra: Any) -> JsonResponse:
    """The same error shape for responses made outside DRF (middleware)."""
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=http_status)


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        field, value = next(iter(detail.items()))
        inner = _first_message(value)
        return inner if field == "non_field_errors" else f"{field}: {inner}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def translated(message: object) -> str:
    """A message in the caller's language.

    Services raise plain English strings (they run in workers and shells too); those with a
    fixed wording have a Korean entry in labelhub/locale, looked up here. Already translated
    or interpolated messages come back unchanged.
    """
    text = str(message)
    return _(text) if text else text  # gettext("") would answer the catalogue's header


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        # `extra`: a domain error's structured details (the newer revision, offending spans).
        message = translated(exc.message)
        refusal = _error(exc.code, message, exc.status_code, **getattr(exc, "extra", {}))
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:  # a lockout says when to come back
            refusal["Retry-After"] = str(retry_after)
        return refusal
    if isinstance(exc, AudioRejected):
        return _error(exc.code, translated(exc.reason), status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OperationalError) and _sqlstate(exc) in RETRYABLE_SQLSTATES:
        message = _("Another change to the same records got there first. Try again.")
        busy = _error("retry", message, status.HTTP_503_SERVICE_UNAVAILABLE)
        busy["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return busy
    # DRF turns these into NotFound and PermissionDenied inside its handler; done here, so that
    # they get the same shape as every other error.
    if isinstance(exc, Http404):
        # Not Http404's own text: get_object_or_404 writes an English sentence naming the model.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return _error(
            "invalid", _first_message(exc.detail), response.status_code, fields=exc.detail
        )
    if isinstance(exc, exceptions.Throttled):
        # Throttled.__init__ sets wait; djangorestframework-stubs leave it out.
        seconds = math.ceil(getattr(exc, "wait", None) or 1)
        message = _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": seconds}
        return _with_headers(_error("throttled", message, response.status_code), response)
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        message = translated(_first_message(exc.detail))
        return _with_headers(_error(code, message, response.status_code), response)
    return response


def _sqlstate(error: OperationalError) -> str | None:
    # Django wraps the driver's error; psycopg's carries the SQLSTATE as sqlstate.
    return getattr(error.__cause__, "sqlstate", None)


def _with_headers(ours: Response, drfs: Response) -> Response:
    # DRF's handler sets Retry-After and WWW-Authenticate; keep them on our body.
    for name, value in drfs.headers.items():
        if name.lower() in {"retry-after", "www-authenticate"}:
            ours[name] = value
    return ours
