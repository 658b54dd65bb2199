"""The Content-Security-Policy a response carries: the site's policy, as settings.py writes it,
plus what depends on where files live, read when the response is made."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage

from labelhub.storage import storage_is_remote


def content_security_policy() -> str:
    """settings.CONTENT_SECURITY_POLICY, and with S3 the store's origin for media: the pages'
    <audio> follows the audio API's redirect to a presigned URL there. Nothing else loads from
    the store (no fetch or XHR), so connect-src stays 'self'."""
    policy: str = settings.CONTENT_SECURITY_POLICY
    origin = storage_media_origin()
    return policy_with(policy, "media-src", origin) if origin else policy


def storage_media_origin() -> str:
    """The origin presigned URLs point at (S3_PUBLIC_ENDPOINT_URL, else S3_ENDPOINT_URL), or ""
    on a local folder."""
    if not storage_is_remote():
        return ""
    storage: Any = default_storage
    endpoint: str = settings.S3_PUBLIC_ENDPOINT_URL or storage.endpoint_url
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def policy_with(policy: str, directive: str, source: str) -> str:
    """The policy with one more source allowed in one of its directives."""
    return "; ".join(
        f"{part} {source}" if part.split(" ", 1)[0] == directive else part
        for part in policy.split("; ")
    )
