"""A campaign's long-form settings: planned through the API and the form, checked by the service."""

import pytest
from django.test import Client

from labelhub.campaigns.models import Campaign
from tests.factories import CampaignFactory, OrganisationFactory, RecordingFactory

pytestmark = pytest.mark.django_db


def test_the_api_takes_and_shows_the_long_form_settings(api_for, pm) -> None:
    response = api_for(pm).post(
        "/api/campaigns/",
        {
            "name": "Broadcast archive",
            "client": OrganisationFactory().pk,
            "language": "ko",
            "collection_mode": "long_form",
            "max_source_seconds": 7200,
            "segment_min_seconds": 3,
            "segment_max_seconds": 12,
            "segment_target_seconds": 8,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["collection_mode"] == "long_form" and body["max_source_seconds"] == 7200
    assert (body["segment_min_seconds"], body["segment_max_seconds"]) == (3, 12)
    assert Campaign.objects.get(pk=body["id"]).is_long_form


def test_a_new_campaign_collects_utterances_by_default(api_for, pm) -> None:
    body = (
        api_for(pm)
        .post(
            "/api/campaigns/",
            {"name": "Car", "client": OrganisationFactory().pk, "language": "ko"},
            format="json",
        )
        .json()
    )

    assert body["collection_mode"] == "utterances"
    assert (body["max_source_seconds"], body["segment_target_seconds"]) == (14400, 10)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"segment_min_seconds": 12, "segment_target_seconds": 10}, "segment_target_seconds"),
        ({"segment_max_seconds": 5}, "segment_target_seconds"),
        ({"max_source_seconds": 0}, "max_source_seconds"),
        ({"max_source_seconds": 40 * 3600}, "max_source_seconds"),
        ({"collection_mode": "podcasts"}, "collection_mode"),
    ],
)
def test_bad_long_form_settings_are_refused_naming_the_field(api_for, pm, change, field) -> None:
    campaign = CampaignFactory()

    response = api_for(pm).patch(f"/api/campaigns/{campaign.pk}/", change, format="json")

    assert response.status_code == 400
    assert field in str(response.json()["error"])
    assert Campaign.objects.get(pk=campaign.pk).segment_target_seconds == 10


def test_a_campaign_holding_recordings_keeps_what_it_collects(api_for, pm) -> None:
    campaign = RecordingFactory().campaign

    refused = api_for(pm).patch(
        f"/api/campaigns/{campaign.pk}/", {"collection_mode": "long_form"}, format="json"
    )
    same = api_for(pm).patch(
        f"/api/campaigns/{campaign.pk}/", {"collection_mode": "utterances"}, format="json"
    )

    assert refused.status_code == 400 and "collection_mode" in str(refused.json()["error"])
    assert same.status_code == 200
    assert Campaign.objects.get(pk=campaign.pk).collection_mode == "utterances"


def test_the_form_sets_long_form_and_the_detail_page_shows_it(pm) -> None:
    browser = Client()
    browser.force_login(pm)
    campaign = CampaignFactory(language="ko")
    fields = {
        "name": campaign.name,
        "client": campaign.client_id,
        "language": "ko",
        "min_seconds": "1",
        "max_seconds": "15",
        "target_seconds": "10",
        "convention": "plain",
        "age_of_consent": "14",
        "review_share": "1",
        "double_transcription_share": "0",
        "asr_beam_size": "5",
        "collection_mode": "long_form",
        "max_source_seconds": "3600",
    }

    response = browser.post(f"/campaigns/{campaign.pk}/edit/", fields)

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.is_long_form and campaign.max_source_seconds == 3600
    assert campaign.segment_max_seconds == 15  # left empty: the default
    page = browser.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "장시간 미디어" in page and "원본당 최대 3600.0초" in page
