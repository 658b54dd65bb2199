"""labelhub.input_guard and api_errors: forbidden characters are refused at the door with the
field named and nothing stored; every API error has the documented shape."""

import json

import pytest

from labelhub.campaigns.models import Campaign, RecordingEnvironment
from labelhub.releases.models import Release
from tests.factories import CampaignFactory, UserFactory

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]


def test_a_nul_in_a_json_key_is_refused_naming_it_and_no_release_is_made(api_for, pm) -> None:
    campaign = CampaignFactory()
    response = api_for(pm).post(
        "/api/releases/",
        {"campaign": campaign.pk, "client": campaign.client_id, "split_ratios": {"tr\x00": 1.0}},
        format="json",
    )

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "control_character" and "split_ratios.tr" in error["message"]
    assert not Release.objects.exists()


@pytest.mark.parametrize("value", ["room\x00", "room\x1b[2J", "room\x0c", "\ud800"])
def test_control_characters_and_lone_surrogates_in_json_are_refused(api_for, pm, value) -> None:
    campaign = CampaignFactory()
    # json.dumps escapes a lone surrogate as "\ud800", as a hostile client would send it.
    body = json.dumps({"kind": "home", "name": value, "noise_level": "quiet"})
    response = api_for(pm).post(
        f"/api/campaigns/{campaign.pk}/environments/", body, content_type="application/json"
    )

    assert response.status_code == 400 and error_of(response)["code"] == "control_character"
    assert "name" in error_of(response)["message"]
    assert not RecordingEnvironment.objects.exists()


def test_a_nul_in_a_form_field_gets_a_readable_page_and_nothing_stored(client) -> None:
    client.force_login(UserFactory())
    response = client.post(
        "/campaigns/new/", {"name": "Night\x00shift", "language": "en", "client": "1"}
    )

    assert response.status_code == 400
    assert "name: contains the control character U+0000" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_control_character_in_a_query_string_is_refused(api_for, pm) -> None:
    response = api_for(pm).get("/api/triage/?note=%07")

    assert response.status_code == 400 and "note" in error_of(response)["message"]


def test_an_api_404_and_405_have_the_documented_shape(api_for, pm) -> None:
    assert error_of(api_for(pm).get("/api/campaigns/999999/"))["code"] == "not_found"
    assert error_of(api_for(pm).post("/api/"))["code"] == "method_not_allowed"
    assert error_of(api_for(pm).get("/api/no-such-thing/"))["code"] == "not_found"
