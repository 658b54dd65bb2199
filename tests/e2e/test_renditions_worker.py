"""A rendition asked for through the API is built by a real Celery worker."""

from pathlib import Path

from rest_framework.test import APIClient

from labelhub.accounts.models import User
from labelhub.recordings.audio import sha256_file
from labelhub.releases.models import Release, ReleaseRendition
from labelhub.releases.rendition_services import rendition_write
from labelhub.releases.renditions import rendition_parse
from tests.e2e.conftest import StartWorker
from tests.e2e.test_faults import wait_until
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import approved_clip
from tests.releases.test_formats_loaders import tone


def test_a_worker_builds_an_asked_for_rendition_and_it_is_the_reproducible_one(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    campaign = CampaignFactory(name="Acme Smart TV")
    for number in range(3):
        approved_clip(campaign, f"clip {number}", normalised_file__data=tone(number))
    api = APIClient()
    api.force_authenticate(UserFactory(role=User.Role.PM))
    release_id = api.post("/api/releases/", {"campaign": campaign.pk}, format="json").json()["id"]
    start_worker()
    wait_until(
        lambda: Release.objects.filter(pk=release_id, status="published").exists(),
        timeout=90,
        what="the version to publish",
    )

    asked = api.post(
        f"/api/releases/{release_id}/renditions/",
        {"audio_format": "flac", "formats": ["webdataset"]},
        format="json",
    )
    assert asked.status_code == 202, asked.json()
    wait_until(
        lambda: (
            ReleaseRendition.objects.filter(release_id=release_id)
            .exclude(status="building")
            .count()
            == 2
        ),
        timeout=90,
        what="the rendition to be built",
    )

    rendition = ReleaseRendition.objects.get(release_id=release_id, key="flac+webdataset")
    assert rendition.status == ReleaseRendition.Status.PUBLISHED, rendition.error
    again = tmp_path / "again.zip"
    release = Release.objects.get(pk=release_id)
    rendition_write(release=release, rendition=rendition_parse(rendition.key), archive=again)
    assert sha256_file(again) == rendition.archive_sha256
    assert release.version == 1 and Release.objects.filter(campaign=campaign).count() == 1
