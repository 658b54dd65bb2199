"""Invite links: a PM issues them, a speaker opens one, signs the consent and becomes a speaker."""

import pytest
from django.core import signing
from django.utils import timezone

from labelhub.campaigns.models import Campaign
from labelhub.speakers.invites import INVITE_SALT, invite_token
from labelhub.speakers.models import ConsentRecord, Speaker, SpeakerInvite
from labelhub.speakers.services import evidence_hash
from tests.factories import (
    CampaignFactory,
    CollectionChannelFactory,
    ConsentDocumentFactory,
    SpeakerInviteFactory,
)

pytestmark = pytest.mark.django_db

ADULT = {"birth_year": 1990, "gender": "female", "region": "Canada", "dialect": "canadian"}


def signing_body(document, **overrides) -> dict:
    return {"document": document.pk, "agree": True, "signed_name": "Kim Mina", **ADULT, **overrides}


def recorder_url(invite, suffix: str = "") -> str:
    return f"/api/record/{invite_token(invite=invite)}/{suffix}"


def test_a_pm_issues_invite_links_for_a_campaign_with_a_channel(api_for, pm) -> None:
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
    channel = CollectionChannelFactory(campaign=campaign)

    response = api_for(pm).post(
        f"/api/campaigns/{campaign.pk}/invites/",
        {"count": 3, "channel": channel.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    links = [invite["url"] for invite in response.json()]
    assert len(set(links)) == 3
    assert all(link.startswith("http://testserver/record/") for link in links)
    assert SpeakerInvite.objects.filter(campaign=campaign, channel=channel).count() == 3


def test_a_speaker_code_already_taken_is_refused(api_for, pm) -> None:
    invite = SpeakerInviteFactory(speaker_code="STUDIO-7")

    response = api_for(pm).post(
        f"/api/campaigns/{invite.campaign_id}/invites/", {"speaker_code": "STUDIO-7"}, format="json"
    )

    assert response.status_code == 409
    assert "STUDIO-7" in response.json()["error"]["message"]


def test_a_labeler_cannot_issue_invites(api_for, labeler) -> None:
    campaign = CampaignFactory()

    response = api_for(labeler).post(f"/api/campaigns/{campaign.pk}/invites/", {}, format="json")

    assert response.status_code == 403
    assert not SpeakerInvite.objects.exists()


def test_the_invite_link_opens_the_recorder_with_the_consent_in_the_browsers_language(
    client,
) -> None:
    invite = SpeakerInviteFactory()
    ConsentDocumentFactory(campaign=invite.campaign, language="en", title="Consent (English)")
    ConsentDocumentFactory(campaign=invite.campaign, language="ko", title="음성 데이터 수집 동의서")

    response = client.get(f"/record/{invite_token(invite=invite)}/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 200
    assert "음성 데이터 수집 동의서" in response.content.decode()
    assert "1단계: 동의서 읽기" in response.content.decode()  # the page itself speaks Korean
    assert response["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("token", "status", "words"),
    [
        ("not-a-token", 404, "not valid"),
        (signing.dumps({"i": 1, "c": 1}, salt="another.purpose"), 404, "not valid"),
    ],
)
def test_a_bad_token_shows_a_clear_error_page(client, token, status, words) -> None:
    response = client.get(f"/record/{token}/")

    assert response.status_code == status
    assert words in response.content.decode()


def test_an_expired_token_shows_an_error_page_and_the_api_answers_410(client, settings) -> None:
    invite = SpeakerInviteFactory()
    token = invite_token(invite=invite)
    settings.SPEAKER_INVITE_DAYS = 0  # every token is now older than its allowed age

    page = client.get(f"/record/{token}/")
    api = client.get(f"/api/record/{token}/")

    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert api.status_code == 410
    assert api.json()["error"]["code"] == "invite_expired"


def test_a_revoked_invite_is_refused(client) -> None:
    invite = SpeakerInviteFactory(revoked_at=timezone.now())

    response = client.get(recorder_url(invite))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "invite_invalid"


def test_a_token_for_an_unknown_invite_is_refused(client) -> None:
    token = signing.dumps({"i": 999999, "c": 1}, salt=INVITE_SALT)

    response = client.get(f"/api/record/{token}/")

    assert response.status_code == 404


def test_signing_stores_the_consent_with_an_evidence_hash_and_never_the_typed_name(client) -> None:
    invite = SpeakerInviteFactory(speaker_code="STUDIO-1")
    document = ConsentDocumentFactory(campaign=invite.campaign)

    response = client.post(
        recorder_url(invite, "consent/"),
        signing_body(document),
        content_type="application/json",
        HTTP_USER_AGENT="TestBrowser/1.0",
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 201, response.json()
    speaker = Speaker.objects.get(campaign=invite.campaign)
    consent = speaker.consents.get()
    assert speaker.code == "STUDIO-1"
    assert speaker.age_band == "30s"  # derived from the birth year
    assert consent.document == document
    assert consent.signer == ConsentRecord.Signer.SPEAKER
    assert consent.evidence_sha256 == evidence_hash(
        ip_address="203.0.113.9", user_agent="TestBrowser/1.0"
    )
    stored = [str(value) for value in Speaker.objects.values().get()]
    stored += [str(value) for value in ConsentRecord.objects.values().get()]
    assert not any("Kim Mina" in value for value in stored)
    body = response.json()
    assert body["signed"] is True
    assert body["urls"]["withdraw"].startswith("/record/withdraw/")
    invite.refresh_from_db()
    assert invite.speaker == speaker and invite.used_at is not None


def test_signing_without_agreeing_is_refused_and_nothing_is_stored(client) -> None:
    invite = SpeakerInviteFactory()
    document = ConsentDocumentFactory(campaign=invite.campaign)

    response = client.post(
        recorder_url(invite, "consent/"),
        signing_body(document, agree=False),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("agree")
    assert not Speaker.objects.exists()


def test_a_dialect_outside_the_campaigns_list_is_refused(client) -> None:
    invite = SpeakerInviteFactory(campaign__dialect_choices=["standard", "jeju"])
    document = ConsentDocumentFactory(campaign=invite.campaign)

    response = client.post(
        recorder_url(invite, "consent/"),
        signing_body(document, dialect="klingon"),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "klingon" in response.json()["error"]["message"]
    assert not Speaker.objects.exists()


def test_an_invite_signs_once(client) -> None:
    invite = SpeakerInviteFactory()
    document = ConsentDocumentFactory(campaign=invite.campaign)
    url = recorder_url(invite, "consent/")
    client.post(url, signing_body(document), content_type="application/json")

    again = client.post(url, signing_body(document), content_type="application/json")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invite_used"
    assert Speaker.objects.count() == 1


def test_no_one_signs_before_the_campaign_is_collecting(client) -> None:
    invite = SpeakerInviteFactory(campaign__status=Campaign.Status.DRAFT)
    document = ConsentDocumentFactory(campaign=invite.campaign)

    response = client.post(
        recorder_url(invite, "consent/"), signing_body(document), content_type="application/json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "campaign_not_collecting"
    assert not Speaker.objects.exists()
