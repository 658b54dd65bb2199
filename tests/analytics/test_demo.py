"""demo_analytics seeds a history the dashboard can tell a story with, once."""

import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from labelhub.analytics.asr_error import asr_error_by
from labelhub.analytics.coverage import coverage_gaps, coverage_over_time
from labelhub.recordings.models import Recording
from tests.factories import CampaignFactory, ConsentDocumentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_campaign():
    spec = json.loads((settings.BASE_DIR / "fixtures" / "demo" / "demo.json").read_text())
    UserFactory(username="pm", role="pm")
    campaign = CampaignFactory(name=spec["campaign"]["name"], language="en")
    ConsentDocumentFactory(campaign=campaign, version=1)
    campaign.prompts.create(text="turn on the television")
    campaign.prompts.create(text="switch to channel eleven")
    return campaign


def test_demo_analytics_seeds_a_month_of_history_with_gaps_and_uneven_error(demo_campaign):
    call_command("demo_analytics", stdout=StringIO())

    assert 150 <= Recording.objects.filter(campaign=demo_campaign).count() <= 300
    assert len(coverage_over_time(campaign=demo_campaign)) >= 20
    assert 0 < len(coverage_gaps(campaign=demo_campaign)) < demo_campaign.quota_cells.count()
    rates = {
        row.group: row.wer.value
        for row in asr_error_by(campaign=demo_campaign, dimension="dialect")
    }
    assert rates["jeolla"] > 1.5 * rates["standard"]
    assert demo_campaign.children.count() == 1


def test_demo_analytics_run_twice_changes_nothing(demo_campaign):
    call_command("demo_analytics", stdout=StringIO())
    count = Recording.objects.count()
    out = StringIO()

    call_command("demo_analytics", stdout=out)

    assert Recording.objects.count() == count
    assert "already seeded" in out.getvalue()
