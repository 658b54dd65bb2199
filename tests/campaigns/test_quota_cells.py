"""Quota cells: every dimension checked against its list, targets not negative, no duplicates."""

import pytest
from django.utils import translation

from labelhub.campaigns.models import QuotaCell
from labelhub.campaigns.quota_cells import quota_cell_update, quota_cells_create
from labelhub.campaigns.services import campaign_update
from labelhub.errors import Conflict, DomainError
from tests.factories import CampaignFactory, QuotaCellFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory(language="ko-KR")


def test_cells_are_created_in_bulk(campaign) -> None:
    cells = quota_cells_create(
        campaign=campaign,
        cells=[
            {"age_band": "20s", "gender": "female", "dialect": "jeolla", "target_clips": 200},
            {"age_band": "60s", "gender": "male", "region": "Busan", "target_minutes": 30.5},
            {"speech_style": "command", "target_speakers": 40, "max_minutes_per_speaker": 10},
        ],
    )

    assert len(cells) == 3
    assert QuotaCell.objects.filter(campaign=campaign).count() == 3
    busan = QuotaCell.objects.get(campaign=campaign, region="Busan")
    assert (busan.age_band, busan.gender, busan.dialect, busan.target_minutes) == (
        "60s",
        "male",
        "",
        30.5,
    )


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ({"age_band": "35s"}, "age_band '35s'"),
        ({"gender": "unknown"}, "gender 'unknown'"),
        ({"dialect": "texan"}, "dialect 'texan'"),
        ({"region": "Tokyo"}, "region 'Tokyo'"),
        ({"speech_style": "sung"}, "speech_style 'sung'"),
        ({"target_clips": -1}, "target_clips must be 0 or more"),
        ({"target_minutes": -0.5}, "target_minutes must be 0 or more"),
        ({"max_minutes_per_speaker": 0}, "max_minutes_per_speaker"),
    ],
)
def test_a_bad_cell_is_refused_naming_it_and_nothing_is_stored(campaign, cell, words) -> None:
    good = {"age_band": "20s", "gender": "male"}

    with pytest.raises(DomainError) as refused:
        quota_cells_create(campaign=campaign, cells=[good, cell])

    assert refused.value.status_code == 400
    assert "Cell 2" in refused.value.message and words in refused.value.message
    assert not QuotaCell.objects.filter(campaign=campaign).exists()


def test_a_duplicate_of_a_stored_cell_is_refused_naming_the_cell(campaign) -> None:
    QuotaCellFactory(campaign=campaign, age_band="20s", gender="female", dialect="jeju")

    with pytest.raises(Conflict) as refused:
        quota_cells_create(
            campaign=campaign, cells=[{"age_band": "20s", "gender": "female", "dialect": "jeju"}]
        )

    assert refused.value.code == "duplicate_cell"
    assert "20s / Female / Jeju dialect" in refused.value.message


def test_a_duplicate_is_named_in_the_pms_language(campaign) -> None:
    QuotaCellFactory(campaign=campaign, gender="female", dialect="jeju")
    moved = QuotaCellFactory(campaign=campaign, gender="male", dialect="jeju")

    with translation.override("ko"), pytest.raises(Conflict) as refused:
        quota_cell_update(cell=moved, gender="female")

    female, jeju = korean("Female"), korean("Jeju dialect")
    assert (female, jeju) != ("Female", "Jeju dialect")  # the catalogue has both
    assert f"{female} / {jeju}" in refused.value.message
    assert "female" not in refused.value.message


def test_a_duplicate_within_one_request_is_refused(campaign) -> None:
    cell = {"age_band": "40s", "gender": "other"}

    with pytest.raises(Conflict, match="Cell 2 duplicates"):
        quota_cells_create(campaign=campaign, cells=[cell, dict(cell)])

    assert not QuotaCell.objects.exists()


def test_the_campaigns_own_dialect_list_replaces_the_default(campaign) -> None:
    campaign_update(campaign=campaign, dialect_choices=["busan", "daegu"])

    quota_cells_create(campaign=campaign, cells=[{"dialect": "busan"}])
    with pytest.raises(DomainError, match="dialect 'jeolla'"):
        quota_cells_create(campaign=campaign, cells=[{"dialect": "jeolla"}])


def test_an_update_to_a_duplicate_is_refused(campaign) -> None:
    QuotaCellFactory(campaign=campaign, age_band="20s", gender="female")
    other = QuotaCellFactory(campaign=campaign, age_band="30s", gender="female")

    with pytest.raises(Conflict):
        quota_cell_update(cell=other, age_band="20s")

    other.refresh_from_db()
    assert other.age_band == "30s"


def korean(text: str) -> str:
    with translation.override("ko"):
        return translation.gettext(text)
