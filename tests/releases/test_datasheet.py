"""The datasheet shipped in every archive and previewed in the portal."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.labeling.models import Task, TranscriptRevision
from tests.factories import (
    CampaignFactory,
    ConsentRecordFactory,
    QuotaCellFactory,
    RecordingEnvironmentFactory,
    UserFactory,
)
from tests.releases.helpers import approved_clip, archive_of, build, correct, release_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    campaign = CampaignFactory(description="Voice commands for a Korean smart TV.")
    car = RecordingEnvironmentFactory(campaign=campaign, name="Car cabin")
    speakers = [
        ConsentRecordFactory(
            speaker__campaign=campaign,
            speaker__age_band=age,
            speaker__gender=gender,
            speaker__dialect=dialect,
        ).speaker
        for age, gender, dialect in [
            ("20s", "female", "gyeongsang"),
            ("50s", "male", "jeolla"),
            ("70s+", "male", "standard"),
        ]
    ]
    # 20s: 3 s exact; 50s: 4 s, one word wrong of four; 70s+: 1.5 s, returned once.
    approved_clip(campaign, "volume up", speaker=speakers[0], duration_seconds=3.0)
    approved_clip(
        campaign,
        "turn the tv off",
        speaker=speakers[1],
        draft="turn the tv of",
        duration_seconds=4.0,
        environment=car,
    )
    returned = approved_clip(campaign, "mute", speaker=speakers[2], duration_seconds=1.5)
    Task.objects.filter(recording=returned).update(times_returned=1)
    return build(campaign)


def table_rows(markdown: str, heading: str) -> dict[str, list[str]]:
    """A Markdown table under a heading, as {first cell: the other cells}."""
    section = markdown.split(heading, 1)[1].split("\n\n", 2)[1]
    rows = [line.strip("|").split("|") for line in section.splitlines()[2:]]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in rows}


def test_the_datasheet_has_demographic_tables_of_speakers_clips_and_hours(release) -> None:
    markdown = archive_of(release).read("DATASHEET.md").decode()

    # speakers, clips, hours (3 s, 4 s and 1.5 s)
    assert table_rows(markdown, "#### By age band") == {
        "20s": ["1", "1", "0.001"],
        "50s": ["1", "1", "0.001"],
        "70s+": ["1", "1", "0.0"],
    }
    assert table_rows(markdown, "#### By gender") == {
        "female": ["1", "1", "0.001"],
        "male": ["2", "2", "0.002"],
    }
    assert set(table_rows(markdown, "#### By dialect")) == {"gyeongsang", "jeolla", "standard"}
    assert table_rows(markdown, "#### By environment") == {
        "Car cabin": ["1", "1", "0.001"],
        "unspecified": ["2", "2", "0.001"],
    }
    for section in ("## Motivation", "## Composition", "## Collection process"):
        assert section in markdown
    assert "Voice commands for a Korean smart TV." in markdown
    today = timezone.localdate()
    assert f"Recorded between {today} and {today}" in markdown
    assert "collection channels: unspecified (3)" in markdown
    assert "## Consent basis and scope" in markdown and "third-party delivery" in markdown
    assert "## Known limitations" in markdown and "fewer than 5 speakers" in markdown


def test_the_datasheet_reports_qa_figures_from_revisions(release) -> None:
    qa = release_json(release)["qa"]

    assert qa["items_with_asr_draft"] == 3
    assert qa["edit_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert qa["draft_vs_final_wer"] == pytest.approx(1 / 7, abs=1e-4)  # 1 of 7 words
    assert qa["clips_returned_in_review"] == pytest.approx(1 / 3, abs=1e-4)
    markdown = archive_of(release).read("DATASHEET.md").decode()
    assert "| edit rate | 0.3333 |" in markdown


def test_the_datasheet_prints_the_dashboards_asr_error_per_group(release) -> None:
    markdown = archive_of(release).read("DATASHEET.md").decode()

    by_dialect = table_rows(markdown, "by dialect")
    # jeolla: "turn the tv off" drafted as "turn the tv of": 1 word of 4, 1 character of 12.
    assert by_dialect["jeolla"][:2] == ["1", "25% [25-25]"]
    assert by_dialect["gyeongsang"][:2] == ["1", "0% [0-0]"]
    html = archive_of(release).read("DATASHEET.html").decode()
    assert "ASR draft error by group" in html and "jeolla" in html


def test_the_html_datasheet_draws_svg_charts_and_is_checksummed(release) -> None:
    bundle = archive_of(release)
    html = bundle.read("DATASHEET.html").decode()

    assert html.startswith("<!doctype html>")
    assert len(re.findall(r"<svg ", html)) == 5
    assert "Audio per age band" in html and "Clip durations" in html
    assert 'data-dimension="gender"' in html
    sums = bundle.read("SHA256SUMS").decode()
    assert "  DATASHEET.html\n" in sums and "  DATASHEET.md\n" in sums


def test_the_client_previews_the_datasheet_in_the_portal_and_api(api_for, release) -> None:
    user = UserFactory(role=User.Role.CLIENT, organisation=release.client)
    pages = Client()
    pages.force_login(user)

    page = pages.get(f"/portal/{release.pk}/datasheet/")

    assert page.status_code == 200
    assert 'data-dimension="age band"' in page.content.decode()
    assert "<svg" in page.content.decode()
    api = api_for(user).get(f"/api/releases/{release.pk}/datasheet/").json()
    assert api["markdown"] == archive_of(release).read("DATASHEET.md").decode()


def test_the_datasheet_states_how_tsv_and_csv_cells_are_kept_from_running(release) -> None:
    bundle = archive_of(release)

    for name in ("DATASHEET.md", "DATASHEET.html"):
        text = bundle.read(name).decode()
        assert "prefixed with an apostrophe" in text and "JSON/JSONL files keep" in text, name


def test_the_datasheet_states_the_licence_conventions_agreement_and_reviews() -> None:
    campaign = CampaignFactory(
        dataset_license="CC BY 4.0", terms_of_use="No speaker re-identification.",
        convention="kspon",
    )  # fmt: skip
    clip = approved_clip(campaign, "볼륨 올려")
    approval = correct(clip, "볼륨 올려")
    approval.decision = TranscriptRevision.Decision.APPROVED
    approval.save()
    approved_clip(campaign, "꺼 줘")

    release = build(campaign)
    markdown = archive_of(release).read("DATASHEET.md").decode()

    terms = markdown.split("## Licence and terms of use")[1].split("##")[0]
    assert "CC BY 4.0" in terms and "No speaker re-identification." in terms
    conventions = markdown.split("## Transcription conventions")[1].split("## ")[0]
    assert "KsponSpeech" in conventions and "noise tags" in conventions
    assert "0 double-transcribed clips, pooled CER n/a" in markdown
    assert "1 of 2 clips were reviewed: 1 approvals and 0 returns" in markdown
    assert "not stable across versions" in markdown
    assert "CC BY 4.0" in release.datasheet_html and "Review decisions" in release.datasheet_html


def test_a_campaign_without_a_chosen_licence_says_all_rights_reserved() -> None:
    campaign = CampaignFactory()
    approved_clip(campaign, "mute")
    release = build(campaign)
    markdown = archive_of(release).read("DATASHEET.md").decode()
    assert "licence: All rights reserved; delivered under contract" in markdown


# Names a client must never read on the datasheet page: field names, spec keys, raw groupings.
INTERNAL_KEYS = (
    "edit_rate", "draft_vs_final_wer", "draft_vs_final_cer", "items_with_asr_draft",
    "clips_returned_in_review", "reviewed_share", "age_band", "quota_cells", "extra_campaigns",
    "approved_only", "exclude_quality_flags", "audio_format", "include_originals",
    "keep_test_set", "speech_styles", "by age", "by dialect", '{"',
)  # fmt: skip


def datasheet_page(release, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(UserFactory(role=User.Role.CLIENT, organisation=release.client))
    page = client.get(f"/portal/{release.pk}/datasheet/")
    assert page.status_code == 200
    html = page.content.decode()
    return html[html.index('<article class="datasheet">') : html.index("</article>")]


@pytest.fixture
def filtered():
    """A Korean release whose spec names a cell, a dialect and a gender."""
    campaign = CampaignFactory(name="제주 말뭉치", language="ko")
    cell = QuotaCellFactory(campaign=campaign, age_band="20s", gender="female", dialect="jeju")
    speaker = ConsentRecordFactory(
        speaker__campaign=campaign, speaker__age_band="20s", speaker__dialect="jeju"
    ).speaker
    approved_clip(campaign, "하나 둘", speaker=speaker, draft="하나 셋", duration_seconds=75.0)
    approved_clip(campaign, "셋 넷", speaker=speaker, duration_seconds=30.0)
    spec = {"quota_cells": [cell.pk], "dialects": ["jeju"], "genders": ["female"]}
    return build(campaign, spec=spec)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_datasheet_page_shows_no_internal_key(release, filtered, language) -> None:
    for built in (release, filtered):
        html = datasheet_page(built, language)
        shown = [key for key in INTERNAL_KEYS if key in html]
        assert shown == [], f"{language}: {shown}"
        assert " h<" not in html and "0.001" not in html


def test_the_datasheet_page_names_figures_and_the_spec_in_words(filtered) -> None:
    html = datasheet_page(filtered, "en")

    assert 'ASR drafts a person changed</th><td class="num">50.0%' in html
    assert 'Items with an ASR draft</th><td class="num">2<' in html
    assert "1 min 45 s of audio" in html  # 75 s + 30 s
    assert "<dt>Campaigns</dt><dd>제주 말뭉치</dd>" in html
    assert "<dt>Quota cells</dt><dd>20s · Female · Jeju dialect</dd>" in html
    assert "<dt>Dialects</dt><dd>Jeju dialect</dd>" in html
    assert "<caption>By age band</caption>" in html


def test_the_datasheet_page_follows_the_ui_language(filtered) -> None:
    html = datasheet_page(filtered, "ko")

    assert "연령대별" in html and "구성" in html
    assert "<dt>할당 셀</dt><dd>20대 · 여성 · 제주 방언</dd>" in html
    assert "1분 45초" in html and "50.0%" in html
    # The archive's datasheet stays English.
    assert "By age band" in archive_of(filtered).read("DATASHEET.html").decode()
