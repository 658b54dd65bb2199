"""DRF throttles. Rates are settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]), from env vars."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is half loaded
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ScopedWriteThrottle(ScopedRateThrottle):
    """The view's ``throttle_scope``, counted on writes only: listing uploads is not uploading.

    Keyed by user, or by IP for anonymous callers (the recorder's invite links)."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class LoginRateThrottle(SimpleRateThrottle):
    """Sign-in attempts per IP, shared by the token endpoint and the login page."""

    scope = "login"

    def get_cache_key(self, request: Request, view: APIView | None) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttle_page(scope: str) -> Callable:
    """A server-rendered page's POSTs counted in the API's scope (an upload form shares the
    "upload" rate): past it, 429 with Retry-After and a readable message."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def throttled_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            throttle = ScopedWriteThrottle()
            # The throttle reads only the request's user and META and the view's scope, which
            # a page's HttpRequest and this stand-in provide.
            view_scope = cast("APIView", SimpleNamespace(throttle_scope=scope))
            if throttle.allow_request(cast("Request", request), view_scope):
                return view(request, *args, **kwargs)
            seconds = math.ceil(throttle.wait() or 1)
            message = _("Too many requests. Try again in %(seconds)d seconds.") % {
                "seconds": seconds
            }
            response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(seconds)
            return response

        return throttled_view

    return decorate
