"""Consent texts: versions, translations, immutability once signed, and the recorder's pick."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from labelhub.errors import Conflict
from labelhub.speakers.invites import invite_token
from labelhub.speakers.models import ConsentDocument, ConsentDocumentSigned
from labelhub.speakers.selectors import consent_document_for
from labelhub.speakers.services import (
    consent_document_create,
    consent_document_translate,
    consent_document_unchanged,
)
from tests.factories import (
    CampaignFactory,
    ConsentRecordFactory,
    LegalReviewFactory,
    SpeakerInviteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_language_after_each_test():
    # A request in Korean leaves Korean active in this thread; later tests expect English.
    yield
    translation.deactivate()


def test_each_new_text_is_the_next_version_and_earlier_ones_stay() -> None:
    campaign = CampaignFactory(language="en")
    first = consent_document_create(campaign=campaign, title="Consent", text="Version one.")
    second = consent_document_create(
        campaign=campaign, title="Consent", text="Version two.", retention_days=30
    )

    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert first.text == "Version one."
    assert first.retention_days == 365 * 3
    assert second.retention_days == 30


def test_an_unchanged_text_is_recognised_so_no_version_is_added() -> None:
    campaign = CampaignFactory(language="en")
    document = consent_document_create(campaign=campaign, title="Consent", text="Same words.")

    same = consent_document_unchanged(
        campaign=campaign, title="Consent", text="Same words.\n", language="en"
    )
    other = consent_document_unchanged(
        campaign=campaign, title="Consent", text="New words.", language="en"
    )

    assert same == document
    assert other is None


def test_a_translation_shares_the_version_and_scope_of_its_original() -> None:
    campaign = CampaignFactory(language="en")
    original = consent_document_create(
        campaign=campaign, title="Consent", text="I agree.", allows_commercial_use=False
    )

    korean = consent_document_translate(
        document=original, language="ko", title="동의서", text="동의합니다."
    )

    assert korean.version == original.version == 1
    assert korean.language == "ko"
    assert korean.allows_commercial_use is False
    assert ConsentDocument.objects.filter(campaign=campaign).count() == 2


def test_a_second_translation_into_the_same_language_is_refused() -> None:
    original = consent_document_create(
        campaign=CampaignFactory(language="en"), title="Consent", text="I agree."
    )
    consent_document_translate(document=original, language="ko", title="동의서", text="동의")

    with pytest.raises(Conflict):
        consent_document_translate(document=original, language="ko", title="다시", text="또")
    with pytest.raises(Conflict):
        consent_document_translate(document=original, language="en", title="Again", text="x")


def test_a_signed_document_cannot_be_changed() -> None:
    record = ConsentRecordFactory()
    document = record.document
    document.text = "Quietly different terms."

    with pytest.raises(ConsentDocumentSigned):
        document.save()
    document.refresh_from_db()
    assert document.text != "Quietly different terms."


def test_an_unsigned_document_can_still_be_corrected() -> None:
    document = consent_document_create(
        campaign=CampaignFactory(), title="Consent", text="Typo hre."
    )
    document.text = "Typo here."
    document.save()

    document.refresh_from_db()
    assert document.text == "Typo here."


def test_an_empty_text_is_refused_and_nothing_is_stored() -> None:
    campaign = CampaignFactory()

    with pytest.raises(ValidationError) as error:
        consent_document_create(campaign=campaign, title="Consent", text="   \n  ")

    assert "text" in error.value.message_dict
    assert not ConsentDocument.objects.filter(campaign=campaign).exists()


def test_the_reader_gets_the_newest_version_in_their_language_else_the_campaigns() -> None:
    campaign = CampaignFactory(language="en")
    v1 = consent_document_create(campaign=campaign, title="Consent", text="One.")
    v1_ko = consent_document_translate(document=v1, language="ko", title="동의서", text="하나.")

    assert consent_document_for(campaign=campaign, language="ko-KR") == v1_ko
    assert consent_document_for(campaign=campaign, language="en") == v1
    assert consent_document_for(campaign=campaign, language="ja") == v1

    # A new English version replaces the old terms: Korean readers get it until it is translated.
    v2 = consent_document_create(campaign=campaign, title="Consent", text="Two.")
    assert consent_document_for(campaign=campaign, language="ko") == v2
    v2_ko = consent_document_translate(document=v2, language="ko", title="동의서", text="둘.")
    assert consent_document_for(campaign=campaign, language="ko") == v2_ko


def test_the_recorder_page_shows_the_consent_in_the_browsers_language_and_signs_that_one(
    client,
) -> None:
    invite = SpeakerInviteFactory(campaign=CampaignFactory(language="en", status="active"))
    original = consent_document_create(
        campaign=invite.campaign, title="Voice consent", text="1. I agree\n   to be recorded."
    )
    korean = consent_document_translate(
        document=original, language="ko", title="음성 녹음 동의서", text="1. 녹음에 동의합니다."
    )
    path = f"/record/{invite_token(invite=invite)}/"

    korean_page = client.get(path, HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9").content.decode()
    english_page = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chosen = client.get(f"{path}?lang=ko", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "음성 녹음 동의서" in korean_page
    assert f'name="document" value="{korean.pk}"' in korean_page
    # The hard wrap inside item 1 reads as one sentence, not two lines.
    assert "<p>1. I agree to be recorded.</p>" in english_page
    assert f'name="document" value="{original.pk}"' in english_page
    assert "음성 녹음 동의서" in chosen  # the speaker's own choice among the languages
    response = client.post(
        f"/api/record/{invite_token(invite=invite)}/consent/",
        {
            "document": korean.pk,
            "agree": True,
            "signed_name": "홍길동",
            "birth_year": 1980,
            "gender": "male",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    invite.refresh_from_db()
    assert invite.speaker.consents.get().document == korean


def test_a_new_text_reopens_a_signed_off_legal_review_before_collection() -> None:
    campaign = CampaignFactory(status="legal_review")
    consent_document_create(campaign=campaign, title="Consent", text="One.")
    review = LegalReviewFactory(
        campaign=campaign, signed_off_by=UserFactory(role="pm"), signed_off_at=timezone.now()
    )

    consent_document_create(campaign=campaign, title="Consent", text="Two.")

    review.refresh_from_db()
    assert review.signed_off_at is None and review.consent_text_reviewed is False


def test_the_admin_shows_a_signed_document_but_will_not_save_it(admin_client) -> None:
    document = ConsentRecordFactory().document
    url = f"/admin/speakers/consentdocument/{document.pk}/change/"

    page = admin_client.get(url)
    response = admin_client.post(url, {"title": "Changed", "text": "Changed", "version": 1})

    assert page.status_code == 200
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.title != "Changed"
