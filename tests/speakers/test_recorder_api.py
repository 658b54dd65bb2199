"""The recorder's JSON endpoints: progress, prompt rotation, and uploads only after signing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.campaigns.models import Prompt
from labelhub.recordings.models import Recording
from labelhub.speakers.invites import invite_token
from tests.audio_samples import speak
from tests.factories import (
    ConsentDocumentFactory,
    ConsentRecordFactory,
    RecordingFactory,
    SpeakerInviteFactory,
)

pytestmark = pytest.mark.django_db


def signed_invite(client, **invite_fields):
    invite = SpeakerInviteFactory(**invite_fields)
    document = ConsentDocumentFactory(campaign=invite.campaign)
    body = {"document": document.pk, "agree": True, "signed_name": "A B", "birth_year": 1980}
    response = client.post(
        f"/api/record/{invite_token(invite=invite)}/consent/",
        {**body, "gender": "male"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    invite.refresh_from_db()
    return invite


def upload(client, invite, clip, prompt=None):
    data = {"file": SimpleUploadedFile("take.wav", clip.read_bytes())}
    if prompt is not None:
        data["prompt"] = prompt.pk
    return client.post(f"/api/record/{invite_token(invite=invite)}/recordings/", data)


def test_recording_before_signing_is_refused(client, tmp_path) -> None:
    invite = SpeakerInviteFactory()

    response = upload(client, invite, speak("hello there", tmp_path / "a.wav"))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "consent_missing"
    assert not Recording.objects.exists()


def test_the_least_recorded_prompt_comes_first_and_progress_counts_up(client, tmp_path) -> None:
    invite = signed_invite(client, prompt_count=2)
    busy = Prompt.objects.create(campaign=invite.campaign, text="turn on the television")
    fresh = Prompt.objects.create(campaign=invite.campaign, text="switch off the lights")
    Prompt.objects.create(campaign=invite.campaign, text="open the movie app")
    other = ConsentRecordFactory(speaker__campaign=invite.campaign).speaker
    RecordingFactory(speaker=other, prompt=busy)
    state_url = f"/api/record/{invite_token(invite=invite)}/"

    state = client.get(state_url).json()
    assert state["prompt"]["id"] == fresh.pk
    assert state["progress"] == {"done": 0, "total": 2}

    response = upload(client, invite, speak("switch off the lights", tmp_path / "a.wav"), fresh)

    assert response.status_code == 201, response.json()
    state = response.json()["state"]
    assert state["progress"] == {"done": 1, "total": 2}
    assert state["prompt"]["id"] not in (fresh.pk, busy.pk)
    recording = Recording.objects.get(pk=response.json()["recording"]["id"])
    assert recording.prompt == fresh and recording.speaker == invite.speaker


def test_a_prompt_of_another_campaign_is_refused(client, tmp_path) -> None:
    invite = signed_invite(client)
    foreign = Prompt.objects.create(campaign=SpeakerInviteFactory().campaign, text="not yours")

    response = upload(client, invite, speak("not yours", tmp_path / "a.wav"), foreign)

    assert response.status_code == 404
    assert not Recording.objects.exists()
