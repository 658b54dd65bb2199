"""The PM's planning pages: they render, they act through the services, and only PMs get in."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, CollectionChannel, LegalReview, QuotaCell
from tests.factories import (
    CampaignFactory,
    CollectionChannelFactory,
    ConsentDocumentFactory,
    LegalReviewFactory,
    OrganisationFactory,
    QuotaCellFactory,
    RecordingEnvironmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(pm) -> Client:
    client = Client()
    client.force_login(pm)
    return client


@pytest.fixture
def campaign():
    return CampaignFactory(language="ko", name="부산 어르신 음성")


def page_paths(campaign: Campaign) -> list[str]:
    return [
        "/campaigns/",
        "/campaigns/new/",
        f"/campaigns/{campaign.pk}/",
        f"/campaigns/{campaign.pk}/edit/",
    ]


def test_anonymous_visitors_are_sent_to_sign_in(campaign) -> None:
    for path in page_paths(campaign):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("role", [User.Role.LABELER, User.Role.REVIEWER, User.Role.CLIENT])
def test_other_roles_are_refused(campaign, role) -> None:
    client = Client()
    client.force_login(UserFactory(role=role))

    for path in page_paths(campaign):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/campaigns/{campaign.pk}/transition/", {"to": "closed"}).status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == "draft"


def test_the_list_shows_every_campaign_with_its_status(browser, campaign) -> None:
    CampaignFactory(name="Closed one", status=Campaign.Status.CLOSED)

    html = browser.get("/campaigns/").content.decode()

    assert "부산 어르신 음성" in html and "Closed one" in html
    assert f'href="/campaigns/{campaign.pk}/"' in html


def test_the_detail_page_shows_the_whole_plan(browser, campaign) -> None:
    QuotaCellFactory(campaign=campaign, age_band="60s", gender="male", dialect="gyeongsang")
    RecordingEnvironmentFactory(campaign=campaign, name="Quiet living room")
    CollectionChannelFactory(
        campaign=campaign,
        kind="licensed_media",
        name="Radio archive",
        source_url="https://example.com/radio",
        licence="CC BY 4.0",
    )
    campaign.prompts.create(text="안녕하세요", category="greeting")

    response = browser.get(f"/campaigns/{campaign.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    for text in ("60s", "gyeongsang", "Quiet living room", "Radio archive", "CC BY 4.0"):
        assert text in html
    assert "1 prompt" in html and "greeting" in html
    assert "Send to legal review" in html
    assert "Gyeongsang dialect" in html  # the Korean default list, labelled


def test_the_detail_page_speaks_korean(browser, campaign) -> None:
    html = browser.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "법률 검토" in html
    assert "할당 셀" in html


def test_a_pm_creates_a_campaign_through_the_form(browser, pm) -> None:
    client_org = OrganisationFactory()
    response = browser.post(
        "/campaigns/new/",
        {
            "name": "Car commands",
            "client": client_org.pk,
            "language": "ko",
            "min_seconds": "1",
            "max_seconds": "15",
            "target_seconds": "10",
            "convention": "kspon",
            "age_of_consent": "14",
            "dialect_choices": "standard\r\njeju\r\n",
            "review_share": "1",
            "double_transcription_share": "0",
            "asr_beam_size": "5",
        },
    )

    campaign = Campaign.objects.get(name="Car commands")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.dialect_choices == ["standard", "jeju"]
    assert campaign.created_by == pm and campaign.convention == "kspon"


def test_a_bad_plan_is_shown_back_with_the_reason(browser, campaign) -> None:
    response = browser.post(
        f"/campaigns/{campaign.pk}/edit/",
        {
            "name": campaign.name,
            "client": campaign.client.pk,
            "language": "ko",
            "min_seconds": "10",
            "max_seconds": "5",
            "target_seconds": "7",
            "convention": "plain",
            "age_of_consent": "14",
            "review_share": "1",
            "double_transcription_share": "0",
            "asr_beam_size": "5",
        },
    )

    assert response.status_code == 200
    assert "longest utterance must be longer" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).max_seconds == 15.0


def test_the_pm_walks_the_legal_review_and_activates(browser, pm, campaign) -> None:
    ConsentDocumentFactory(campaign=campaign)
    base = f"/campaigns/{campaign.pk}/"
    browser.post(f"{base}transition/", {"to": "legal_review"})

    refused = browser.post(f"{base}transition/", {"to": "active"}, follow=True)
    assert "signed off before collection" in refused.content.decode()
    browser.post(
        f"{base}legal-review/",
        {
            "consent_text_reviewed": "on",
            "retention_period_set": "on",
            "purpose_stated": "on",
            "third_party_delivery_stated": "on",
            "minors_policy": "Guardian consent under 14.",
        },
    )
    signed = browser.post(f"{base}legal-review/sign-off/", follow=True)
    assert f"Signed off by {pm.username}" in signed.content.decode()
    browser.post(f"{base}transition/", {"to": "active"})

    assert Campaign.objects.get(pk=campaign.pk).status == "active"
    assert LegalReview.objects.get(campaign=campaign).signed_off_by == pm


def test_an_incomplete_checklist_is_not_signed(browser, campaign) -> None:
    ConsentDocumentFactory(campaign=campaign)
    LegalReviewFactory(campaign=campaign, purpose_stated=False)

    response = browser.post(f"/campaigns/{campaign.pk}/legal-review/sign-off/", follow=True)

    assert "purpose of use stated" in response.content.decode()
    assert LegalReview.objects.get(campaign=campaign).signed_off_at is None


def test_a_quota_cell_is_added_and_a_duplicate_refused(browser, campaign) -> None:
    cell = {"age_band": "20s", "gender": "female", "dialect": "jeju", "target_clips": "50"}
    cell |= {"target_minutes": "10", "target_speakers": "5"}
    browser.post(f"/campaigns/{campaign.pk}/quota-cells/", cell)

    again = browser.post(f"/campaigns/{campaign.pk}/quota-cells/", cell, follow=True)

    assert QuotaCell.objects.filter(campaign=campaign).count() == 1
    assert "duplicates the cell 20s / Female / Jeju dialect" in again.content.decode()


def test_the_prompt_import_form_shows_the_report(browser, campaign) -> None:
    data = "\ufeffid,text,recordings_needed\n1,불 켜 줘,2\n2,,1\n3,불 꺼 줘,many\n".encode()

    response = browser.post(
        f"/campaigns/{campaign.pk}/prompts/import/",
        {"file": SimpleUploadedFile("script.csv", data)},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "1 prompt imported." in html and "2 rows rejected:" in html
    assert "empty text" in html and "recordings_needed &#x27;many&#x27;" in html
    assert campaign.prompts.get().text == "불 켜 줘"


def test_a_refused_import_file_is_explained_on_the_form(browser, campaign) -> None:
    response = browser.post(
        f"/campaigns/{campaign.pk}/prompts/import/",
        {"file": SimpleUploadedFile("script.xlsx", b"PK\x03\x04")},
    )

    assert "Upload a .csv or .txt file" in response.content.decode()
    assert not campaign.prompts.exists()


def test_licensed_media_without_a_licence_is_refused_on_the_form(browser, campaign) -> None:
    response = browser.post(
        f"/campaigns/{campaign.pk}/channels/",
        {"kind": "licensed_media", "name": "News clips", "source_url": "https://example.com"},
    )

    assert "Licensed media needs the licence." in response.content.decode()
    assert not CollectionChannel.objects.exists()


def test_environments_are_added_and_deleted(browser, campaign) -> None:
    base = f"/campaigns/{campaign.pk}/environments/"
    browser.post(base, {"kind": "studio", "name": "Studio A", "noise_level": "quiet"})
    environment = campaign.environments.get()
    assert environment.name == "Studio A"

    browser.post(f"{base}{environment.pk}/delete/")

    assert not campaign.environments.exists()
