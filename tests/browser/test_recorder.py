"""The recorder in Chromium: open an invite link, sign, answer demographics, record a prompt with
the fake microphone, submit, and find the recording ingested."""

import pytest

from labelhub.campaigns.models import Prompt
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_ingest
from labelhub.speakers.invites import invite_token
from labelhub.speakers.models import ConsentRecord, Speaker
from tests.factories import ConsentDocumentFactory, SpeakerInviteFactory


@pytest.mark.django_db(transaction=True)
def test_a_speaker_signs_records_a_prompt_and_the_recording_is_ingested(page) -> None:
    invite = SpeakerInviteFactory(campaign__name="TV voice commands", prompt_count=2)
    ConsentDocumentFactory(campaign=invite.campaign, title="Voice data consent")
    Prompt.objects.create(campaign=invite.campaign, text="turn on the television")
    Prompt.objects.create(campaign=invite.campaign, text="switch off the lights")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"/record/{invite_token(invite=invite)}/")
    assert page.locator(".consent-text h3").inner_text() == "Voice data consent"
    page.fill("#birth_year", "1988")
    page.select_option("#gender", "female")
    page.select_option("#region", "Canada")
    page.select_option("#dialect", "canadian")
    page.fill("#native_language", "en")
    page.check("#agree")
    page.fill("#signed_name", "Jane Roe")
    page.click("#sign")

    page.wait_for_selector("#record-step:not([hidden])")
    assert page.locator("#progress").inner_text() == "0 of 2 recorded"
    assert page.locator("#prompt-text").inner_text() == "turn on the television"
    assert page.locator("#withdraw-link").get_attribute("href").startswith("/record/withdraw/")

    page.click("#record")
    # Function form: Playwright evals a bare expression, which the page's CSP forbids.
    page.wait_for_function("() => document.getElementById('level').value > 0", timeout=5_000)
    page.wait_for_timeout(2_500)
    page.click("#stop")
    page.wait_for_selector("#submit:not([hidden])")
    assert page.locator("#playback").is_visible()
    page.click("#submit")
    page.wait_for_function(
        "() => document.getElementById('progress').textContent.startsWith('1 of 2')",
        timeout=15_000,
    )

    assert page.locator("#prompt-text").inner_text() == "switch off the lights"
    assert errors == []
    speaker = Speaker.objects.get(campaign=invite.campaign)
    assert (
        speaker.age_band == "30s" and speaker.consents.get().signer == ConsentRecord.Signer.SPEAKER
    )
    recording = Recording.objects.get(speaker=speaker)
    assert recording.prompt.text == "turn on the television"
    assert recording.original_suffix == ".webm"
    recording = recording_ingest(recording_id=recording.pk)  # what the ingest worker runs
    assert recording.status == Recording.Status.READY, recording.rejection_reason
    assert recording.codec == "opus"
    assert recording.duration_seconds == pytest.approx(2.5, abs=1.0)
