"""The workbench and review pages in Chromium, on real ingested audio with a Whisper-like draft."""

import json
import wave

import numpy as np
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from labelhub.accounts.models import User
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.services import task_claim_next, task_submit
from labelhub.recordings.peaks import peaks_store
from tests.factories import ConsentRecordFactory, RecordingFactory, RevisionFactory, UserFactory
from tests.labeling.audio import TEN_SECONDS, ingested_recording, store_draft

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def speaker():
    return ConsentRecordFactory().speaker


def clip(speaker, tmp_path, text: str, draft: str):
    recording = ingested_recording(speaker, tmp_path, text=text)
    store_draft(recording, draft)
    return Task.objects.get(recording=recording)


def open_workbench(page, login_as, user) -> None:
    login_as(user)
    page.goto("/work/")
    page.wait_for_function("() => document.getElementById('task-title').textContent !== ''")


def print_timings(page, label: str) -> tuple[dict, float]:
    page.wait_for_function(
        "() => { const t = window.workbenchTimings || {};"
        " return t.peaksDrawn && t.audioCanPlay && t.firstPaint !== undefined; }"
    )
    timings = page.evaluate("() => window.workbenchTimings")
    duration = page.evaluate("() => document.getElementById('audio').duration")
    print(
        f"\nworkbench, {duration:.1f} s clip, {label}: first paint {timings['firstPaint']:.0f} ms,"
        f" audio canplay {timings['audioCanPlay']:.0f} ms, peaks drawn"
        f" {timings['peaksDrawn']:.0f} ms after navigation start"
    )
    return timings, duration


def test_a_labeler_corrects_a_draft_and_submits_with_the_keyboard_only(
    page, login_as, speaker, tmp_path
) -> None:
    first = clip(speaker, tmp_path, TEN_SECONDS, "please turn on the living room light")
    second = clip(speaker, tmp_path, "open the window", "open the widow")
    labeler = UserFactory(role=User.Role.LABELER)

    open_workbench(page, login_as, labeler)
    print_timings(page, "cold (first page of the browser and server)")
    page.goto("/work/")  # the same held task again, as a labeler's browser would load it
    timings, duration = print_timings(page, "warm")
    assert duration > 8  # the ten-second clip, streamed through the Range endpoint
    assert max(timings["peaksDrawn"], timings["audioCanPlay"]) < 5000  # sanity, not a benchmark

    textarea = page.locator("#transcript")
    assert textarea.input_value() == "please turn on the living room light"
    assert page.locator("#words span.low").first.inner_text() == "please"
    assert "Esc" in page.locator(".shortcuts").inner_text()

    page.keyboard.press("Escape")  # play
    page.wait_for_function("() => document.getElementById('audio').currentTime > 0.5")
    page.locator("#words span.current").wait_for()
    page.keyboard.press("Control+Period")  # faster
    assert page.locator("#speed").inner_text() == "1.25×"
    page.keyboard.press("Escape")  # pause
    page.keyboard.press("Control+BracketLeft")  # back 2 s

    page.keyboard.press("End")
    page.keyboard.type("s and set the thermostat")
    page.keyboard.press("Control+Enter")

    page.wait_for_function("() => document.getElementById('transcript').value === 'open the widow'")
    assert page.locator("#task-title").inner_text().startswith(f"Clip {second.recording_id}")
    saved = TranscriptRevision.objects.get(
        recording=first.recording, kind=TranscriptRevision.Kind.LABELER_EDIT
    )
    assert saved.text == "please turn on the living room lights and set the thermostat"
    assert (saved.author, saved.source) == (labeler, "workbench")
    assert saved.work_seconds > 0
    page.wait_for_function("() => document.getElementById('stat-clips').textContent === '1'")


def test_a_stale_save_shows_the_newer_text_and_is_resolved(
    page, login_as, speaker, tmp_path
) -> None:
    task = clip(speaker, tmp_path, "open the window", "open the widow")
    labeler = UserFactory(role=User.Role.LABELER)
    open_workbench(page, login_as, labeler)
    page.locator("#transcript").fill("open the window please")
    newer = RevisionFactory(
        recording=task.recording,
        number=3,
        kind=TranscriptRevision.Kind.REVIEW,
        text="open the window now",
        author=UserFactory(username="pm-yuna"),
    )

    page.keyboard.press("Control+Enter")

    conflict = page.locator("#conflict")
    conflict.wait_for(state="visible")
    assert conflict.locator("#conflict-text").inner_text() == "open the window now"
    assert "pm-yuna" in conflict.inner_text()
    page.locator("#conflict-keep").click()
    page.keyboard.press("Control+Enter")
    page.locator("#empty").wait_for(state="visible")
    saved = TranscriptRevision.objects.get(
        recording=task.recording, kind=TranscriptRevision.Kind.LABELER_EDIT
    )
    assert (saved.text, saved.parent_id) == ("open the window please", newer.pk)


