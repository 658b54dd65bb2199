"""The PM's collection pages: invite links made on the campaign page open the recorder, and a
studio ZIP uploaded there gets a report page, row by row, or a readable refusal."""

import io
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, Prompt
from labelhub.recordings.bulk import bulk_upload_process
from labelhub.recordings.models import BulkUpload, Recording
from labelhub.recordings.services import recording_ingest
from labelhub.speakers.models import SpeakerInvite
from tests.audio_samples import speak
from tests.conftest import stored_files
from tests.factories import (
    CampaignFactory,
    CollectionChannelFactory,
    ConsentDocumentFactory,
    ConsentRecordFactory,
    SpeakerInviteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HEADER = "file,speaker_code,prompt_id,prompt_text,environment,channel\n"
LINK = re.compile(r"http://testserver/record/[^/\s<\"]+/")


@pytest.fixture
def browser(pm) -> Client:
    client = Client()
    client.force_login(pm)
    return client


@pytest.fixture
def campaign() -> Campaign:
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, name="Studio Seoul")
    ConsentRecordFactory(speaker__campaign=campaign, speaker__code="ST-01")
    Prompt.objects.create(campaign=campaign, external_id="P-001", text="turn on the television")
    ConsentDocumentFactory(campaign=campaign, language="en")
    return campaign


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    return speak("turn on the television", tmp_path_factory.mktemp("clip") / "tv.wav").read_bytes()


