"""In Chromium: a PM plans a campaign through the pages and imports a Korean prompt script."""

import pytest

from labelhub.campaigns.models import Campaign
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_pm_creates_a_campaign_and_imports_prompts(page, login_as, pm) -> None:
    OrganisationFactory(name="Acme Speakers")
    login_as(pm)

    page.goto("/campaigns/")
    page.click("text=New campaign")
    page.fill("#id_name", "Jeju elders")
    page.select_option("#id_client", label="Acme Speakers")
    page.fill("#id_language", "ko")
    page.fill("#id_target_hours", "120")
    page.click("#campaign-form button[type=submit]")

    page.wait_for_selector("h1:has-text('Jeju elders')")
    assert page.locator("[data-status]").inner_text() == "Draft"
    script = "\ufeffid,text,category\nJ1,혼저 옵서예,greeting\nJ2,,greeting\nJ3,고맙수다,thanks\n"
    page.set_input_files(
        "#prompt-import-form input[type=file]",
        files=[{"name": "jeju.csv", "mimeType": "text/csv", "buffer": script.encode()}],
    )
    page.click("#prompt-import-form button[type=submit]")

    report = page.locator(".import-report")
    assert "2 prompts imported." in report.inner_text()
    assert "empty text" in report.inner_text()
    assert "2 prompts" in page.locator(".prompt-count").inner_text()
    campaign = Campaign.objects.get(name="Jeju elders")
    assert campaign.created_by == pm and campaign.target_hours == 120
    assert list(campaign.prompts.values_list("text", flat=True)) == ["혼저 옵서예", "고맙수다"]
