"""The PM's recordings browser page and its CSV: same filters as the API, a readable 400 for a
bad one, formula-like text neutralised in the CSV, and only the PM's."""

import csv
import io

import pytest
from django.test import Client

from labelhub.accounts.models import User
from labelhub.campaigns.models import Prompt
from labelhub.recordings.models import Recording
from tests.factories import CampaignFactory, RecordingFactory, SpeakerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = CampaignFactory()
    ana = SpeakerFactory(campaign=campaign, code="ANA-01")
    bo = SpeakerFactory(campaign=campaign, code="BO-02")
    prompt = Prompt.objects.create(campaign=campaign, text='=HYPERLINK("http://x")')
    RecordingFactory(speaker=ana, prompt=prompt)
    RecordingFactory(speaker=bo, status=Recording.Status.REJECTED, rejection_code="silent")
    RecordingFactory()  # another campaign's
    return campaign


def browser_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_filters_and_links_play_and_download(pm, campaign) -> None:
    page = browser_for(pm).get(f"/campaigns/{campaign.pk}/recordings/", {"speaker": "ANA-01"})

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<tr data-recording="') == 1
    (shown,) = Recording.objects.filter(speaker__code="ANA-01")
    assert f'src="/api/recordings/{shown.pk}/audio/"' in html
    assert 'href="csv/?speaker=ANA-01"' in html
    assert '<option value="BO-02">BO-02</option>' in html  # the select lists the campaign's


def test_a_bad_filter_shows_a_message_with_a_400(pm, campaign) -> None:
    page = browser_for(pm).get(f"/campaigns/{campaign.pk}/recordings/", {"created_from": "soon"})

    assert page.status_code == 400
    assert "created_from" in page.content.decode()


def test_the_csv_holds_the_filtered_rows_with_formulas_neutralised(pm, campaign) -> None:
    response = browser_for(pm).get(f"/campaigns/{campaign.pk}/recordings/csv/")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["speaker"] for row in rows) == ["ANA-01", "BO-02"]
    prompted = next(row for row in rows if row["speaker"] == "ANA-01")
    assert prompted["prompt_text"] == '\'=HYPERLINK("http://x")'
    rejected = next(row for row in rows if row["speaker"] == "BO-02")
    assert (rejected["status"], rejected["rejection_code"]) == ("rejected", "silent")


def test_only_a_pm_may_browse(campaign) -> None:
    labeler = browser_for(UserFactory(role=User.Role.LABELER))

    assert labeler.get(f"/campaigns/{campaign.pk}/recordings/").status_code == 403
    assert labeler.get(f"/campaigns/{campaign.pk}/recordings/csv/").status_code == 403
    assert Client().get(f"/campaigns/{campaign.pk}/recordings/").status_code == 302
