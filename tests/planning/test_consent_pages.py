"""The consent editor on the campaign pages: write, version, preview, translate; no dead end."""

import pytest
from django.test import Client
from django.utils import translation

from labelhub.accounts.models import User
from labelhub.speakers.models import ConsentDocument
from labelhub.speakers.services import consent_document_create
from tests.factories import (
    CampaignFactory,
    ConsentRecordFactory,
    LegalReviewFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_language_after_each_test():
    # A request in Korean leaves Korean active in this thread; later tests expect English.
    yield
    translation.deactivate()


TEXT = "1. 목적: 음성 인식 학습\n2. 보유 기간: 3년\n   이후 파기합니다."


@pytest.fixture
def browser(pm) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="ko")
    client.force_login(pm)
    return client


@pytest.fixture
def campaign():
    return CampaignFactory(language="ko", name="부산 어르신 음성")


def write(browser, campaign, **changes):
    data = {
        "title": "음성 녹음 동의서",
        "language": "ko",
        "text": TEXT,
        "allows_training": "on",
        "allows_third_party_delivery": "on",
        "retention_days": 1095,
        **changes,
    }
    return browser.post(f"/campaigns/{campaign.pk}/consent/", data)


def test_a_pm_writes_the_first_consent_text_and_saving_a_change_adds_a_version(
    browser, campaign
) -> None:
    first = write(browser, campaign)
    again = write(browser, campaign)  # the same words: no new version
    changed = write(browser, campaign, text=TEXT + "\n3. 철회: 언제든지 가능합니다.")

    assert first.status_code == again.status_code == changed.status_code == 302
    documents = ConsentDocument.objects.filter(campaign=campaign).order_by("version")
    assert [(d.version, d.language) for d in documents] == [(1, "ko"), (2, "ko")]
    assert documents[0].text == TEXT
    assert documents[0].allows_commercial_use is False  # an unticked box
    page = browser.get(f"/campaigns/{campaign.pk}/consent/").content.decode()
    assert "v2" in page and "v1" in page


def test_an_empty_text_is_refused_with_a_readable_error_and_nothing_is_stored(
    browser, campaign
) -> None:
    response = write(browser, campaign, text="   ")

    assert response.status_code == 400
    assert "필수 항목입니다" in response.content.decode()  # Django's "This field is required."
    assert not ConsentDocument.objects.filter(campaign=campaign).exists()


def test_the_preview_shows_the_text_as_the_speaker_reads_it(browser, campaign) -> None:
    document = consent_document_create(campaign=campaign, title="음성 녹음 동의서", text=TEXT)

    page = browser.get(f"/campaigns/{campaign.pk}/consent/{document.pk}/").content.decode()

    assert "<h3>음성 녹음 동의서</h3>" in page
    assert "<p>2. 보유 기간: 3년 이후 파기합니다.</p>" in page  # the hard wrap undone
    assert "1단계: 동의서 읽기" in page  # the recorder's own heading, in Korean


def test_a_translation_is_the_same_version_in_another_language(browser, campaign) -> None:
    document = consent_document_create(campaign=campaign, title="음성 녹음 동의서", text=TEXT)
    path = f"/campaigns/{campaign.pk}/consent/{document.pk}/translate/"

    page = browser.get(path).content.decode()
    form = page[page.index('id="consent-translate-form"') :]
    response = browser.post(
        path, {"language": "en", "title": "Voice consent", "text": "1. Purpose: ASR training"}
    )
    twice = browser.post(path, {"language": "en", "title": "Again", "text": "Again"})

    assert 'value="en"' in form and 'value="ko"' not in form  # ko is taken by the original
    assert response.status_code == 302
    english = ConsentDocument.objects.get(campaign=campaign, language="en")
    assert english.version == document.version
    assert twice.status_code == 400  # en is no longer offered: the form refuses it
    assert ConsentDocument.objects.filter(campaign=campaign).count() == 2


def test_a_signed_version_stays_as_signed_when_the_pm_writes_a_new_one(browser, campaign) -> None:
    signed = ConsentRecordFactory(speaker__campaign=campaign, document__campaign=campaign).document
    before = signed.text

    write(browser, campaign, text="완전히 새로운 조건입니다.")

    signed.refresh_from_db()
    assert signed.text == before
    assert ConsentDocument.objects.filter(campaign=campaign).count() == 2


def test_the_sign_off_section_links_to_the_consent_editor_when_no_text_exists(
    browser, campaign
) -> None:
    LegalReviewFactory(campaign=campaign)

    page = browser.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert 'id="consent-missing"' in page
    assert f'href="/campaigns/{campaign.pk}/consent/"' in page


def test_another_campaigns_document_is_not_found_here(browser, campaign) -> None:
    other = consent_document_create(campaign=CampaignFactory(), title="Other", text="Other.")

    assert browser.get(f"/campaigns/{campaign.pk}/consent/{other.pk}/").status_code == 404
    translate = f"/campaigns/{campaign.pk}/consent/{other.pk}/translate/"
    assert browser.post(translate, {"language": "ko", "title": "x", "text": "y"}).status_code == 404


@pytest.mark.parametrize("role", [User.Role.LABELER, User.Role.REVIEWER, User.Role.CLIENT])
def test_only_pms_may_write_consent(campaign, role) -> None:
    client = Client()
    client.force_login(UserFactory(role=role))

    assert client.get(f"/campaigns/{campaign.pk}/consent/").status_code == 403
    assert client.post(f"/campaigns/{campaign.pk}/consent/", {"text": "x"}).status_code == 403
    assert not ConsentDocument.objects.filter(campaign=campaign).exists()


def test_the_new_campaign_form_names_the_client_in_korean(browser) -> None:
    page = browser.get("/campaigns/new/").content.decode()

    assert '<label for="id_client">고객사:</label>' in page
