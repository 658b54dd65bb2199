"""Uploads: bad files are refused with a 400 naming the problem, and nothing is stored."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import Recording
from tests.audio_samples import speak
from tests.conftest import stored_files
from tests.factories import SpeakerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("audio") / "hello.wav"
    return speak("turn on the television", path).read_bytes()


@pytest.fixture(autouse=True)
def collecting(consented_speaker) -> None:
    # Uploads are collection: only an active campaign accepts them.
    consented_speaker.campaign.status = Campaign.Status.ACTIVE
    consented_speaker.campaign.save()


def upload(client, speaker, name: str, content: bytes):
    return client.post(
        "/api/recordings/",
        {"speaker": speaker.pk, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def test_a_good_wav_is_stored_untouched_with_its_checksum(
    api_for, pm, consented_speaker, spoken_wav, media_root: Path
) -> None:
    response = upload(api_for(pm), consented_speaker, "take1.wav", spoken_wav)

    assert response.status_code == 201, response.json()
    recording = Recording.objects.get(pk=response.json()["id"])
    assert recording.status == Recording.Status.RECEIVED
    assert Path(recording.raw_file.path).read_bytes() == spoken_wav
    assert recording.raw_sha256 == __import__("hashlib").sha256(spoken_wav).hexdigest()
    assert "take1" not in recording.raw_file.name  # the original name is metadata, not a path
    assert stored_files(media_root) == [Path(recording.raw_file.path)]


@pytest.mark.parametrize(
    ("name", "content", "code", "words"),
    [
        ("notes.wav", b"this is a text file, not audio\n" * 20, "not_audio", "not audio"),
        ("empty.wav", b"", "empty", "empty"),
        ("clip.txt", b"RIFF", "unsupported_type", ".txt"),
    ],
)
def test_a_bad_upload_is_refused_naming_the_problem_and_nothing_is_stored(
    api_for, pm, consented_speaker, media_root: Path, name, content, code, words
) -> None:
    response = upload(api_for(pm), consented_speaker, name, content)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert words in error["message"]
    assert Recording.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_truncated_wav_is_refused_and_nothing_is_stored(
    api_for, pm, consented_speaker, spoken_wav, media_root: Path
) -> None:
    response = upload(api_for(pm), consented_speaker, "cut.wav", spoken_wav[:1000])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "truncated"
    assert "truncated" in response.json()["error"]["message"]
    assert Recording.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_speaker_without_consent_cannot_be_recorded(
    api_for, pm, spoken_wav, media_root: Path
) -> None:
    speaker = SpeakerFactory(campaign__status=Campaign.Status.ACTIVE)

    response = upload(api_for(pm), speaker, "take1.wav", spoken_wav)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "consent_missing"
    assert stored_files(media_root) == []


def test_only_a_pm_may_upload(api_for, labeler, consented_speaker, spoken_wav) -> None:
    response = upload(api_for(labeler), consented_speaker, "take1.wav", spoken_wav)

    assert response.status_code == 403
    assert "PM" in response.json()["error"]["message"]
    assert Recording.objects.count() == 0


def test_a_missing_file_field_is_named(api_for, pm, consented_speaker) -> None:
    response = api_for(pm).post(
        "/api/recordings/", {"speaker": consented_speaker.pk}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("file:")


def test_a_database_failure_after_storing_leaves_no_orphan_file(
    pm, consented_speaker, spoken_wav, media_root: Path, monkeypatch
) -> None:
    from django.db import IntegrityError

    from labelhub.recordings.services import recording_upload

    def failing_save(*args, **kwargs):
        raise IntegrityError("injected failure")

    monkeypatch.setattr(Recording, "save", failing_save)

    with pytest.raises(IntegrityError):
        recording_upload(
            speaker=consented_speaker,
            uploaded_file=SimpleUploadedFile("take.wav", spoken_wav),
            uploaded_by=pm,
        )

    assert stored_files(media_root) == []
