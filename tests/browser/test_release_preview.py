"""A PM defines a release on the page, previews its size, builds it: the built release holds
exactly the previewed items."""

import re

import pytest

from labelhub.accounts.models import User
from labelhub.releases.models import Release
from labelhub.releases.services import release_build
from tests.browser.screenshots import save_doc_screenshot
from tests.factories import (
    CampaignFactory,
    ConsentRecordFactory,
    OrganisationFactory,
    QuotaCellFactory,
    UserFactory,
)
from tests.releases.helpers import approved_clip


def two_campaigns():
    """Jeju voices: two Jeju women in their 20s (3 clips) and a Seoul man; Busan voices, of
    the same client, with a cell of its own that the form must not offer for Jeju."""
    client = OrganisationFactory(name="Acme Speech")
    jeju = CampaignFactory(name="Jeju voices", language="ko", client=client)
    cell = QuotaCellFactory(campaign=jeju, age_band="20s", gender="female", dialect="jeju")
    QuotaCellFactory(campaign=jeju, age_band="60s", gender="male", dialect="standard")
    for clips in (2, 1):
        speaker = ConsentRecordFactory(
            speaker__campaign=jeju, speaker__age_band="20s", speaker__dialect="jeju"
        ).speaker
        for n in range(clips):
            approved_clip(jeju, f"clip {n}", speaker=speaker, duration_seconds=40.0)
    approved_clip(jeju, "seoul", duration_seconds=5.0)
    busan = CampaignFactory(name="Busan voices", language="ko", client=client)
    QuotaCellFactory(campaign=busan, age_band="30s", gender="male", dialect="gyeongsang")
    return jeju, cell


@pytest.mark.django_db(transaction=True)
def test_the_pm_previews_a_release_and_builds_exactly_that(page, login_as) -> None:
    jeju, cell = two_campaigns()
    login_as(UserFactory(role=User.Role.PM))

    page.goto("/portal/manage/new/")
    page.select_option("#id_campaign", label="Jeju voices")
    cells = page.locator("#id_quota_cells")
    # Only Jeju's cells are offered, under its name and with the campaign page's labels.
    assert cells.get_by_text("Jeju voices").is_visible()
    assert not cells.get_by_text("Busan voices").is_visible()
    page.get_by_label("20s · Female · Jeju dialect").check()
    page.locator("#id_dialects").get_by_label("Jeju dialect").check()
    page.locator("#preview-button").click()

    preview = page.locator("#release-preview")
    items = int(preview.locator("#preview-items").inner_text())
    speakers = int(preview.locator("#preview-speakers").inner_text())
    assert (items, speakers) == (3, 2)
    assert preview.locator("#preview-duration").inner_text() == "2 min 00 s"
    assert Release.objects.count() == 0
    # The form kept the spec: building now builds what was previewed.
    assert page.get_by_label("20s · Female · Jeju dialect").is_checked()
    save_doc_screenshot(page, "release_preview")
    page.locator("#build-button").click()

    page.wait_for_url(re.compile(r"/portal/\d+/$"))
    created = Release.objects.get()
    assert created.spec["quota_cells"] == [cell.pk] and created.spec["dialects"] == ["jeju"]
    built = release_build(release_id=created.pk)
    assert built.status == Release.Status.PUBLISHED, built.error
    assert built.item_count == items