def zipped(entries: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in entries.items():
            bundle.writestr(name, data)
    return SimpleUploadedFile("batch.zip", buffer.getvalue(), content_type="application/zip")


# --- speaker invites ----------------------------------------------------------------------------


def test_a_pm_creates_invite_links_on_the_page_and_each_opens_the_recorder(
    browser, pm, campaign
) -> None:
    channel = CollectionChannelFactory(campaign=campaign, name="Community centre")

    response = browser.post(
        f"/campaigns/{campaign.pk}/invites/", {"count": 3, "channel": channel.pk}, follow=True
    )

    assert response.redirect_chain == [(f"/campaigns/{campaign.pk}/#invites", 302)]
    page = response.content.decode()
    links = sorted(set(LINK.findall(page.split('id="created-links"')[1].split("</textarea>")[0])))
    assert len(links) == 3
    assert "3 invite links created." in page
    invites = SpeakerInvite.objects.filter(campaign=campaign)
    assert invites.count() == 3
    assert {(invite.created_by, invite.channel) for invite in invites} == {(pm, channel)}
    for link in links:
        opened = Client().get(urlsplit(link).path)  # the invitee has no account
        assert opened.status_code == 200, link
        assert "Studio Seoul" in opened.content.decode()


def test_a_speaker_code_gives_one_named_link_and_shows_in_the_recent_invites(
    browser, campaign
) -> None:
    response = browser.post(
        f"/campaigns/{campaign.pk}/invites/", {"count": 1, "speaker_code": "SEOUL-007"}, follow=True
    )

    assert 'id="created-links"' in response.content.decode()
    again = browser.get(f"/campaigns/{campaign.pk}/").content.decode()
    # Reloading issues no more links and shows no "new links" box; the open link stays in the
    # table, to copy again.
    assert 'id="created-links"' not in again
    assert SpeakerInvite.objects.count() == 1
    table = again.split('id="invite-table"')[1].split("</table>")[0]
    assert "SEOUL-007" in table
    assert len(LINK.findall(table)) == 1
    assert 'data-state="live"' in table and "Open" in table


def test_the_recent_invites_say_which_were_used_and_by_which_speaker(browser, campaign) -> None:
    speaker = ConsentRecordFactory(speaker__campaign=campaign, speaker__code="USED-1").speaker
    SpeakerInviteFactory(campaign=campaign, speaker=speaker, used_at=timezone.now())
    SpeakerInviteFactory(campaign=campaign)

    page = browser.get(f"/campaigns/{campaign.pk}/").content.decode()

    table = page.split('id="invite-table"')[1].split("</table>")[0]
    assert "USED-1" in table and "Used " in table and "Open" in table
    assert "2 invite links issued, 1 used." in page


def test_the_services_refusal_is_shown_as_a_message_and_nothing_is_created(
    browser, campaign
) -> None:
    response = browser.post(
        f"/campaigns/{campaign.pk}/invites/", {"count": 2, "speaker_code": "SEOUL-007"}, follow=True
    )

    assert "issued one at a time" in response.content.decode()
    assert not SpeakerInvite.objects.exists()


@pytest.mark.parametrize("count", [0, 201, ""])
def test_a_count_outside_1_to_200_is_a_form_error(browser, campaign, count) -> None:
    response = browser.post(f"/campaigns/{campaign.pk}/invites/", {"count": count})

    assert response.status_code == 200
    assert response.context["invite_form"].errors["count"]
    assert not SpeakerInvite.objects.exists()


def test_a_channel_of_another_campaign_is_refused(browser, campaign) -> None:
    foreign = CollectionChannelFactory()

    response = browser.post(
        f"/campaigns/{campaign.pk}/invites/", {"count": 1, "channel": foreign.pk}
    )

    assert response.context["invite_form"].errors["channel"]
    assert not SpeakerInvite.objects.exists()


@pytest.mark.parametrize("status", [Campaign.Status.DRAFT, Campaign.Status.LEGAL_REVIEW])
def test_before_activation_the_page_explains_why_no_links_can_be_made(browser, status) -> None:
    campaign = CampaignFactory(status=status)

    page = browser.get(f"/campaigns/{campaign.pk}/").content.decode()
    refused = browser.post(f"/campaigns/{campaign.pk}/invites/", {"count": 1}, follow=True)

    assert 'id="invites-closed"' in page and "legal review is signed off" in page
    assert 'id="invite-form"' not in page and 'id="bulk-upload-form"' not in page
    assert "is not collecting recordings" in refused.content.decode()
    assert not SpeakerInvite.objects.exists()


# --- who may use the pages ------------------------------------------------------------------------


def collection_requests(campaign: Campaign, upload: BulkUpload) -> list[tuple[str, str, dict]]:
    return [
        ("post", f"/campaigns/{campaign.pk}/invites/", {"count": 1}),
        ("post", f"/campaigns/{campaign.pk}/bulk-uploads/", {"archive": zipped({})}),
        ("get", f"/campaigns/{campaign.pk}/bulk-uploads/{upload.pk}/", {}),
    ]


@pytest.fixture
def upload(campaign, pm) -> BulkUpload:
    return BulkUpload.objects.create(campaign=campaign, uploaded_by=pm, row_count=1)


@pytest.mark.parametrize("role", [User.Role.LABELER, User.Role.REVIEWER, User.Role.CLIENT])
def test_other_roles_get_403_and_nothing_is_created(campaign, upload, role) -> None:
    client = Client()
    client.force_login(UserFactory(role=role))

    for method, path, data in collection_requests(campaign, upload):
        assert getattr(client, method)(path, data).status_code == 403, path
    assert not SpeakerInvite.objects.exists()
    assert BulkUpload.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(campaign, upload) -> None:
    for method, path, data in collection_requests(campaign, upload):
        response = getattr(Client(), method)(path, data)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_a_report_is_found_only_under_its_own_campaign(browser, upload) -> None:
    other = CampaignFactory(status=Campaign.Status.ACTIVE)

    assert browser.get(f"/campaigns/{other.pk}/bulk-uploads/{upload.pk}/").status_code == 404


# --- studio bulk upload ---------------------------------------------------------------------------


def test_a_zip_with_a_good_and_a_bad_row_shows_both_on_the_report_page(
    browser, campaign, clip, media_root: Path
) -> None:
    manifest = HEADER + "audio/tv.wav,ST-01,P-001,,,\naudio/tv2.wav,ST-99,,,,\n"
    archive = zipped(
        {"manifest.csv": manifest.encode(), "audio/tv.wav": clip, "audio/tv2.wav": clip}
    )

    response = browser.post(f"/campaigns/{campaign.pk}/bulk-uploads/", {"archive": archive})

    upload = BulkUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/bulk-uploads/{upload.pk}/"
    page = browser.get(response["Location"]).content.decode()
    stored = page.split('data-row="2"')[1].split("</tr>")[0]
    rejected = page.split('data-row="3"')[1].split("</tr>")[0]
    recording = Recording.objects.get()
    assert "audio/tv.wav" in stored and str(recording.uid) in stored
    assert 'data-state="received"' in page  # stored, but ingest has not passed it yet
    assert (
        "audio/tv2.wav" in rejected
        and "speaker &#x27;ST-99&#x27; is not in this campaign" in rejected
    )
    assert "When the manifest was read: 1 row stored, 1 rejected." in page
    assert 'http-equiv="refresh"' in page  # until ingest has settled the stored row
    recording_ingest(recording_id=recording.pk)  # what the ingest worker runs
    page = browser.get(response["Location"]).content.decode()
    assert "After ingest: 1 accepted, 1 rejected, 0 waiting for ingest." in page
    assert 'http-equiv="refresh"' not in page
    listed = browser.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f"/campaigns/{campaign.pk}/bulk-uploads/{upload.pk}/" in listed


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        ({"../evil.wav": b"RIFF"}, "../evil.wav"),
        ({"audio/big.wav": b"\0" * (50 * 1024 * 1024)}, "ZIP bomb"),
    ],
)
def test_a_hostile_zip_shows_a_readable_error_and_stores_nothing(
    browser, campaign, clip, media_root: Path, entries, words
) -> None:
    manifest = HEADER + "audio/tv.wav,ST-01,,,,\n"
    archive = zipped({"manifest.csv": manifest.encode(), "audio/tv.wav": clip, **entries})

    response = browser.post(f"/campaigns/{campaign.pk}/bulk-uploads/", {"archive": archive})

    assert response.status_code == 200
    errors = response.context["bulk_form"].errors["archive"]
    assert words in errors[0]
    assert words in response.content.decode().replace("&#x27;", "'")
    assert not BulkUpload.objects.exists()
    assert not Recording.objects.exists()
    assert stored_files(media_root) == []


