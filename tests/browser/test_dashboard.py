"""The PM's analytics dashboard, in Chromium, on the demo history."""

import json

import pytest
from django.conf import settings
from django.core.management import call_command

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from tests.factories import CampaignFactory, ConsentDocumentFactory, UserFactory


@pytest.fixture
def demo_campaign() -> Campaign:
    """The demo campaign as demo_load leaves it (no audio), then demo_analytics' history."""
    spec = json.loads((settings.BASE_DIR / "fixtures" / "demo" / "demo.json").read_text())
    UserFactory(username="pm", role=User.Role.PM)
    campaign = CampaignFactory(name=spec["campaign"]["name"], language="en")
    ConsentDocumentFactory(campaign=campaign, version=1)
    for text in ("turn on the television", "mute the sound", "switch to channel eleven"):
        campaign.prompts.create(text=text)
    call_command("demo_analytics", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return campaign


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_renders_coverage_and_error_charts_from_demo_data(
    page, login_as, demo_campaign
) -> None:
    login_as(User.objects.get(username="pm"))

    page.goto(f"/analytics/{demo_campaign.pk}/")

    coverage = page.locator("svg#coverage-chart")
    errors = page.locator("svg#error-chart")
    assert coverage.is_visible() and errors.is_visible()
    assert coverage.locator("rect.bar").count() >= 3 * 6  # target, collected, approved per cell
    assert errors.locator("path.ci").count() >= 6  # one interval per quota cell
    assert page.locator("svg#time-chart polyline.line").count() == 1
    assert page.locator('#coverage a[download][href$="/coverage.csv"]').count() == 1

    page.select_option("#by", "dialect")
    page.wait_for_url("**by=dialect")
    labels = page.locator("svg#error-chart").text_content()
    assert "jeolla" in labels and "gyeongsang" in labels
    with page.expect_download() as download:
        page.locator("#asr-error a[download]").click()
    assert download.value.suggested_filename.endswith("asr-error-dialect.csv")


@pytest.mark.django_db(transaction=True)
def test_the_campaign_list_shows_the_recollection_chain(page, login_as, demo_campaign) -> None:
    login_as(User.objects.get(username="pm"))

    page.goto("/analytics/")

    child = demo_campaign.children.get()
    row = page.locator('tr[data-depth="1"]')
    assert row.locator("a").inner_text() == child.name
    row.locator("a").click()
    assert page.locator("main h1").inner_text() == child.name
    assert page.locator("main p.muted a", has_text=demo_campaign.name).count() == 1
