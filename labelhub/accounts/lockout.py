"""Lockout after repeated failed sign-ins, per account and per IP, with exponential back-off.

One service for both ways in (the API token endpoint and the login page). State lives in
Django's cache (Redis in production), so every web process sees the same counts. Counting uses
``cache.incr``, atomic on Redis, so parallel guesses cannot slip past the threshold.

After ``threshold`` failures the key is locked for ``LOGIN_LOCKOUT_SECONDS``; every further
failure doubles that, up to ``LOGIN_LOCKOUT_MAX_SECONDS``. While locked, even the right
password is refused. Counts are forgotten ``LOGIN_LOCKOUT_RESET_SECONDS`` after the first
failure; a success clears the account's count but not the IP's, or an attacker holding one
account could reset their IP's count between guesses at others.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle

from labelhub.errors import DomainError

if TYPE_CHECKING:
    from rest_framework.request import Request


class LoginLocked(DomainError):
    status_code = 429
    code = "locked"

    def __init__(self, retry_after: int) -> None:
        message = _("Too many failed sign-ins. Try again in %(seconds)d seconds.") % {
            "seconds": retry_after
        }
        super().__init__(message)
        self.retry_after = retry_after


def client_ip(request: HttpRequest) -> str:
    """The caller's address as DRF's throttles see it (honouring NUM_PROXIES)."""
    # get_ident reads only META, which a plain HttpRequest has as well as DRF's Request.
    return BaseThrottle().get_ident(cast("Request", request))


def _keys(username: str, ip: str) -> list[tuple[str, int]]:
    # Hashed: usernames may hold characters a cache key must not, and keys stay one length.
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    return [
        (f"lockout:account:{account}", settings.LOGIN_LOCKOUT_FAILURES),
        (f"lockout:ip:{ip}", settings.LOGIN_LOCKOUT_IP_FAILURES),
    ]


def login_retry_after(*, username: str, ip: str) -> int | None:
    """Seconds until this account or IP may try again, or None if neither is locked."""
    now = time.time()
    until = [cache.get(f"{key}:until") for key, _threshold in _keys(username, ip)]
    waits = [math.ceil(value - now) for value in until if value is not None and value > now]
    return max(waits) if waits else None


def login_check(*, username: str, ip: str) -> None:
    """Raises LoginLocked while the account or the IP is locked out."""
    wait = login_retry_after(username=username, ip=ip)
    if wait is not None:
        raise LoginLocked(wait)


def login_failed(*, username: str, ip: str) -> None:
    """Counts one failed sign-in against the account and the IP; locks either at its limit."""
    for key, threshold in _keys(username, ip):
        failures = _increment(f"{key}:failures")
        if failures >= threshold:
            seconds = min(
                settings.LOGIN_LOCKOUT_SECONDS * 2 ** (failures - threshold),
                settings.LOGIN_LOCKOUT_MAX_SECONDS,
            )
            cache.set(f"{key}:until", time.time() + seconds, timeout=seconds)


def login_succeeded(*, username: str, ip: str) -> None:
    account_key, _threshold = _keys(username, ip)[0]
    cache.delete(f"{account_key}:failures")


def _increment(key: str) -> int:
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_RESET_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_RESET_SECONDS)
        return 1
