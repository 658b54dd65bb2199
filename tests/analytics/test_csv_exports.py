"""Analytics CSV downloads: text people typed never reaches a spreadsheet as a live formula."""

import csv
import io

import pytest

from labelhub.analytics.tables import TABLES
from labelhub.campaigns.models import Campaign
from tests.analytics.factories import clip
from tests.factories import CampaignFactory, QuotaCellFactory

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def campaign() -> Campaign:
    campaign = CampaignFactory(language="en")
    QuotaCellFactory(campaign=campaign, age_band="", gender="", dialect="jeolla", target_clips=3)
    clip(campaign=campaign, dialect="jeolla", draft=HYPERLINK, final="@SUM(1)")
    return campaign


def rows(response) -> list[dict]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def no_cell_starts_a_formula(table: list[dict]) -> bool:
    return not any(
        value.startswith(("=", "+", "@", "\t", "\r"))
        for row in table
        for value in row.values()
        if value
    )


def test_the_clips_csv_quotes_transcripts_that_look_like_formulas(client, pm, campaign) -> None:
    client.force_login(pm)

    (row,) = rows(client.get(f"/analytics/{campaign.pk}/clips/", {"format": "csv"}))

    assert row["draft"] == "'" + HYPERLINK
    assert row["final"] == "'@SUM(1)"
    assert float(row["wer_percent"]) > 0  # numbers stay numbers


def test_the_exclusions_csv_quotes_notes_that_look_like_formulas(client, pm, campaign) -> None:
    recording = campaign.recordings.get()
    client.force_login(pm)
    client.post(
        f"/analytics/{campaign.pk}/exclusions/add/",
        {"recording": [recording.pk], "reason": "misread", "note": "+SUM(1,2)"},
    )

    (row,) = rows(client.get(f"/analytics/{campaign.pk}/exclusions.csv"))

    assert row["note"] == "'+SUM(1,2)"


@pytest.mark.parametrize("table", TABLES)
def test_no_analytics_table_csv_carries_a_live_formula(client, pm, campaign, table) -> None:
    campaign.quota_cells.update(dialect="=cmd|' /C calc'!A0")
    client.force_login(pm)

    assert no_cell_starts_a_formula(rows(client.get(f"/analytics/{campaign.pk}/{table}.csv")))
