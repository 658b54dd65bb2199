"""DRF throttles. Rates are settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]), from env vars."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
