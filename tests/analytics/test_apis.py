"""The analytics API and pages: who may use them, and what they answer."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from labelhub.accounts.models import User
from labelhub.analytics.datasheet import datasheet_figures
from labelhub.analytics.models import FeedbackReport
from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import Exclusion, Recording
from tests.analytics.factories import active_feedback_campaign, clip
from tests.audio_samples import silence
from tests.factories import CampaignFactory, OrganisationFactory, QuotaCellFactory, UserFactory

pytestmark = pytest.mark.django_db

OTHER_ROLES = [User.Role.LABELER, User.Role.REVIEWER, User.Role.CLIENT]


@pytest.fixture
def campaign() -> Campaign:
    campaign = CampaignFactory(language="en")
    QuotaCellFactory(campaign=campaign, age_band="", gender="", dialect="jeolla", target_clips=3)
    clip(campaign=campaign, dialect="jeolla", draft="turn of the tv", final="turn on the tv")
    return campaign


def feedback_form(tmp_path, **fields) -> dict:
    audio = silence(tmp_path / "utterance.wav", seconds=1.0)
    return {
        "client": OrganisationFactory().pk,
        "audio": SimpleUploadedFile("utterance.wav", audio.read_bytes(), "audio/wav"),
        "heard_text": "turn of the tv",
        "consent_reference": "acme-terms-v3#8812",
        **fields,
    }


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_pms_read_analytics_tables(api_for, campaign, role) -> None:
    response = api_for(UserFactory(role=role)).get(
        f"/api/analytics/campaigns/{campaign.pk}/coverage/"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_callers_are_refused_everywhere(campaign, client) -> None:
    api = APIClient()
    assert api.get(f"/api/analytics/campaigns/{campaign.pk}/coverage/").status_code == 401
    assert api.post("/api/feedback/", {}).status_code == 401
    assert api.post("/api/analytics/exclusions/", {}).status_code == 401
    assert client.get(f"/analytics/{campaign.pk}/").status_code == 302


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_pms_open_the_dashboard_or_post_writes(api_for, campaign, client, role, tmp_path):
    user = UserFactory(role=role)
    client.force_login(user)
    api = api_for(user)

    assert client.get(f"/analytics/{campaign.pk}/").status_code == 403
    assert client.get(f"/analytics/{campaign.pk}/coverage.csv").status_code == 403
    assert client.post(f"/analytics/{campaign.pk}/recollect/").status_code == 403
    assert api.post(f"/api/analytics/campaigns/{campaign.pk}/recollection/").status_code == 403
    assert api.post("/api/analytics/exclusions/", {"reason": "other"}).status_code == 403
    assert api.post("/api/feedback/", feedback_form(tmp_path)).status_code == 403
    assert Campaign.objects.count() == 1
    assert Recording.objects.count() == 1


def test_the_error_table_reports_wer_and_cer_with_intervals(api_for, pm, campaign) -> None:
    response = api_for(pm).get(
        f"/api/analytics/campaigns/{campaign.pk}/asr-error/", {"by": "dialect"}
    )

    (row,) = response.json()["rows"]
    assert (row["group"], row["clips"], row["wer_percent"]) == ("jeolla", 1, 25.0)
    assert row["cer_percent"] == pytest.approx(100 / 11, abs=0.01)
    assert row["wer_ci_low"] <= row["wer_percent"] <= row["wer_ci_high"]


def test_an_unknown_table_or_grouping_is_a_clear_400(api_for, pm, campaign) -> None:
    api = api_for(pm)
    unknown = api.get(f"/api/analytics/campaigns/{campaign.pk}/nonsense/")
    bad_by = api.get(f"/api/analytics/campaigns/{campaign.pk}/asr-error/", {"by": "shoe"})
    crossed_cell = api.get(
        f"/api/analytics/campaigns/{campaign.pk}/asr-error/", {"by": "cell+dialect"}
    )

    assert unknown.status_code == bad_by.status_code == crossed_cell.status_code == 400
    assert "shoe" in bad_by.json()["error"]["message"]


def test_every_table_downloads_as_csv(client, pm, campaign) -> None:
    client.force_login(pm)
    tables = ["coverage", "gaps", "coverage-over-time", "asr-error", "labeling-cost", "exclusions"]

    for table in tables:
        response = client.get(f"/analytics/{campaign.pk}/{table}.csv")
        assert response.status_code == 200, table
        assert response["Content-Type"].startswith("text/csv")
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/analytics/{campaign.pk}/gaps.csv").content.decode())
        )
    )
    assert rows[0]["cell"] == "jeolla" and rows[0]["missing_clips"] == "2"


def test_a_recollection_is_drafted_in_one_post(api_for, pm, campaign) -> None:
    response = api_for(pm).post(
        f"/api/analytics/campaigns/{campaign.pk}/recollection/", {"name": "Jeolla 2"}, format="json"
    )

    assert response.status_code == 201
    child = Campaign.objects.get(pk=response.json()["id"])
    assert child.parent == campaign and child.name == "Jeolla 2"
    assert response.json()["quota_cells"][0]["target_clips"] == 2


def test_the_gaps_page_drafts_the_recollection_and_the_list_shows_the_chain(client, pm, campaign):
    client.force_login(pm)

    page = client.get(f"/analytics/{campaign.pk}/gaps/")
    response = client.post(f"/analytics/{campaign.pk}/recollect/", {"ci_half_width": "5"})

    assert "jeolla" in page.content.decode()
    child = campaign.children.get()
    assert response.status_code == 302
    assert response.url == f"/analytics/{campaign.pk}/gaps/?drafted={child.pk}"
    listing = client.get("/analytics/").content.decode()
    assert listing.index(campaign.name) < listing.index(child.name)
    assert 'data-depth="1"' in listing


def test_bulk_exclusion_and_lift_through_the_api(api_for, pm, campaign) -> None:
    recording = campaign.recordings.get()
    api = api_for(pm)

    added = api.post(
        "/api/analytics/exclusions/",
        {"recording_ids": [recording.pk], "reason": "misread", "campaign": campaign.pk},
        format="json",
    )
    (exclusion,) = added.json()["exclusions"]
    lifted = api.post("/api/analytics/exclusions/lift/", {"ids": [exclusion["id"]]}, format="json")

    assert added.status_code == 201
    assert lifted.status_code == 200 and lifted.json()["exclusions"][0]["lifted_at"]
    assert Exclusion.objects.get().lifted_by == pm


def test_a_bulk_exclusion_with_a_bad_reason_names_it(api_for, pm, campaign) -> None:
    response = api_for(pm).post(
        "/api/analytics/exclusions/",
        {"recording_ids": [campaign.recordings.get().pk], "reason": "boring"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("reason:")
    assert Exclusion.objects.count() == 0


def test_feedback_before_the_campaign_is_active_is_a_conflict(api_for, pm, tmp_path) -> None:
    response = api_for(pm).post("/api/feedback/", feedback_form(tmp_path))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "feedback_campaign_not_active"
    assert "legal review" in response.json()["error"]["message"]
    assert Campaign.objects.get().status == Campaign.Status.DRAFT
    assert Recording.objects.count() == 0


def test_feedback_lands_as_a_recording_through_the_api(api_for, pm, tmp_path) -> None:
    client = OrganisationFactory()
    active_feedback_campaign(client=client, pm=pm)
    form = feedback_form(tmp_path, product="Acme TV", client=client.pk)

    response = api_for(pm).post("/api/feedback/", form)

    assert response.status_code == 201, response.json()
    report = FeedbackReport.objects.get()
    assert response.json()["recording"] == report.recording_id
    assert report.recording.channel.kind == "product_feedback"
    assert report.consent_reference == "acme-terms-v3#8812"


def test_feedback_without_a_consent_reference_is_refused(api_for, pm, tmp_path) -> None:
    form = feedback_form(tmp_path)
    del form["consent_reference"]

    response = api_for(pm).post("/api/feedback/", form)

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("consent_reference")
    assert Recording.objects.count() == 0


def test_the_dashboard_shows_coverage_and_error_charts(client, pm, campaign) -> None:
    client.force_login(pm)

    html = client.get(f"/analytics/{campaign.pk}/").content.decode()

    assert 'id="coverage-chart"' in html and 'id="error-chart"' in html
    assert "jeolla: WER 25% ± " in html


def test_the_clips_page_lists_one_group_worst_first(client, pm, campaign) -> None:
    clip(campaign=campaign, dialect="standard", draft="mute", final="mute")
    worse = clip(campaign=campaign, dialect="jeolla", draft="turn the", final="turn on the tv")
    client.force_login(pm)

    html = client.get(f"/analytics/{campaign.pk}/clips/", {"by": "dialect", "group": "jeolla"})

    body = html.content.decode()
    assert body.count('name="recording"') == 2
    assert body.index(f'value="{worse.pk}"') < body.index("turn of the tv")


def test_pages_exclude_the_speakers_of_selected_clips_and_lift_them(client, pm, campaign) -> None:
    recording = campaign.recordings.get()
    same_speaker = clip(campaign=campaign, speaker=recording.speaker)
    client.force_login(pm)

    client.post(
        f"/analytics/{campaign.pk}/exclusions/add/",
        {"recording": [recording.pk], "reason": "duplicate_speaker", "target": "speakers"},
    )
    exclusion = Exclusion.objects.get()
    page = client.get(f"/analytics/{campaign.pk}/exclusions/").content.decode()
    client.post(f"/analytics/{campaign.pk}/exclusions/lift/", {"exclusion": [exclusion.pk]})

    assert exclusion.speaker == recording.speaker == same_speaker.speaker
    assert recording.speaker.code in page
    exclusion.refresh_from_db()
    assert exclusion.lifted_by == pm


def test_the_datasheet_figures_cover_only_the_given_recordings(pm, campaign) -> None:
    kept = clip(campaign=campaign, dialect="standard", draft="mute", final="mute")

    figures = datasheet_figures(campaign=campaign, recording_ids=[kept.pk])

    (row,) = figures["asr_error"]["dialect"]
    assert (row["group"], row["wer_percent"]) == ("standard", 0.0)
    assert figures["headline_unit"] == "wer"
    assert figures["labeling"]["labeled_clips"] == 1


def test_the_dashboard_speaks_korean(client, pm, campaign) -> None:
    client.force_login(pm)

    html = client.get(f"/analytics/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "수집 현황" in html and "음성 인식 오류" in html
