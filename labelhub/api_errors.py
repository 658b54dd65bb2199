"""One place where exceptions become HTTP responses: always JSON, always naming the problem."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from labelhub.errors import DomainError
from labelhub.recordings.audio import AudioRejected


def _error(code: str, message: str, http_status: int, **extra: Any) -> Response:
    return Response({"error": {"code": code, "message": message, **extra}}, status=http_status)


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        field, value = next(iter(detail.items()))
        inner = _first_message(value)
        return inner if field == "non_field_errors" else f"{field}: {inner}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        # `extra`: a domain error's structured details (the newer revision, offending spans).
        return _error(exc.code, exc.message, exc.status_code, **getattr(exc, "extra", {}))
    if isinstance(exc, AudioRejected):
        return _error(exc.code, exc.reason, status.HTTP_400_BAD_REQUEST)
    # DRF turns these into NotFound and PermissionDenied inside its handler; done here, so that
    # they get the same shape as every other error.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
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
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        return _error(code, _first_message(exc.detail), response.status_code)
    return response
