"""The campaign page lists its things: prompts with recording counts, speakers with their
consent, live invite links, and quota cells with collected and approved progress."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from labelhub.analytics.coverage import coverage_by_cell
from labelhub.campaigns.models import Prompt
from labelhub.labeling.models import Task
from labelhub.planning.page_lists import LIST_CAP
from labelhub.recordings.models import Recording
from labelhub.recordings.selectors import prompts_with_recording_counts, quota_progress
from labelhub.speakers.invites import invite_path
from tests.factories import (
    CampaignFactory,
    ConsentRecordFactory,
    QuotaCellFactory,
    RecordingFactory,
    SpeakerInviteFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(pm) -> Client:
    client = Client()
    client.force_login(pm)
    return client


@pytest.fixture
def campaign():
    return CampaignFactory(language="en", status="active")


def speaker_in(campaign, **fields):
    return ConsentRecordFactory(
        speaker__campaign=campaign, document__campaign=campaign, **fields
    ).speaker


def test_prompts_count_their_kept_recordings(campaign) -> None:
    busy = Prompt.objects.create(campaign=campaign, text="volume up", recordings_needed=3)
    idle = Prompt.objects.create(campaign=campaign, text="volume down")
    speaker = speaker_in(campaign)
    gone = speaker_in(campaign)
    gone.withdrawn_at = timezone.now()
    gone.save()
    RecordingFactory(speaker=speaker, prompt=busy)
    RecordingFactory(speaker=speaker, prompt=busy, status=Recording.Status.RECEIVED)
    RecordingFactory(speaker=speaker, prompt=busy, status=Recording.Status.REJECTED)
    RecordingFactory(speaker=gone, prompt=busy)

    counts = {p.pk: (p.recorded, p.ready) for p in prompts_with_recording_counts(campaign=campaign)}

    assert counts == {busy.pk: (2, 1), idle.pk: (0, 0)}


def test_quota_progress_counts_collected_and_approved_clips_and_minutes(campaign) -> None:
    cell = QuotaCellFactory(campaign=campaign, target_clips=4, target_minutes=1.0)
    speaker = speaker_in(campaign, speaker__age_band="30s", speaker__gender="female")
    approved = RecordingFactory(speaker=speaker, duration_seconds=30)
    TaskFactory(recording=approved, status=Task.Status.APPROVED)
    RecordingFactory(speaker=speaker, duration_seconds=15)
    RecordingFactory(speaker=speaker, status=Recording.Status.REJECTED)

    other = speaker_in(campaign, speaker__age_band="50s", speaker__gender="male")
    RecordingFactory(speaker=other, duration_seconds=60)  # outside the cell
    gone = speaker_in(campaign, speaker__age_band="30s", speaker__gender="female")
    RecordingFactory(speaker=gone)
    gone.withdrawn_at = timezone.now()
    gone.save()
    everyone = QuotaCellFactory(campaign=campaign, age_band="", gender="", target_clips=10)

    progress = quota_progress(campaign=campaign)

    assert (progress[cell.pk].collected_clips, progress[cell.pk].approved_clips) == (2, 1)
    assert (progress[cell.pk].collected_minutes, progress[cell.pk].approved_minutes) == (0.75, 0.5)
    assert progress[everyone.pk].collected_clips == 3
    # The same numbers as the coverage dashboard's.
    for row in coverage_by_cell(campaign=campaign):
        mine = progress[row.cell.pk]
        assert (mine.collected_clips, mine.approved_clips) == (
            row.collected.clips,
            row.approved.clips,
        )
        assert (mine.collected_minutes, mine.approved_minutes) == (
            row.collected.minutes,
            row.approved.minutes,
        )
        assert mine.collected_speakers == row.collected.speakers


def test_the_page_lists_prompts_speakers_invites_and_progress_bars(browser, campaign) -> None:
    prompt = Prompt.objects.create(campaign=campaign, text="turn on the tv", recordings_needed=2)
    QuotaCellFactory(campaign=campaign, target_clips=4)
    speaker = speaker_in(campaign, speaker__code="DEMO-001")
    RecordingFactory(speaker=speaker, prompt=prompt)
    live = SpeakerInviteFactory(campaign=campaign)
    SpeakerInviteFactory(campaign=campaign, used_at=timezone.now(), speaker=speaker)
    expired = SpeakerInviteFactory(campaign=campaign, expires_at=timezone.now())

    page = browser.get(f"/campaigns/{campaign.pk}/").content.decode()

    row = re.search(rf'<tr data-prompt="{prompt.pk}">.*?</tr>', page, re.S).group(0)
    assert "turn on the tv" in row and "1 / 2" in row
    assert '<tr data-speaker="DEMO-001">' in page
    assert re.search(r"Signed v\d+ \(en\)", page)
    assert invite_path(invite=live).split(":")[0] in page  # the live link, shown again
    assert f'data-copy="#invite-url-{live.pk}"' in page
    assert f'data-invite="{expired.pk}" data-state="expired"' in page
    assert 'data-state="used"' in page
    assert '<progress class="collected" value="1" max="4"' in page
    assert 'style="' not in page  # the CSP forbids inline styles


def test_long_lists_are_capped_with_a_show_all_link(browser, campaign) -> None:
    Prompt.objects.bulk_create(
        Prompt(campaign=campaign, text=f"prompt {n}") for n in range(LIST_CAP + 5)
    )

    capped = browser.get(f"/campaigns/{campaign.pk}/").content.decode()
    everything = browser.get(f"/campaigns/{campaign.pk}/?show=prompts").content.decode()

    assert capped.count("<tr data-prompt=") == LIST_CAP
    assert 'id="prompts-show-all"' in capped
    assert everything.count("<tr data-prompt=") == LIST_CAP + 5


def test_withdrawn_speakers_show_as_withdrawn(browser, campaign) -> None:
    speaker = speaker_in(campaign, speaker__code="GONE-001")
    speaker.withdrawn_at = timezone.now()
    speaker.save()

    page = browser.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert '<tr data-speaker="GONE-001" class="withdrawn">' in page
    assert "Withdrawn " in page


def test_the_prompt_import_report_sits_at_the_top_of_the_page(browser, campaign) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("script.txt", b"turn it up\nturn it down\n")
    page = browser.post(f"/campaigns/{campaign.pk}/prompts/import/", {"file": upload})

    html = page.content.decode()
    assert html.index('id="import-report"') < html.index('id="status"')
    assert "2 prompts imported." in html
