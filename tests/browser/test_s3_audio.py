"""The workbench plays audio kept in object storage (a real SeaweedFS server) in Chromium: the
audio API redirects to a presigned URL of the store, the browser follows it under the page's
Content-Security-Policy (the context fixture fails the test on any violation), streams it by
Range requests, and plays."""

import pytest
import requests

from labelhub.accounts.models import User
from labelhub.labeling.models import Task
from tests.factories import ConsentRecordFactory, UserFactory
from tests.labeling.audio import TEN_SECONDS, ingested_recording, store_draft
from tests.s3 import bucket_keys

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_workbench_plays_a_clip_from_s3_by_presigned_redirect_and_ranges(
    s3_storage: str, s3_server, page, login_as, tmp_path
) -> None:
    recording = ingested_recording(ConsentRecordFactory().speaker, tmp_path, text=TEN_SECONDS)
    store_draft(recording, "please turn on the living room light")
    assert Task.objects.filter(recording=recording).exists()
    assert recording.normalised_file.name in bucket_keys(s3_server, s3_storage)
    audio_api = f"/api/recordings/{recording.pk}/audio/"
    store_requests: list = []

    def from_store(request) -> None:
        if request.url.startswith(s3_server.endpoint_url):
            store_requests.append(request)

    page.on("requestfinished", from_store)

    login_as(UserFactory(role=User.Role.LABELER))
    page.goto("/work/")
    page.wait_for_function("() => document.getElementById('task-title').textContent !== ''")
    page.keyboard.press("Escape")  # play
    page.wait_for_function("() => document.getElementById('audio').currentTime > 0.5")
    page.evaluate("() => { document.getElementById('audio').currentTime = 8; }")  # seek
    page.wait_for_function("() => document.getElementById('audio').currentTime > 8.3")

    assert page.evaluate("() => document.getElementById('audio').duration") > 8
    assert store_requests, "the audio never came from the store"
    for request in store_requests:
        first = request.redirected_from
        assert first is not None and first.url.endswith(audio_api)
        assert first.response().status == 302
        assert "X-Amz-Signature=" in request.url
        assert request.response().status in {200, 206}
    ranged = [r for r in store_requests if "range" in r.all_headers()]
    assert ranged and all(r.response().status == 206 for r in ranged)
    # The same presigned URL answers an explicit range outside the browser too.
    tail = requests.get(store_requests[-1].url, headers={"Range": "bytes=-100"}, timeout=10)
    assert tail.status_code == 206 and len(tail.content) == 100


def test_gain_boost_on_audio_from_s3_is_heard_not_silenced(
    s3_storage: str, s3_server, page, login_as, tmp_path
) -> None:
    """Above 1× the element plays through a Web Audio graph, which outputs zeros for a
    cross-origin element fetched without CORS: the store's rule and crossorigin make it heard."""
    recording = ingested_recording(ConsentRecordFactory().speaker, tmp_path, text=TEN_SECONDS)
    store_draft(recording, "please turn on the living room light")
    login_as(UserFactory(role=User.Role.LABELER))
    page.goto("/work/")
    page.wait_for_function("() => document.getElementById('task-title').textContent !== ''")
    page.keyboard.press("Alt+ArrowUp")
    page.keyboard.press("Alt+ArrowUp")
    assert page.locator("#gain").inner_text() == "2×"
    page.keyboard.press("Escape")  # play
    page.wait_for_function("() => document.getElementById('audio').currentTime > 0.3")

    loudest = page.evaluate(
        """() => new Promise((resolve) => {
            const gain = window.workbenchPlayer.gainNode;
            const analyser = gain.context.createAnalyser();
            gain.connect(analyser);
            const samples = new Float32Array(analyser.fftSize);
            let peak = 0, reads = 0;
            const timer = setInterval(() => {
                analyser.getFloatTimeDomainData(samples);
                for (const value of samples) peak = Math.max(peak, Math.abs(value));
                if (++reads === 40) { clearInterval(timer); resolve(peak); }
            }, 50);
        })"""
    )

    assert loudest > 0.01, "the boosted audio from the store played as silence"