def test_a_submit_made_offline_is_kept_and_sent_when_the_network_returns(
    page, context, login_as, speaker, tmp_path
) -> None:
    task = clip(speaker, tmp_path, "open the window", "open the widow")
    labeler = UserFactory(role=User.Role.LABELER)
    open_workbench(page, login_as, labeler)
    page.locator("#transcript").fill("open the window")

    context.set_offline(True)
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "() => document.getElementById('status').textContent.includes('Offline')"
    )
    stored = page.evaluate("() => localStorage.getItem('labelhub:workbench:outbox')")
    assert "open the window" in stored
    assert not task.recording.revisions.filter(kind="labeler_edit").exists()

    context.set_offline(False)
    page.locator("#empty").wait_for(state="visible", timeout=20_000)
    assert task.recording.revisions.get(kind="labeler_edit").text == "open the window"
    assert page.evaluate("() => localStorage.getItem('labelhub:workbench:outbox')") == "[]"


def test_a_reviewer_returns_a_task_and_the_labeler_sees_the_comment(
    browser, live_server, page, login_as, speaker, tmp_path
) -> None:
    task = clip(speaker, tmp_path, "open the window", "open the widow")
    labeler = UserFactory(role=User.Role.LABELER)
    task_claim_next(labeler=labeler)
    draft = task.recording.revisions.get()
    task_submit(
        task_id=task.pk, labeler=labeler, text="open the windows", base_revision_id=draft.pk
    )
    reviewer = UserFactory(role=User.Role.REVIEWER)

    login_as(reviewer)
    page.goto("/work/review/")
    page.wait_for_function("() => document.getElementById('task-title').textContent !== ''")
    assert page.locator("#diff del").inner_text() == "widow"
    assert page.locator("#diff ins").inner_text() == "windows"
    page.locator("#comment").fill("It is one window, singular.")
    page.keyboard.press("Alt+KeyR")
    page.locator("#empty").wait_for(state="visible")

    labeler_context = browser.new_context(base_url=live_server.url, locale="en-US")
    try:
        session = Client()
        session.force_login(labeler)
        cookie = session.cookies[settings.SESSION_COOKIE_NAME].value
        labeler_context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        labeler_page = labeler_context.new_page()
        labeler_page.goto("/work/")
        comment = labeler_page.locator("#return-comment")
        comment.wait_for(state="visible")
        assert "It is one window, singular." in comment.inner_text()
        assert labeler_page.locator("#transcript").input_value() == "open the windows"
    finally:
        labeler_context.close()
    review = task.recording.revisions.get(kind="review")
    assert (review.decision, review.author, review.source) == ("returned", reviewer, "workbench")


def test_a_labeler_skips_with_a_reason_and_the_pm_sees_it_in_triage(
    page, login_as, speaker, tmp_path
) -> None:
    task = clip(speaker, tmp_path, "open the window", "open the widow")
    labeler = UserFactory(role=User.Role.LABELER)
    open_workbench(page, login_as, labeler)

    page.keyboard.press("Alt+KeyS")
    page.locator("#skip-reason").select_option("noise")
    page.locator("#skip-confirm").click()
    page.locator("#empty").wait_for(state="visible")

    task.refresh_from_db()
    assert (task.status, task.skip_reason) == (Task.Status.SKIPPED, "noise")


def test_a_thirty_minute_clip_opens_as_fast_as_a_short_one(page, login_as, media_root) -> None:
    seconds = 30 * 60
    time_axis = np.arange(seconds * 16000) / 16000
    # A 440 Hz tone whose loudness swells every few seconds, so the waveform has a shape.
    samples = np.sin(2 * np.pi * 440 * time_axis) * (0.2 + 0.7 * np.abs(np.sin(time_axis / 3)))
    path = media_root / "normalised" / "long.wav"
    path.parent.mkdir(parents=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((samples * 32000).astype("<i2").tobytes())
    recording = RecordingFactory(duration_seconds=seconds)
    recording.normalised_file.name = "normalised/long.wav"
    recording.save()
    peaks_store(recording=recording)
    store_draft(recording, "a very long recording of a tone")
    labeler = UserFactory(role=User.Role.LABELER)

    open_workbench(page, login_as, labeler)
    print_timings(page, "cold")
    page.goto("/work/")
    timings, duration = print_timings(page, "warm, 30-minute clip")

    assert duration == pytest.approx(seconds, abs=1)
    assert max(timings["peaksDrawn"], timings["audioCanPlay"]) < 5000  # sanity, not a benchmark
    page.locator("#waveform").click(position={"x": 400, "y": 50})  # click-to-seek far into it
    assert page.evaluate("() => document.getElementById('audio').currentTime") > 60


def test_a_retry_answer_is_sent_once_more_and_the_labeler_never_sees_it(
    page, login_as, speaker, tmp_path
) -> None:
    # The server's 503 "retry" (a deadlock rolled back, tests/test_api_errors.py) is answered
    # here by the browser's network layer for the first claim only; the second reaches Django.
    task = clip(speaker, tmp_path, "open the window", "open the widow")
    labeler = UserFactory(role=User.Role.LABELER)
    answered: list[str] = []

    def busy_once(route) -> None:
        if answered:
            answered.append("server")
            route.continue_()
            return
        answered.append("retry")
        body = {"error": {"code": "retry", "message": "Another change got there first."}}
        route.fulfill(
            status=503, headers={"Retry-After": "1"}, content_type="application/json",
            body=json.dumps(body),
        )  # fmt: skip

    page.route(f"**{reverse('task-claim')}", busy_once)
    open_workbench(page, login_as, labeler)

    assert answered == ["retry", "server"]
    assert page.locator("#task-title").inner_text().startswith(f"Clip {task.recording_id}")
    assert "Another change" not in page.locator("body").inner_text()
