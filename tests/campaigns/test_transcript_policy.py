"""A campaign's transcript normalisation policy: set in the campaign form and the API."""

import pytest
from django.test import Client

from tests.factories import CampaignFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_the_form_sets_the_policy(pm) -> None:
    browser = Client()
    browser.force_login(pm)
    campaign = CampaignFactory(language="en")
    form = browser.get(f"/campaigns/{campaign.pk}/edit/", HTTP_ACCEPT_LANGUAGE="ko")
    assert "전사문 대소문자" in form.content.decode()
    fields = {
        "name": campaign.name,
        "client": campaign.client_id,
        "language": "en",
        "min_seconds": "1",
        "max_seconds": "15",
        "target_seconds": "10",
        "convention": "plain",
        "transcript_casing": "lower",
        "transcript_final_punctuation": "none",
        "transcript_numbers": "words",
        "age_of_consent": "14",
        "review_share": "1",
        "double_transcription_share": "0",
        "asr_beam_size": "5",
        "collection_mode": "utterances",
    }

    response = browser.post(f"/campaigns/{campaign.pk}/edit/", fields)

    assert response.status_code == 302
    campaign.refresh_from_db()
    policy = (
        campaign.transcript_casing,
        campaign.transcript_final_punctuation,
        campaign.transcript_numbers,
    )
    assert policy == ("lower", "none", "words")


def test_the_api_takes_the_policy_and_refuses_unknown_values(api_for, pm) -> None:
    body = {"name": "TV", "client": OrganisationFactory().pk, "language": "en"}
    created = api_for(pm).post(
        "/api/campaigns/", {**body, "transcript_casing": "sentence"}, format="json"
    )
    refused = api_for(pm).post(
        "/api/campaigns/", {**body, "transcript_casing": "upper"}, format="json"
    )

    assert created.status_code == 201
    assert created.json()["transcript_casing"] == "sentence"
    assert created.json()["transcript_final_punctuation"] == "any"
    assert refused.status_code == 400
    assert "transcript_casing" in str(refused.json()["error"])
