"""A stored file the database still names, gone from storage: a 404 naming the problem, an
error in the operator's log, never a 500 and never a download recorded for bytes not sent."""

import logging
import os

import pytest
from django.core.files.base import ContentFile
from django.utils import translation

from labelhub.accounts.models import User
from labelhub.recordings.models import Recording
from labelhub.releases.models import DownloadEvent
from labelhub.storage import s3_key
from tests.factories import CampaignFactory, RecordingFactory, UserFactory
from tests.releases.helpers import approved_clip, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording() -> Recording:
    # The bytes never matter: each test deletes the file before asking for it.
    return RecordingFactory(
        kind=Recording.Kind.SOURCE,
        normalised_file=ContentFile(b"RIFF", name="norm.wav"),
        duration_seconds=4.0,
    )


def remove(field_file) -> str:
    os.remove(field_file.path)
    return field_file.name


def assert_file_missing(response) -> None:
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "file_missing"
    assert "missing" in response.json()["error"]["message"]


def test_audio_whose_file_is_gone_is_a_404_and_an_error_in_the_log(
    api_for, pm, recording, caplog
) -> None:
    name = remove(recording.normalised_file)
    with caplog.at_level(logging.ERROR, logger="labelhub.errors"):
        response = api_for(pm).get(f"/api/recordings/{recording.pk}/audio/")
    assert_file_missing(response)
    assert any(name in record.getMessage() for record in caplog.records)


def test_a_range_request_for_a_gone_file_is_a_404_too(api_for, pm, recording) -> None:
    remove(recording.normalised_file)
    response = api_for(pm).get(f"/api/recordings/{recording.pk}/audio/", HTTP_RANGE="bytes=0-9")
    assert_file_missing(response)


def test_a_spectrogram_of_a_gone_file_is_a_404(api_for, pm, recording) -> None:
    remove(recording.normalised_file)
    response = api_for(pm).get(f"/api/recordings/{recording.pk}/spectrogram/?width=50")
    assert_file_missing(response)


def test_the_message_is_in_korean_for_a_korean_caller(api_for, pm, recording) -> None:
    remove(recording.normalised_file)
    with translation.override("ko"):
        response = api_for(pm).get(
            f"/api/recordings/{recording.pk}/audio/", HTTP_ACCEPT_LANGUAGE="ko"
        )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "저장된 파일이 없습니다. 운영자에게 알렸습니다."


def test_a_release_archive_that_is_gone_is_a_404_and_no_download_is_recorded(api_for) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign, "turn on the tv")
    release = build(campaign)
    client_user = UserFactory(role=User.Role.CLIENT, organisation=release.client)
    remove(release.archive)

    response = api_for(client_user).get(f"/api/releases/{release.pk}/download/")

    assert_file_missing(response)
    assert not DownloadEvent.objects.filter(release=release).exists()


def test_audio_gone_from_the_bucket_is_a_404_on_the_spectrogram(
    s3_storage: str, s3_server, api_for, pm, recording
) -> None:
    storage = recording.normalised_file.storage
    key = s3_key(storage, recording.normalised_file.name)
    s3_server.client().delete_object(Bucket=s3_storage, Key=key)
    response = api_for(pm).get(f"/api/recordings/{recording.pk}/spectrogram/?width=50")
    assert_file_missing(response)
