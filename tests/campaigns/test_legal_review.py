"""The legal review: a complete checklist, a consent document, a named PM and a timestamp."""

import pytest

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, LegalReview
from labelhub.campaigns.services import legal_review_sign_off, legal_review_update
from labelhub.errors import Conflict, DomainError, NotAllowed
from tests.factories import (
    CampaignFactory,
    ConsentDocumentFactory,
    LegalReviewFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign() -> Campaign:
    campaign = CampaignFactory(status=Campaign.Status.LEGAL_REVIEW)
    ConsentDocumentFactory(campaign=campaign)
    return campaign


def test_a_complete_checklist_is_signed_by_the_named_pm_with_a_time(campaign, pm) -> None:
    LegalReviewFactory(campaign=campaign)

    review = legal_review_sign_off(campaign=campaign, by=pm)

    review.refresh_from_db()
    assert review.signed_off_by == pm
    assert review.signed_off_at is not None


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("consent_text_reviewed", "consent text reviewed"),
        ("retention_period_set", "retention period set"),
        ("purpose_stated", "purpose of use stated"),
        ("third_party_delivery_stated", "delivery to third parties stated"),
    ],
)
def test_sign_off_is_refused_while_a_box_is_unticked(campaign, pm, field, label) -> None:
    LegalReviewFactory(campaign=campaign, **{field: False})

    with pytest.raises(DomainError) as refused:
        legal_review_sign_off(campaign=campaign, by=pm)

    assert refused.value.code == "legal_review_incomplete"
    assert label in refused.value.message
    assert LegalReview.objects.get(campaign=campaign).signed_off_at is None


def test_sign_off_is_refused_without_a_minors_policy(campaign, pm) -> None:
    LegalReviewFactory(campaign=campaign, minors_policy="   ")

    with pytest.raises(DomainError, match="minors policy"):
        legal_review_sign_off(campaign=campaign, by=pm)


def test_sign_off_is_refused_when_the_campaign_has_no_consent_document(pm) -> None:
    campaign = CampaignFactory(status=Campaign.Status.LEGAL_REVIEW)
    LegalReviewFactory(campaign=campaign)

    with pytest.raises(DomainError) as refused:
        legal_review_sign_off(campaign=campaign, by=pm)

    assert refused.value.code == "consent_document_missing"


def test_only_a_pm_signs_off(campaign) -> None:
    LegalReviewFactory(campaign=campaign)

    with pytest.raises(NotAllowed):
        legal_review_sign_off(campaign=campaign, by=UserFactory(role=User.Role.REVIEWER))


def test_editing_after_sign_off_clears_the_sign_off(campaign, pm) -> None:
    LegalReviewFactory(campaign=campaign)
    legal_review_sign_off(campaign=campaign, by=pm)

    review = legal_review_update(campaign=campaign, minors_policy="No speakers under 14.")

    review.refresh_from_db()
    assert review.minors_policy == "No speakers under 14."
    assert review.signed_off_at is None and review.signed_off_by is None


def test_saving_the_same_answers_keeps_the_sign_off(campaign, pm) -> None:
    review = LegalReviewFactory(campaign=campaign)
    legal_review_sign_off(campaign=campaign, by=pm)

    legal_review_update(campaign=campaign, purpose_stated=True, notes=review.notes)

    assert LegalReview.objects.get(campaign=campaign).signed_off_by == pm


def test_the_first_update_creates_the_checklist(campaign) -> None:
    review = legal_review_update(campaign=campaign, purpose_stated=True)

    assert review.purpose_stated and not review.consent_text_reviewed


def test_the_review_of_an_active_campaign_is_locked(pm) -> None:
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
    LegalReviewFactory(campaign=campaign)

    with pytest.raises(Conflict):
        legal_review_update(campaign=campaign, notes="changed")
