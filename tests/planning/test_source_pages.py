"""The PM's long-form source pages: upload a source on /campaigns/<id>/sources/, see it listed
with its ingest status, and get a readable refusal that stores nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import Recording
from tests.audio_samples import speak
from tests.conftest import stored_files
from tests.factories import CampaignFactory, ConsentRecordFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(pm) -> Client:
    client = Client()
    client.force_login(pm)
    return client


@pytest.fixture
def campaign() -> Campaign:
    campaign = CampaignFactory(
        status=Campaign.Status.ACTIVE,
        name="Broadcast archive",
        collection_mode=Campaign.CollectionMode.LONG_FORM,
    )
    ConsentRecordFactory(speaker__campaign=campaign, speaker__code="BC-01")
    return campaign


@pytest.fixture(scope="module")
def source_bytes(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("source")
    return speak("the evening news begins with the weather", folder / "news.wav").read_bytes()


def upload(browser: Client, campaign: Campaign, data: bytes, name: str = "news.wav"):
    speaker = campaign.speakers.get()
    return browser.post(
        f"/campaigns/{campaign.pk}/sources/upload/",
        {"speaker": speaker.pk, "file": SimpleUploadedFile(name, data, "audio/wav")},
        follow=True,
    )


def test_the_campaign_page_links_a_long_form_campaign_to_its_sources(browser, campaign):
    page = browser.get(f"/campaigns/{campaign.pk}/")
    assert f'href="/campaigns/{campaign.pk}/sources/"' in page.content.decode()
    short = CampaignFactory(status=Campaign.Status.ACTIVE)
    assert "/sources/" not in browser.get(f"/campaigns/{short.pk}/").content.decode()


def test_an_uploaded_source_is_stored_and_listed(browser, campaign, source_bytes):
    page = upload(browser, campaign, source_bytes)
    assert page.status_code == 200
    source = Recording.objects.get(campaign=campaign)
    assert source.kind == Recording.Kind.SOURCE
    assert source.raw_file.read() == source_bytes  # kept byte for byte
    body = page.content.decode()
    assert "news.wav was stored" in body
    assert f'data-source="{source.pk}"' in body
    assert "BC-01" in body


def test_a_refused_file_names_the_problem_and_stores_nothing(browser, campaign, media_root):
    page = upload(browser, campaign, b"this is not audio at all", name="notes.wav")
    assert page.status_code == 200
    assert not Recording.objects.exists()
    assert stored_files(media_root) == []
    assert 'class="errorlist' in page.content.decode()


def test_a_short_utterance_campaign_takes_no_sources(browser, source_bytes):
    short = CampaignFactory(status=Campaign.Status.ACTIVE)
    ConsentRecordFactory(speaker__campaign=short, speaker__code="UT-01")
    page = upload(browser, short, source_bytes)
    assert "collects short utterances" in page.content.decode()
    assert not Recording.objects.exists()


def test_only_pms_open_the_sources_page(campaign):
    client = Client()
    client.force_login(UserFactory(role="labeler"))
    assert client.get(f"/campaigns/{campaign.pk}/sources/").status_code == 403
    assert Client().get(f"/campaigns/{campaign.pk}/sources/").status_code == 302
