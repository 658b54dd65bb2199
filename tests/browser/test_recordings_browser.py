"""In Chromium: a PM browses a campaign's recordings, filters them by speaker and status, plays
one inline and downloads the filtered list as CSV; and a bulk upload's report shows a stored row
turning rejected once ingest has run on it."""

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from labelhub.campaigns.models import Campaign, Prompt
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_ingest, recording_upload
from tests.audio_samples import silence, speak
from tests.browser.screenshots import save_doc_screenshot
from tests.factories import CampaignFactory, ConsentRecordFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAYED = """async (audio) => {
  audio.muted = true;
  await audio.play();
  await new Promise((done) => {
    const check = () => (audio.currentTime > 0 ? done() : setTimeout(check, 50));
    check();
  });
  audio.pause();
  return {time: audio.currentTime, ready: audio.readyState};
}"""


def collected(speaker, prompt, wav: Path) -> Recording:
    received = recording_upload(
        speaker=speaker,
        prompt=prompt,
        uploaded_file=SimpleUploadedFile(wav.name, wav.read_bytes()),
        uploaded_by=None,
    )
    return recording_ingest(recording_id=received.pk)  # what the ingest worker runs


@pytest.fixture
def campaign(tmp_path) -> Campaign:
    campaign = CampaignFactory(name="Smart TV commands", status=Campaign.Status.ACTIVE)
    ana = ConsentRecordFactory(speaker__campaign=campaign, speaker__code="ANA-01").speaker
    bo = ConsentRecordFactory(speaker__campaign=campaign, speaker__code="BO-02").speaker
    texts = ["turn on the television", "switch off the lights", "open the music app"]
    prompts = [Prompt.objects.create(campaign=campaign, text=text) for text in texts]
    for index, (speaker, prompt) in enumerate([(ana, 0), (ana, 1), (bo, 2), (bo, 0)]):
        wav = speak(prompts[prompt].text, tmp_path / f"take{index}.wav", speed=140 + index * 10)
        collected(speaker, prompts[prompt], wav)
    collected(ana, prompts[2], silence(tmp_path / "silent.wav", seconds=2.0))
    return campaign


def test_a_pm_filters_plays_and_downloads_recordings(page, login_as, pm, campaign) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login_as(pm)

    page.goto(f"/campaigns/{campaign.pk}/")
    page.click("#recordings-link")
    assert page.locator("#recording-table tbody tr").count() == 5
    page.select_option("#filter-speaker", "ANA-01")
    page.select_option("#filter-status", "ready")
    page.click("#recording-filters button[type=submit]")

    page.wait_for_url("**speaker=ANA-01**")
    rows = page.locator("#recording-table tbody tr")
    expect(rows).to_have_count(2)
    assert "2 recordings match." in page.locator("#recording-count").inner_text()
    assert all(row.inner_text().count("ANA-01") for row in rows.all())
    played = rows.first.locator("audio").evaluate(PLAYED)
    assert played["time"] > 0 and played["ready"] >= 2
    save_doc_screenshot(page, "recordings_browser")

    with page.expect_download() as download:
        page.click("#download-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert sorted(line["prompt_text"] for line in lines) == [
        "switch off the lights",
        "turn on the television",
    ]
    assert {(line["speaker"], line["status"]) for line in lines} == {("ANA-01", "ready")}
    assert errors == []


def test_a_bulk_report_shows_a_stored_row_turn_rejected_after_ingest(
    page, login_as, pm, tmp_path
) -> None:
    campaign = CampaignFactory(name="Studio Seoul", status=Campaign.Status.ACTIVE)
    ConsentRecordFactory(speaker__campaign=campaign, speaker__code="ST-01")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("manifest.csv", "file,speaker_code\ntv.wav,ST-01\nsilent.wav,ST-01\n")
        bundle.write(speak("turn on the television", tmp_path / "tv.wav"), "tv.wav")
        bundle.write(silence(tmp_path / "silent.wav", seconds=2.0), "silent.wav")
    login_as(pm)

    page.goto(f"/campaigns/{campaign.pk}/")
    page.set_input_files(
        "#bulk-upload-form input[type=file]",
        files=[{"name": "batch.zip", "mimeType": "application/zip", "buffer": buffer.getvalue()}],
    )
    page.click("#bulk-upload-form button[type=submit]")
    page.wait_for_selector("#report")
    silent_row = page.locator('#bulk-rows tr[data-row="3"]')
    expect(silent_row).to_have_attribute("data-state", "received")
    assert "2 waiting for ingest" in page.locator("#bulk-summary").inner_text()

    for recording in Recording.objects.filter(campaign=campaign):
        recording_ingest(recording_id=recording.pk)  # what the ingest worker runs

    # The page reloads itself while rows are pending, and stops once all have settled.
    expect(silent_row).to_have_attribute("data-state", "rejected", timeout=15_000)
    assert "silent" in silent_row.inner_text()
    expect(page.locator('#bulk-rows tr[data-row="2"]')).to_have_attribute("data-state", "ready")
    summary = "After ingest: 1 accepted, 1 rejected, 0 waiting for ingest."
    expect(page.locator("#bulk-summary")).to_have_text(summary)
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
