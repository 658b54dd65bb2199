"""A bulk upload's report follows each stored row through ingest: a row stored from the manifest
is not "accepted" until ingest has passed it, and a clip ingest rejects shows as rejected with
the reason, in the API and on the report page."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import BulkUpload, Recording
from labelhub.recordings.services import recording_ingest
from tests.audio_samples import silence, speak
from tests.factories import CampaignFactory, ConsentRecordFactory
from tests.recordings.test_bulk_upload import zipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
    ConsentRecordFactory(speaker__campaign=campaign, speaker__code="ST-01")
    return campaign


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("follow")
    manifest = "file,speaker_code\ntv.wav,ST-01\nquiet.wav,ST-01\nnotes.wav,ST-01\n"
    return zipped(
        {
            "manifest.csv": manifest.encode(),
            "tv.wav": speak("turn on the television", folder / "tv.wav").read_bytes(),
            "quiet.wav": silence(folder / "quiet.wav", seconds=2.0).read_bytes(),
            "notes.wav": b"not audio at all" * 100,
        }
    )


def states(body: dict) -> dict[str, str]:
    return {row["file"]: row["state"] for row in body["rows"]}


def test_rows_turn_from_stored_to_ready_or_rejected_as_ingest_runs(
    api_for, pm, campaign, archive, media_root: Path
) -> None:
    client = api_for(pm)
    created = client.post(
        f"/api/campaigns/{campaign.pk}/bulk-uploads/",
        {"archive": SimpleUploadedFile("batch.zip", archive)},
        format="multipart",
    ).json()
    before = client.get(created["url"]).json()
    for recording in Recording.objects.filter(campaign=campaign):
        recording_ingest(recording_id=recording.pk)  # what the ingest worker runs
    after = client.get(created["url"]).json()

    assert created["accepted_count"] == 2  # what the manifest read stored, as before
    assert states(before) == {
        "tv.wav": "received",
        "quiet.wav": "received",
        "notes.wav": "rejected",
    }
    assert before["summary"] == {"accepted": 0, "rejected": 1, "pending": 2}
    assert before["settled"] is False
    assert states(after) == {"tv.wav": "ready", "quiet.wav": "rejected", "notes.wav": "rejected"}
    assert after["summary"] == {"accepted": 1, "rejected": 2, "pending": 0}
    assert after["settled"] is True
    quiet = next(row for row in after["rows"] if row["file"] == "quiet.wav")
    assert (quiet["stage"], quiet["code"]) == ("ingest", "silent") and "silent" in quiet["reason"]
    assert quiet["recording"] == Recording.objects.get(rejection_code="silent").pk
    assert [row["row"] for row in after["rows"]] == [2, 3, 4]


def test_the_report_page_reloads_until_every_row_settles(pm, campaign, archive) -> None:
    browser = Client()
    browser.force_login(pm)
    browser.post(
        f"/campaigns/{campaign.pk}/bulk-uploads/",
        {"archive": SimpleUploadedFile("batch.zip", archive)},
    )
    upload = BulkUpload.objects.get(campaign=campaign)
    report = f"/campaigns/{campaign.pk}/bulk-uploads/{upload.pk}/"

    pending = browser.get(report).content.decode()
    for recording in Recording.objects.filter(campaign=campaign):
        recording_ingest(recording_id=recording.pk)
    settled = browser.get(report).content.decode()

    assert 'http-equiv="refresh"' in pending and 'data-state="received"' in pending
    assert 'http-equiv="refresh"' not in settled
    assert "After ingest: 1 accepted, 2 rejected, 0 waiting for ingest." in settled
    assert settled.count('data-state="rejected"') == 2
