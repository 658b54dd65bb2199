"""Minors: under the campaign's age of consent, a guardian signs too, or nothing is recorded."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from labelhub.campaigns.demographics import AgeBand
from labelhub.errors import Conflict
from labelhub.recordings.services import recording_collect
from labelhub.speakers.invites import invite_token
from labelhub.speakers.models import ConsentRecord, Speaker
from labelhub.speakers.selectors import speaker_is_minor
from tests.audio_samples import speak
from tests.factories import ConsentDocumentFactory, ConsentRecordFactory, SpeakerInviteFactory

pytestmark = pytest.mark.django_db


def sign(client, invite, **fields):
    document = ConsentDocumentFactory(campaign=invite.campaign)
    body = {"document": document.pk, "agree": True, "signed_name": "Lee Jiho", "gender": "male"}
    return client.post(
        f"/api/record/{invite_token(invite=invite)}/consent/",
        {**body, **fields},
        content_type="application/json",
    )


def test_a_minor_without_a_guardian_cannot_sign(client) -> None:
    invite = SpeakerInviteFactory(campaign__age_of_consent=14)
    year = timezone.localdate().year

    response = sign(client, invite, birth_year=year - 12)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "guardian_consent_missing"
    assert "14" in response.json()["error"]["message"]
    assert not Speaker.objects.exists()


def test_a_minor_with_a_guardian_gets_two_consent_records(client) -> None:
    invite = SpeakerInviteFactory(campaign__age_of_consent=14)
    year = timezone.localdate().year

    response = sign(
        client, invite, birth_year=year - 12, guardian_agree=True, guardian_name="Lee Sora"
    )

    assert response.status_code == 201, response.json()
    signers = sorted(ConsentRecord.objects.values_list("signer", flat=True))
    assert signers == [ConsentRecord.Signer.GUARDIAN, ConsentRecord.Signer.SPEAKER]


def test_a_birth_year_counts_as_the_youngest_age_it_allows() -> None:
    year = timezone.localdate().year
    speaker = ConsentRecordFactory(
        speaker__birth_year=year - 14, speaker__campaign__age_of_consent=14
    ).speaker

    # Born 14 years ago: 13 until the birthday, which a birth year does not tell.
    assert speaker_is_minor(speaker=speaker)


def test_a_minor_whose_guardian_consent_is_missing_cannot_record(tmp_path) -> None:
    consent = ConsentRecordFactory(
        speaker__age_band=AgeBand.TEENS,
        speaker__campaign__status="active",
        speaker__campaign__age_of_consent=14,
    )
    clip = speak("turn on the radio", tmp_path / "a.wav")

    with pytest.raises(Conflict) as refused:
        recording_collect(
            speaker=consent.speaker,
            uploaded_file=SimpleUploadedFile("a.wav", clip.read_bytes()),
            uploaded_by=None,
        )

    assert refused.value.code == "guardian_consent_missing"
    assert refused.value.status_code == 409
    assert not consent.speaker.recordings.exists()


def test_a_pm_records_a_guardians_paper_consent_and_the_minor_may_record(
    api_for, pm, tmp_path
) -> None:
    consent = ConsentRecordFactory(
        speaker__age_band=AgeBand.TEENS,
        speaker__campaign__status="active",
        speaker__campaign__age_of_consent=14,
    )

    response = api_for(pm).post(
        f"/api/speakers/{consent.speaker_id}/consents/",
        {"consent_document": consent.document_id, "consent_method": "paper", "signer": "guardian"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    clip = speak("turn on the radio", tmp_path / "a.wav")
    recording = recording_collect(
        speaker=consent.speaker,
        uploaded_file=SimpleUploadedFile("a.wav", clip.read_bytes()),
        uploaded_by=pm,
    )
    assert recording.speaker == consent.speaker
