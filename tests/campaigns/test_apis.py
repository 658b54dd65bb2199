"""The planning API: PM only, errors as {"error": {code, message}}, nothing stored on bad input."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from labelhub.accounts.models import User
from labelhub.campaigns.models import (
    Campaign,
    CollectionChannel,
    LegalReview,
    Prompt,
    QuotaCell,
)
from tests.factories import (
    CampaignFactory,
    CollectionChannelFactory,
    ConsentDocumentFactory,
    LegalReviewFactory,
    OrganisationFactory,
    QuotaCellFactory,
    RecordingEnvironmentFactory,
    RecordingFactory,
    SpeakerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory(language="ko")


def urls(campaign_id: int) -> list[tuple[str, str]]:
    base = f"/api/campaigns/{campaign_id}/"
    return [
        ("get", "/api/campaigns/"),
        ("post", "/api/campaigns/"),
        ("get", base),
        ("patch", base),
        ("post", f"{base}transition/"),
        ("get", f"{base}legal-review/"),
        ("patch", f"{base}legal-review/"),
        ("post", f"{base}legal-review/sign-off/"),
        ("get", f"{base}quota-cells/"),
        ("post", f"{base}quota-cells/"),
        ("get", f"{base}prompts/"),
        ("post", f"{base}prompts/import/"),
        ("get", f"{base}environments/"),
        ("post", f"{base}environments/"),
        ("get", f"{base}channels/"),
        ("post", f"{base}channels/"),
    ]


@pytest.mark.parametrize("role", [User.Role.LABELER, User.Role.REVIEWER, User.Role.CLIENT])
def test_every_planning_endpoint_refuses_other_roles(api_for, campaign, role) -> None:
    client = api_for(UserFactory(role=role))

    for method, url in urls(campaign.pk):
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 403, (method, url)
        assert response.json()["error"]["code"] == "permission_denied"


def test_every_planning_endpoint_refuses_anonymous_callers(campaign) -> None:
    client = APIClient()

    for method, url in urls(campaign.pk):
        assert getattr(client, method)(url, {}, format="json").status_code in (401, 403), url


def test_a_pm_creates_a_campaign_with_its_planning_fields(api_for, pm) -> None:
    client_org = OrganisationFactory()
    response = api_for(pm).post(
        "/api/campaigns/",
        {
            "name": "Busan elders",
            "client": client_org.pk,
            "language": "ko",
            "locale": "ko-KR",
            "min_seconds": 2,
            "max_seconds": 12,
            "target_seconds": 8,
            "target_hours": 120,
            "deadline": "2027-03-31",
            "convention": "kspon",
            "age_of_consent": 14,
            "dialect_choices": ["gyeongsang", "busan-city"],
            "review_share": 0.3,
            "double_transcription_share": 0.1,
            "asr_beam_size": 3,
            "asr_vad_filter": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["convention"] == "kspon" and body["target_hours"] == 120
    assert [d["value"] for d in body["dialects"]] == ["gyeongsang", "busan-city"]
    assert body["dialects"][0]["label"] == "Gyeongsang dialect"
    assert len(body["regions"]) == 17  # Korea's first-level divisions by default
    campaign = Campaign.objects.get(pk=body["id"])
    assert campaign.created_by == pm and campaign.deadline.isoformat() == "2027-03-31"


def test_korean_labels_come_with_a_korean_request(api_for, pm, campaign) -> None:
    response = api_for(pm).get(f"/api/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.json()["dialects"][0] == {"value": "standard", "label": "표준어(서울)"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_seconds": 5, "max_seconds": 3}, "max_seconds"),
        ({"target_seconds": 30}, "target_seconds"),
        ({"review_share": 1.5}, "review_share"),
        ({"asr_beam_size": 0}, "asr_beam_size"),
        ({"language": "korean!"}, "language"),
        ({"dialect_choices": ["a", "a"]}, "dialect_choices"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(api_for, pm, campaign, change, field) -> None:
    response = api_for(pm).patch(f"/api/campaigns/{campaign.pk}/", change, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(field)
    assert Campaign.objects.get(pk=campaign.pk).min_seconds == 1.0


def test_a_campaign_cannot_be_its_own_grandparent(api_for, pm, campaign) -> None:
    child = CampaignFactory(parent=campaign)

    response = api_for(pm).patch(
        f"/api/campaigns/{campaign.pk}/", {"parent": child.pk}, format="json"
    )

    assert response.status_code == 400
    assert "own parent" in response.json()["error"]["message"]


def test_a_bad_transition_is_a_409_naming_both_states(api_for, pm, campaign) -> None:
    response = api_for(pm).post(
        f"/api/campaigns/{campaign.pk}/transition/", {"to": "active"}, format="json"
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "bad_transition"
    assert error["message"] == "A campaign cannot go from Draft to Active."


def test_the_whole_approval_runs_through_the_api(api_for, pm, campaign) -> None:
    api = api_for(pm)
    base = f"/api/campaigns/{campaign.pk}/"
    ConsentDocumentFactory(campaign=campaign)
    assert api.post(f"{base}transition/", {"to": "legal_review"}).status_code == 200

    refused = api.post(f"{base}legal-review/sign-off/")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "legal_review_incomplete"
    answers = {
        "consent_text_reviewed": True,
        "retention_period_set": True,
        "purpose_stated": True,
        "third_party_delivery_stated": True,
        "minors_policy": "만 14세 미만은 법정대리인 동의가 필요합니다.",
    }
    assert api.patch(f"{base}legal-review/", answers, format="json").json()["missing"] == []
    signed = api.post(f"{base}legal-review/sign-off/").json()
    assert signed["signed_off_by"] == pm.username and signed["signed_off_at"]

    activated = api.post(f"{base}transition/", {"to": "active"})
    assert activated.status_code == 200
    assert activated.json()["status"] == "active"


def test_quota_cells_are_created_in_bulk_or_not_at_all(api_for, pm, campaign) -> None:
    url = f"/api/campaigns/{campaign.pk}/quota-cells/"
    cells = [
        {"age_band": "20s", "gender": "female", "dialect": "jeju", "target_clips": 100},
        {"age_band": "70s+", "gender": "male", "region": "Jeju", "target_minutes": 60},
    ]

    created = api_for(pm).post(url, cells, format="json")
    duplicate = api_for(pm).post(url, cells[:1], format="json")
    negative = api_for(pm).post(url, {"age_band": "30s", "target_clips": -5}, format="json")

    assert created.status_code == 201, created.json()
    assert [c["label"] for c in created.json()] == ["20s / female / jeju", "70s+ / male / Jeju"]
    assert duplicate.status_code == 409
    assert "20s / Female / Jeju dialect" in duplicate.json()["error"]["message"]
    assert negative.status_code == 400
    assert QuotaCell.objects.filter(campaign=campaign).count() == 2


def test_a_quota_cell_is_changed_and_deleted(api_for, pm, campaign) -> None:
    cell = QuotaCellFactory(campaign=campaign)
    url = f"/api/campaigns/{campaign.pk}/quota-cells/{cell.pk}/"

    changed = api_for(pm).patch(url, {"target_clips": 500, "dialect": "jeolla"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["target_clips"] == 500
    assert api_for(pm).delete(url).status_code == 204
    assert not QuotaCell.objects.filter(pk=cell.pk).exists()


def test_the_prompt_import_reports_bad_rows(api_for, pm, campaign) -> None:
    data = "\ufeffid,text,speech_style\n1,TV 꺼 줘,command\n2,,read\n3,노래,sing\n".encode()

    response = api_for(pm).post(
        f"/api/campaigns/{campaign.pk}/prompts/import/",
        {"file": SimpleUploadedFile("script.csv", data)},
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json() == {
        "accepted": 1,
        "rejected": [
            {"row": 3, "reason": "empty text"},
            {"row": 4, "reason": "unknown speech style 'sing' (use read, spontaneous, command)"},
        ],
    }
    assert Prompt.objects.get(campaign=campaign).text == "TV 꺼 줘"


def test_the_100k_row_csv_is_a_clear_400_over_the_api(api_for, pm, campaign) -> None:
    data = ("text\n" + "안녕하세요\n" * 100_000).encode()

    response = api_for(pm).post(
        f"/api/campaigns/{campaign.pk}/prompts/import/",
        {"file": SimpleUploadedFile("huge.csv", data)},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_rows"
    assert not Prompt.objects.exists()


def test_licensed_media_needs_a_source_url_and_a_licence(api_for, pm, campaign) -> None:
    url = f"/api/campaigns/{campaign.pk}/channels/"

    refused = api_for(pm).post(url, {"kind": "licensed_media", "name": "Podcast"})
    accepted = api_for(pm).post(
        url,
        {
            "kind": "licensed_media",
            "name": "Podcast",
            "source_url": "https://example.com/feed",
            "licence": "CC BY 4.0",
        },
    )

    assert refused.status_code == 400
    assert "source_url" in refused.json()["error"]["fields"]
    assert accepted.status_code == 201, accepted.json()
    assert CollectionChannel.objects.filter(campaign=campaign).count() == 1


def test_environments_are_listed_created_and_a_used_one_is_kept(api_for, pm, campaign) -> None:
    url = f"/api/campaigns/{campaign.pk}/environments/"
    created = api_for(pm).post(
        url, {"kind": "car", "name": "Car, engine on", "noise_level": "noisy"}
    )
    duplicate = api_for(pm).post(url, {"kind": "car", "name": "Car, engine on"})
    used = RecordingEnvironmentFactory(campaign=campaign)
    RecordingFactory(speaker=SpeakerFactory(campaign=campaign), environment=used)

    assert created.status_code == 201
    assert duplicate.status_code == 409
    assert [e["name"] for e in api_for(pm).get(url).json()] == ["Car, engine on", used.name]
    in_use = api_for(pm).delete(f"{url}{used.pk}/")
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "in_use"
    assert api_for(pm).delete(f"{url}{created.json()['id']}/").status_code == 204


def test_a_channel_of_another_campaign_is_not_found(api_for, pm, campaign) -> None:
    foreign = CollectionChannelFactory()

    response = api_for(pm).patch(
        f"/api/campaigns/{campaign.pk}/channels/{foreign.pk}/", {"name": "x"}, format="json"
    )

    assert response.status_code == 404


def test_a_closed_campaign_keeps_its_plan(api_for, pm) -> None:
    campaign = CampaignFactory(status=Campaign.Status.CLOSED)
    LegalReviewFactory(campaign=campaign)

    response = api_for(pm).patch(f"/api/campaigns/{campaign.pk}/", {"name": "new"}, format="json")

    assert response.status_code == 409
    assert Campaign.objects.get(pk=campaign.pk).name == campaign.name


def test_reading_a_blank_legal_review_stores_nothing(api_for, pm, campaign) -> None:
    response = api_for(pm).get(f"/api/campaigns/{campaign.pk}/legal-review/")

    assert response.status_code == 200
    assert response.json()["signed_off_by"] is None
    assert "minors policy" in response.json()["missing"]
    assert not LegalReview.objects.filter(campaign=campaign).exists()
