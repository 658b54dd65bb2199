"""Presigned S3 URLs by AWS Signature Version 4 query signing, in microseconds.

A release build reads each of its clips from object storage through a URL of its own
(storage.storage_reader). botocore's generate_presigned_url spends 0.3 to 0.6 ms of CPU on each
(its request objects, event hooks and a signing key derived anew each call); at 100,000 clips
that is up to a minute of CPU. This signs the same URL in about 15 us: the signing key is
derived once per day, region and secret, and the rest is two SHA-256s and an HMAC.

It follows AWS's "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)"
and covers only what settings.s3_storage_options configures: static keys, path-style URLs.
tests/test_s3_signing.py checks it against that page's worked example, against botocore's URL
for the same instant, and against a real S3 server's check of the signature.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
# S3 signs no payload hash into a presigned URL: the body is the server's to send.
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=8)
def signing_key(secret_key: str, date: str, region: str) -> bytes:
    """The day's key: HMACs of the date, region, service and "aws4_request" in turn."""
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _encode(text: str, *, safe: str = "") -> str:
    # URI-encode as SigV4 asks: every byte but A-Z a-z 0-9 - . _ ~ (and, in a path, "/").
    return quote(text, safe=safe)


@dataclass(frozen=True)
class QuerySigner:
    """Signs requests to one endpoint (``scheme://host[:port]``) with one key pair."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str
    # From endpoint_url, once: the URL's start as written, the canonical Host header (no
    # default port) and the endpoint's own path prefix.
    _origin: str = field(init=False, repr=False)
    _host: str = field(init=False, repr=False)
    _base_path: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint_url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an http(s) endpoint: {self.endpoint_url!r}")
        host = parts.hostname.lower()
        if parts.port is not None and parts.port != DEFAULT_PORTS[parts.scheme]:
            host = f"{host}:{parts.port}"
        # The endpoint as written starts the URL (botocore's too); the signed Host is canonical.
        object.__setattr__(self, "_origin", f"{parts.scheme}://{parts.netloc}")
        object.__setattr__(self, "_host", host)
        object.__setattr__(self, "_base_path", parts.path.rstrip("/"))

    def object_url(
        self,
        bucket: str,
        key: str,
        *,
        expires_seconds: int,
        method: str = "GET",
        now: datetime.datetime | None = None,
    ) -> str:
        """A path-style URL for ``method`` on ``key`` of ``bucket``, good for ``expires_seconds``
        (a PUT to it stores its body: a benchmark's fast way to fill a bucket)."""
        path = f"/{bucket}/{key}"
        return self.path_url(path, expires_seconds=expires_seconds, method=method, now=now)

    def path_url(
        self,
        path: str,
        *,
        expires_seconds: int,
        method: str = "GET",
        now: datetime.datetime | None = None,
    ) -> str:
        """A URL for ``method`` on ``path`` (not yet encoded) of the endpoint, signed at ``now``
        (UTC; default the clock's)."""
        stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%SZ")
        scope = f"{stamp[:8]}/{self.region}/{SERVICE}/aws4_request"
        # Already in name order, as the canonical query string wants its parameters.
        query = (
            f"X-Amz-Algorithm={ALGORITHM}"
            f"&X-Amz-Credential={_encode(f'{self.access_key}/{scope}')}"
            f"&X-Amz-Date={stamp}&X-Amz-Expires={int(expires_seconds)}&X-Amz-SignedHeaders=host"
        )
        uri = self._base_path + _encode(path, safe="/")
        canonical = f"{method}\n{uri}\n{query}\nhost:{self._host}\n\nhost\n{UNSIGNED_PAYLOAD}"
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{digest}"
        key = signing_key(self.secret_key, stamp[:8], self.region)
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return f"{self._origin}{uri}?{query}&X-Amz-Signature={signature}"
