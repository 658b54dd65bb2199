"""The new-release form: cells grouped by campaign, dialect choices, and a preview whose counts
are the built release's."""

import pytest
from django.test import Client

from labelhub.accounts.models import User
from labelhub.campaigns.demographics import Gender
from labelhub.releases.models import Release
from labelhub.releases.services import release_build
from tests.factories import (
    CampaignFactory,
    ConsentRecordFactory,
    QuotaCellFactory,
    RecordingFactory,
    UserFactory,
)
from tests.releases.helpers import approved_clip

pytestmark = pytest.mark.django_db

SHARES = {"train": 0.8, "dev": 0.1, "test": 0.1, "seed": 0}


def signed_in(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def pm() -> Client:
    return signed_in(UserFactory(role=User.Role.PM))


@pytest.fixture
def jeju():
    """A Korean campaign: two Jeju women in their 20s (3 clips), one Seoul man, one unapproved
    clip and one clip of a speaker without delivery consent."""
    campaign = CampaignFactory(name="Jeju voices", language="ko")
    cell = QuotaCellFactory(campaign=campaign, age_band="20s", gender="female", dialect="jeju")
    for clips in (2, 1):
        speaker = ConsentRecordFactory(
            speaker__campaign=campaign, speaker__age_band="20s", speaker__dialect="jeju"
        ).speaker
        for n in range(clips):
            approved_clip(campaign, f"clip {n}", speaker=speaker, duration_seconds=3.0)
    seoul = ConsentRecordFactory(speaker__campaign=campaign, speaker__gender=Gender.MALE).speaker
    approved_clip(campaign, "seoul", speaker=seoul, duration_seconds=4.0)
    RecordingFactory(speaker=seoul)  # ready, but no human text: never shipped
    RecordingFactory(speaker__campaign=campaign)  # no consent record
    return campaign, cell


def test_cells_are_grouped_by_campaign_with_the_campaign_pages_labels(pm, jeju) -> None:
    campaign, cell = jeju
    other = CampaignFactory(name="Busan voices", language="ko")
    QuotaCellFactory(campaign=other, age_band="20s", gender="female", dialect="jeju")

    page = signed_in(UserFactory(role=User.Role.PM), "ko").get("/portal/manage/new/")
    html = page.content.decode()

    assert "Jeju voices" in html and "Busan voices" in html
    assert "20대 · 여성 · 제주 방언" in html
    assert f'value="{cell.pk}"' in html and f'data-campaigns="{campaign.pk}"' in html
    assert "20s / female / jeju" not in html
    # Dialects are choices with their labels, not free text.
    assert 'name="dialects" value="jeju"' in html and "제주 방언" in html


def test_the_preview_counts_what_the_build_then_holds(pm, jeju) -> None:
    campaign, cell = jeju
    form = {"campaign": campaign.pk, "approved_only": "on", "action": "preview"} | SHARES

    page = pm.post("/portal/manage/new/", form).content.decode()

    assert 'id="preview-items">4<' in page and 'id="preview-speakers">3<' in page
    assert 'id="preview-duration">0 min 13 s<' in page
    assert Release.objects.count() == 0  # a preview builds nothing

    response = pm.post("/portal/manage/new/", form | {"action": "build"})
    release = release_build(release_id=Release.objects.get().pk)
    assert response.status_code == 302 and release.item_count == 4


def test_a_cell_and_dialect_preview_equals_the_build(pm, jeju) -> None:
    campaign, cell = jeju
    spec = {"quota_cells": [cell.pk], "dialects": ["jeju"]}
    body = {"campaign": campaign.pk, "spec": spec}

    preview = pm.post("/api/releases/preview/", body, content_type="application/json").json()
    created = pm.post("/api/releases/", body, content_type="application/json").json()
    release = release_build(release_id=created["id"])

    assert preview == {"items": 3, "speakers": 2, "seconds": 9.0, "hours": 0.003}
    assert release.status == Release.Status.PUBLISHED and release.item_count == preview["items"]


def test_the_preview_api_is_for_pms_and_answers_bad_specs_with_400(pm, jeju) -> None:
    campaign, _cell = jeju
    client = signed_in(UserFactory(role=User.Role.CLIENT, organisation=campaign.client))
    body = {"campaign": campaign.pk, "spec": {"genders": ["robot"]}}

    refused = client.post("/api/releases/preview/", body, content_type="application/json")
    bad = pm.post("/api/releases/preview/", body, content_type="application/json")

    assert refused.status_code == 403
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_spec"


def test_cells_and_dialects_of_another_campaign_are_refused_on_their_fields(pm, jeju) -> None:
    campaign, _cell = jeju
    english = CampaignFactory(name="US voices", client=campaign.client)
    stray = QuotaCellFactory(campaign=english)
    form = {"campaign": campaign.pk, "quota_cells": [stray.pk], "dialects": ["british"]}

    page = pm.post("/portal/manage/new/", form | SHARES | {"action": "preview"})

    html = page.content.decode()
    assert "Choose cells of the release&#x27;s campaigns only." in html
    assert "Not a dialect of the release&#x27;s campaigns: british" in html
    assert 'id="release-preview"' not in html
