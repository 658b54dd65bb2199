import pytest

from labelhub.accounts.models import User
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import approved_clip, build


@pytest.mark.django_db(transaction=True)
def test_a_client_sees_only_its_release_and_previews_the_datasheet(page, login_as) -> None:
    own_campaign = CampaignFactory(name="TV commands")
    approved_clip(own_campaign, "volume up")
    own = build(own_campaign)
    other_campaign = CampaignFactory(name="Car navigation")
    approved_clip(other_campaign, "go home")
    build(other_campaign)
    login_as(UserFactory(role=User.Role.CLIENT, organisation=own.client))

    page.goto("/portal/")
    rows = page.locator("table.releases tbody tr")
    assert rows.count() == 1
    assert "TV commands" in rows.first.inner_text()
    rows.first.locator("a").click()
    assert page.locator("code.checksum").inner_text() == own.archive_sha256
    page.get_by_role("link", name="Preview the datasheet").click()

    assert page.locator("h1").inner_text() == "Datasheet: TV commands — release v1"
    assert page.locator('table.demographics[data-dimension="age band"] tbody tr').count() == 1
    assert page.locator(".charts svg").count() == 5