def test_a_bulk_upload_to_a_closed_campaign_is_refused_with_a_reason(
    browser, pm, campaign, clip, media_root: Path
) -> None:
    archive = zipped({"manifest.csv": (HEADER + "tv.wav,ST-01,,,,\n").encode(), "tv.wav": clip})
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)

    response = browser.post(f"/campaigns/{campaign.pk}/bulk-uploads/", {"archive": archive})

    assert "is not collecting recordings" in response.context["bulk_form"].errors["archive"][0]
    assert not BulkUpload.objects.exists()
    assert stored_files(media_root) == []


def test_a_large_upload_shows_its_progress_and_refreshes_until_the_worker_is_done(
    browser, campaign, clip, media_root: Path, monkeypatch
) -> None:
    monkeypatch.setattr("labelhub.recordings.bulk.BULK_SYNC_ROWS", 0)
    archive = zipped({"manifest.csv": (HEADER + "tv.wav,ST-01,,,,\n").encode(), "tv.wav": clip})

    response = browser.post(f"/campaigns/{campaign.pk}/bulk-uploads/", {"archive": archive})

    upload = BulkUpload.objects.get()
    assert upload.status == BulkUpload.Status.QUEUED
    # Progress as a live run reports it (a run marked running is the worker's own, not redone).
    BulkUpload.objects.filter(pk=upload.pk).update(progress=40)
    running = browser.get(response["Location"]).content.decode()
    assert f'<meta http-equiv="refresh" content="3; url={response["Location"]}">' in running
    assert '<progress max="100" value="40">' in running

    bulk_upload_process(bulk_upload_id=upload.pk)  # what the worker runs

    recording_ingest(recording_id=Recording.objects.get().pk)  # and the ingest worker

    done = browser.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in done
    assert "After ingest: 1 accepted, 0 rejected, 0 waiting for ingest." in done


def test_a_refused_worker_upload_says_why_on_its_page(browser, pm, campaign) -> None:
    upload = BulkUpload.objects.create(
        campaign=campaign,
        uploaded_by=pm,
        status=BulkUpload.Status.REFUSED,
        error_code="campaign_not_collecting",
        error="Campaign 'Studio Seoul' is not collecting recordings (status: Closed).",
    )

    page = browser.get(f"/campaigns/{campaign.pk}/bulk-uploads/{upload.pk}/").content.decode()

    assert "no recording from it was stored" in page
    assert "is not collecting recordings" in page
    assert 'http-equiv="refresh"' not in page


def test_the_collection_sections_speak_korean(browser, campaign) -> None:
    page = browser.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "화자 초대" in page and "스튜디오 일괄 업로드" in page
    assert "Speaker invites" not in page and "Studio bulk upload" not in page
