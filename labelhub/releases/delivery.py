"""Expiring signed download links for release archives.

The link itself is the credential (a client's download script or browser may not carry the
session), so it names both the release and the user it was made for, and every use is checked
again: the user must still see the release and the release must not be revoked.

S3 (STORAGE_BACKEND=s3): ``archive_download_target`` returns a presigned URL (S3_PRESIGN_SECONDS)
instead of a local path, made only after those checks; the store then serves the bytes and the
Range requests of a resumed download itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from labelhub.errors import DomainError, NotAllowed
from labelhub.releases.models import Release, ReleaseRendition
from labelhub.storage import presigned_url

SALT = "labelhub.releases.download-url"


class LinkExpired(NotAllowed):
    code = "link_expired"


class LinkInvalid(NotAllowed):
    code = "link_invalid"


class ReleaseSuperseded(DomainError):
    """410: the archive held a withdrawn speaker; ``extra`` names the replacement."""

    status_code = 410
    code = "superseded"

    def __init__(self, message: str, *, replacement: dict | None) -> None:
        super().__init__(message)
        self.extra = {"reason": "consent_withdrawn", "replacement": replacement}


@dataclass(frozen=True)
class SignedLink:
    release_id: int
    user_id: int
    rendition: str = ""  # "": the release's default rendition


def download_url_make(*, release: Release, user_id: int, rendition: str = "") -> tuple[str, int]:
    """The signed path for downloading this release (one rendition of it), and how many
    seconds it stays valid. The rendition is signed into the link, so a link is for one archive.
    """
    payload = {"r": release.pk, "u": user_id} | ({"k": rendition} if rendition else {})
    token = signing.dumps(payload, salt=SALT)
    path = reverse("release-signed-download", kwargs={"release_id": release.pk})
    return f"{path}?token={token}", settings.RELEASE_URL_TTL_SECONDS


def download_url_read(*, token: str, release_id: int) -> SignedLink:
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.RELEASE_URL_TTL_SECONDS)
    except signing.SignatureExpired as error:
        raise LinkExpired(
            "this download link has expired; ask for a new one "
            f"(links last {settings.RELEASE_URL_TTL_SECONDS} seconds)"
        ) from error
    except signing.BadSignature as error:
        raise LinkInvalid("this download link is not valid") from error
    if data.get("r") != release_id:
        raise LinkInvalid("this download link is for another release")
    return SignedLink(release_id=data["r"], user_id=data["u"], rendition=data.get("k", ""))


def archive_download_target(rendition: ReleaseRendition) -> Path | str:
    """A local path to serve with Range support, or a presigned object-storage URL."""
    name = rendition.archive.name or ""
    signed = presigned_url(
        name=name, content_type="application/zip", filename=name.rsplit("/", 1)[-1]
    )
    return Path(rendition.archive.path) if signed is None else signed


def release_ensure_not_superseded(*, release: Release) -> None:
    """A superseded release serves nothing more, by any route or any link issued before."""
    if release.superseded_at is None:
        return
    replacement = release.superseded_by
    link = reverse("release-detail", kwargs={"release_id": replacement.pk}) if replacement else ""
    values = {
        "label": release.label,
        "at": f"{release.superseded_at:%Y-%m-%d}",
        "reason": release.superseded_reason,
        "new": replacement.label if replacement else "",
        "link": link,
    }
    if replacement is None:
        message = _(
            "v%(label)s was withdrawn on %(at)s (%(reason)s); every item was withdrawn, so "
            "there is no re-issue"
        )
    elif replacement.status == Release.Status.PUBLISHED:
        message = _(
            "v%(label)s was withdrawn on %(at)s (%(reason)s); download its re-issue "
            "v%(new)s instead: %(link)s"
        )
    else:
        message = _(
            "v%(label)s was withdrawn on %(at)s (%(reason)s); its re-issue v%(new)s is being "
            "built: %(link)s"
        )
    summary = None
    if replacement is not None:
        summary = {"id": replacement.pk, "version": replacement.label, "url": link}
        summary["status"] = replacement.status
    raise ReleaseSuperseded(message % values, replacement=summary)
