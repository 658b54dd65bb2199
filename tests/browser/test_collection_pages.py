"""In Chromium: a PM makes invite links on the campaign page, copies them, and one opens the
recorder; then uploads a studio ZIP and reads its report."""

import io
import zipfile

import pytest
from playwright.sync_api import expect

from labelhub.campaigns.models import Campaign
from tests.audio_samples import speak
from tests.factories import CampaignFactory, ConsentDocumentFactory, ConsentRecordFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_pm_makes_invite_links_and_uploads_a_studio_zip(page, login_as, pm, tmp_path) -> None:
    campaign = CampaignFactory(name="Studio Seoul", status=Campaign.Status.ACTIVE)
    ConsentDocumentFactory(campaign=campaign, title="Voice data consent")
    ConsentRecordFactory(speaker__campaign=campaign, speaker__code="ST-01")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login_as(pm)

    page.goto(f"/campaigns/{campaign.pk}/")
    page.fill("#invite-form #id_count", "2")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector(".created-links")
    links = page.locator("#created-links").input_value().split()
    page.click('button[data-copy="#created-links"]')
    # The label changes only after the asynchronous copy settles, so wait for it.
    expect(page.locator('button[data-copy="#created-links"]')).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()").split() == links
    assert len(links) == 2 and all("/record/" in link for link in links)
    assert page.locator("#invite-table tbody tr").count() == 2

    page.goto(links[0])
    assert page.locator(".consent-text h3").inner_text() == "Voice data consent"

    clip = speak("turn on the television", tmp_path / "tv.wav").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("manifest.csv", "file,speaker_code\ntv.wav,ST-01\nnoise.wav,ST-01\n")
        bundle.writestr("tv.wav", clip)
        bundle.writestr("noise.wav", b"not audio at all" * 100)
    page.goto(f"/campaigns/{campaign.pk}/")
    page.set_input_files(
        "#bulk-upload-form input[type=file]",
        files=[{"name": "batch.zip", "mimeType": "application/zip", "buffer": buffer.getvalue()}],
    )
    page.click("#bulk-upload-form button[type=submit]")

    page.wait_for_selector("#report")
    # No ingest worker runs here: the stored row waits for ingest, the bad file is rejected.
    summary = "After ingest: 0 accepted, 1 rejected, 1 waiting for ingest."
    assert summary in page.locator(".summary").inner_text()
    assert "noise.wav" in page.locator("#bulk-rows tr[data-state=rejected]").inner_text()
    assert "tv.wav" in page.locator("#bulk-rows tr[data-state=received]").inner_text()
    assert errors == []
