"""The demo's plan: a signed legal review, an active campaign, cells, environments, channels."""

import pytest

from labelhub.campaigns.models import Campaign
from labelhub.planning.management.commands.demo_load import Command
from tests.factories import CampaignFactory, ConsentDocumentFactory

pytestmark = pytest.mark.django_db


def test_the_demo_plan_is_complete_and_loading_it_twice_changes_nothing(pm) -> None:
    campaign = CampaignFactory(language="en", created_by=pm)
    ConsentDocumentFactory(campaign=campaign)
    Command()._plan(campaign, pm=pm)
    counts = (
        campaign.quota_cells.count(),
        campaign.environments.count(),
        campaign.channels.count(),
    )

    Command()._plan(campaign, pm=pm)

    campaign = Campaign.objects.get(pk=campaign.pk)
    assert campaign.status == "active"
    assert campaign.legal_review.signed_off_by == pm
    assert counts == (13, 3, 3)
    assert counts == (
        campaign.quota_cells.count(),
        campaign.environments.count(),
        campaign.channels.count(),
    )
    assert {cell.age_band for cell in campaign.quota_cells.all()} >= {"20s", "60s"}
