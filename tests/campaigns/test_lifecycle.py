"""Campaign status flow: draft → legal review → active → closed, with no collection before the
legal review is signed off."""

import pytest
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.services import campaign_require_collecting, campaign_transition
from labelhub.errors import Conflict, DomainError, NotAllowed
from tests.factories import (
    CampaignFactory,
    ConsentDocumentFactory,
    LegalReviewFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def signed_off(campaign: Campaign, pm: User) -> Campaign:
    ConsentDocumentFactory(campaign=campaign)
    LegalReviewFactory(campaign=campaign, signed_off_by=pm, signed_off_at=timezone.now())
    return campaign


def test_a_campaign_walks_from_draft_to_closed_once_signed_off(pm) -> None:
    campaign = signed_off(CampaignFactory(), pm)

    for status in ("legal_review", "active", "closed"):
        campaign = campaign_transition(campaign=campaign, to=status, by=pm)
        assert campaign.status == status
        assert Campaign.objects.get(pk=campaign.pk).status == status


def test_activation_is_refused_while_the_legal_review_is_unsigned(pm) -> None:
    campaign = CampaignFactory(status=Campaign.Status.LEGAL_REVIEW)
    LegalReviewFactory(campaign=campaign)

    with pytest.raises(Conflict) as refused:
        campaign_transition(campaign=campaign, to="active", by=pm)

    assert refused.value.code == "legal_review_pending"
    assert Campaign.objects.get(pk=campaign.pk).status == "legal_review"


def test_activation_is_refused_without_any_legal_review(pm) -> None:
    campaign = CampaignFactory(status=Campaign.Status.LEGAL_REVIEW)

    with pytest.raises(Conflict, match="signed off"):
        campaign_transition(campaign=campaign, to="active", by=pm)


def test_a_draft_cannot_jump_to_active_and_the_message_names_both_states(pm) -> None:
    campaign = signed_off(CampaignFactory(), pm)

    with pytest.raises(Conflict) as refused:
        campaign_transition(campaign=campaign, to="active", by=pm)

    assert refused.value.status_code == 409
    assert refused.value.code == "bad_transition"
    assert "Draft" in refused.value.message and "Active" in refused.value.message


def test_closed_is_final(pm) -> None:
    campaign = CampaignFactory(status=Campaign.Status.CLOSED)

    for status in ("draft", "legal_review", "active"):
        with pytest.raises(Conflict, match="from Closed to"):
            campaign_transition(campaign=campaign, to=status, by=pm)


def test_a_review_can_send_the_campaign_back_to_draft(pm) -> None:
    campaign = CampaignFactory(status=Campaign.Status.LEGAL_REVIEW)

    assert campaign_transition(campaign=campaign, to="draft", by=pm).status == "draft"


def test_an_unknown_status_is_a_bad_request(pm) -> None:
    with pytest.raises(DomainError) as refused:
        campaign_transition(campaign=CampaignFactory(), to="paused", by=pm)

    assert refused.value.status_code == 400


def test_only_a_pm_moves_a_campaign() -> None:
    labeler = UserFactory(role=User.Role.LABELER)

    with pytest.raises(NotAllowed):
        campaign_transition(campaign=CampaignFactory(), to="legal_review", by=labeler)


@pytest.mark.parametrize("status", ["draft", "legal_review", "closed"])
def test_collection_is_refused_unless_the_campaign_is_active(status) -> None:
    campaign = CampaignFactory(status=status)

    with pytest.raises(DomainError) as refused:
        campaign_require_collecting(campaign=campaign)

    assert refused.value.code == "campaign_not_collecting"
    assert refused.value.status_code == 409


def test_collection_is_refused_before_legal_approval_and_allowed_after(pm) -> None:
    campaign = CampaignFactory()
    campaign_transition(campaign=campaign, to="legal_review", by=pm)
    with pytest.raises(DomainError, match="not collecting"):
        campaign_require_collecting(campaign=campaign)

    signed_off(campaign, pm)
    campaign = campaign_transition(campaign=campaign, to="active", by=pm)

    assert campaign_require_collecting(campaign=campaign) is None


def test_collection_check_reads_the_stored_status_not_a_stale_object(pm) -> None:
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
    stale = Campaign.objects.get(pk=campaign.pk)
    campaign_transition(campaign=campaign, to="closed", by=pm)

    with pytest.raises(DomainError, match="Closed"):
        campaign_require_collecting(campaign=stale)
