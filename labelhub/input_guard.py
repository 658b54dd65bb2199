"""Refuses forbidden characters in any request before a view sees it, and keeps every API error
in the documented shape, so no text input reaches the database unchecked.

One place for every form of request data: the path, the query string, JSON bodies (keys
included), form fields and uploaded file names. Text inside uploaded files is the file parsers'
job (they call labelhub.validation.first_text_problem per row).
"""

import json
from collections.abc import Callable
from http import HTTPStatus

from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from labelhub.errors import DomainError
from labelhub.validation import InvalidText, first_text_problem

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class _Unreadable(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _fields(data: QueryDict) -> dict[str, str | list[str]]:
    # A field sent once is named plainly ("name"), a repeated one by position ("tag[1]").
    return {key: values[0] if len(values) == 1 else values for key, values in data.lists()}


def _form_data(request: HttpRequest) -> dict:
    try:
        # Every file of a repeated field, not just the last one values() would give.
        files = [upload.name or "" for _, uploads in request.FILES.lists() for upload in uploads]
        return {**_fields(request.POST), "file name": files}
    except SuspiciousOperation as error:  # too big, too many fields or files
        # Django has read part of the body, so no view could read it again: answered here.
        raise _Unreadable(413, "too_large", str(error)) from error
    except MultiPartParserError as error:
        message = _("The form data cannot be read: %s") % error
        raise _Unreadable(400, "malformed", message) from error


def _body_data(request: HttpRequest) -> object:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.content_type == "application/json":
        try:
            return json.loads(request.body or b"null")
        except (ValueError, SuspiciousOperation):
            return None  # the view's parser answers malformed or oversized bodies
    if request.content_type in _FORM_TYPES:
        return _form_data(request)
    return None


def request_text_problem(request: HttpRequest) -> str | None:
    """The first forbidden character anywhere in the request's text, as a readable reason."""
    return (
        first_text_problem(request.path, field="path")
        or first_text_problem(_fields(request.GET))
        or first_text_problem(_body_data(request))
    )


def bad_request(
    request: HttpRequest, code: str, message: str, status: int = 400, **extra: object
) -> HttpResponse:
    if _is_api(request):
        body = {"error": {"code": code, "message": message, **extra}}
        return JsonResponse(body, status=status)
    return render(request, "bad_request.html", {"message": message}, status=status)


def _shaped(response: HttpResponse) -> HttpResponse:
    """An API 4xx that Django itself made (no route, wrong method, unreadable body) as JSON."""
    if not 400 <= response.status_code < 500 or "json" in response.get("Content-Type", ""):
        return response
    phrase = HTTPStatus(response.status_code).phrase
    # The phrases have Korean entries in labelhub/locale: looked up in the caller's language.
    body = {"error": {"code": phrase.lower().replace(" ", "_"), "message": _(phrase)}}
    shaped = JsonResponse(body, status=response.status_code)
    for header in ("Allow", "Content-Range", "Retry-After", "WWW-Authenticate"):
        if header in response:
            shaped[header] = response[header]
    return shaped


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            problem = request_text_problem(request)
        except _Unreadable as unreadable:
            return bad_request(request, unreadable.code, unreadable.message, unreadable.status)
        if problem:
            return bad_request(request, InvalidText.code, problem)
        response = self.get_response(request)
        return _shaped(response) if _is_api(request) else response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # API views answer domain errors through labelhub.api_errors; a page that lets one
        # through (a stale form: requeue a task someone already requeued) shows it readably.
        if isinstance(exception, DomainError):
            extra = getattr(exception, "extra", {})
            return bad_request(
                request, exception.code, exception.message, exception.status_code, **extra
            )
        if isinstance(exception, ValidationError):  # a service's full_clean()
            return bad_request(request, "invalid", "; ".join(exception.messages))
        return None
