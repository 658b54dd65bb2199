"""A collecting long-form campaign with consented speakers, and an HTTP client for it.

Shared by the long-form end-to-end tests (tests/e2e, tests/browser) and benchmarks/longform.py:
the rows are made with factories (the campaign forms are tested elsewhere), everything after
that goes through the real API.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import Recording
from labelhub.speakers.models import Speaker
from tests.factories import (
    CampaignFactory,
    ConsentDocumentFactory,
    ConsentRecordFactory,
    LegalReviewFactory,
    UserFactory,
)

PASSWORD = "pass-for-tests-1"  # UserFactory's
# Where ingest keeps what it derives; the raw upload (raw/) is the only file a rejected source
# may leave, because it is kept untouched for a rerun.
RAW_FOLDER = "raw"


def longform_campaign(*, speakers: int = 1, **fields: Any) -> tuple[Campaign, list[Speaker]]:
    """An active, signed-off long-form English campaign and `speakers` consented speakers."""
    pm = UserFactory(role=User.Role.PM)
    campaign = CampaignFactory(
        status=Campaign.Status.ACTIVE,
        collection_mode=Campaign.CollectionMode.LONG_FORM,
        language="en",
        created_by=pm,
        **fields,
    )
    LegalReviewFactory(campaign=campaign, signed_off_by=pm, signed_off_at=timezone.now())
    document = ConsentDocumentFactory(campaign=campaign)
    people = [
        ConsentRecordFactory(speaker__campaign=campaign, document=document).speaker
        for _ in range(speakers)
    ]
    return campaign, people


class Api:
    """A token-authenticated client of the live server, as a script or another app would be."""

    def __init__(self, base: str, user: User) -> None:
        self.base = base
        token = requests.post(
            f"{base}/api/auth/token/", data={"username": user.username, "password": PASSWORD}
        )
        token.raise_for_status()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token.json()['token']}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.base + path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.base + path, **kwargs)

    def upload(self, path: Path, speaker: Speaker) -> requests.Response:
        with Path(path).open("rb") as handle:
            return self.post(
                "/api/recordings/",
                data={"speaker": speaker.pk},
                files={"file": (path.name, handle)},
            )

    def finished_source(self, recording_id: int, *, timeout: float) -> dict:
        """The source's API body once ingest and segmentation are over, either way."""
        return wait_for(
            lambda: self.get(f"/api/recordings/{recording_id}/").json(),
            source_finished,
            timeout=timeout,
        )


def source_finished(body: dict) -> bool:
    """Ingest and segmentation are over, either way: rejected, or drafted (done or failed)."""
    if body["status"] == Recording.Status.REJECTED:
        return True
    return body["status"] == Recording.Status.READY and body["asr_status"] in {"done", "failed"}


def wait_for(fetch: Callable[[], dict], done: Callable[[dict], bool], *, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        body = fetch()
        if done(body):
            return body
        time.sleep(0.5)
    raise AssertionError(f"not finished after {timeout}s: {body}")


def derived_files(media_root: Path) -> list[str]:
    """Every stored file but raw uploads, relative to MEDIA_ROOT."""
    return sorted(
        str(path.relative_to(media_root))
        for path in media_root.rglob("*")
        if path.is_file() and path.relative_to(media_root).parts[0] != RAW_FOLDER
    )
