"""A campaign's dataset licence and terms of use, set through the API."""

import pytest

from labelhub.accounts.models import User
from labelhub.campaigns.models import DEFAULT_DATASET_LICENSE, Campaign
from tests.factories import CampaignFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_pm_sets_the_licence_and_terms_of_use_through_the_api(client) -> None:
    campaign = CampaignFactory()
    assert campaign.dataset_license == DEFAULT_DATASET_LICENSE
    client.force_login(UserFactory(role=User.Role.PM))

    response = client.patch(
        f"/api/campaigns/{campaign.pk}/",
        {"dataset_license": "CC BY 4.0", "terms_of_use": "No re-identification."},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["dataset_license"] == "CC BY 4.0"
    campaign = Campaign.objects.get(pk=campaign.pk)
    assert (campaign.dataset_license, campaign.terms_of_use) == (
        "CC BY 4.0",
        "No re-identification.",
    )
