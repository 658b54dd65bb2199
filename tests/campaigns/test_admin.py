"""Admin: the new models are registered, and status moves go through the checked transition."""

import pytest
from django.test import Client

from labelhub.campaigns.models import Campaign
from tests.factories import (
    CampaignFactory,
    CollectionChannelFactory,
    LegalReviewFactory,
    QuotaCellFactory,
    RecordingEnvironmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_a_campaign_page_shows_its_cells_environments_channels_and_review(admin_client) -> None:
    campaign = CampaignFactory()
    QuotaCellFactory(campaign=campaign, dialect="")
    RecordingEnvironmentFactory(campaign=campaign, name="Booth 7")
    CollectionChannelFactory(campaign=campaign, name="Crowd app")
    LegalReviewFactory(campaign=campaign, minors_policy="Guardians sign for minors.")

    html = admin_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()

    assert "Booth 7" in html and "Crowd app" in html and "Guardians sign for minors." in html
    assert 'name="quota_cells-0-target_clips"' in html


def test_the_prompt_list_renders(admin_client) -> None:
    CampaignFactory().prompts.create(text="안녕하세요")

    assert "안녕하세요" in admin_client.get("/admin/campaigns/prompt/").content.decode()


def test_the_activate_action_refuses_an_unsigned_campaign(admin_client) -> None:
    campaign = CampaignFactory(status=Campaign.Status.LEGAL_REVIEW)

    response = admin_client.post(
        "/admin/campaigns/campaign/",
        {"action": "move_to_active", "_selected_action": [campaign.pk]},
        follow=True,
    )

    assert "signed off before collection starts" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == "legal_review"
