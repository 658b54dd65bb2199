"""Issue 12's must-show: a 20-minute video source from upload to a release, with real parts.

A generated MP4 (four espeak-ng voices, pauses, noise; tests/longform_audio.py) is uploaded
through the API, ingested and auto-segmented by a real Celery worker with tiny.en. In Chromium a
labeler, with the keyboard only, zooms in, splits a segment, labels its speaker, moves a boundary,
types text and submits; a reviewer approves on the review page; the PM builds a release. The
Hugging Face cuts must equal the normalised source sample for sample, and Kaldi's `segments`
must agree with the spans and the source's duration, the edited boundaries included.

Slow (about three minutes on two cores: most of it Whisper on 20 minutes of speech), so it is
one test on one generated file, marked e2e and slow like the other worker-driven tests.
"""

import io
import json
import re
import wave
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.test import Client

from labelhub.accounts.models import User
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.recordings.segments import segment_frames
from tests.e2e.conftest import celery_worker_process, start_worker  # noqa: F401 - fixtures
from tests.factories import UserFactory
from tests.longform_audio import GeneratedSource, make_source
from tests.longform_setup import Api, longform_campaign, source_finished, wait_for
from tests.releases.helpers import Unpacked
from workers.asr.wer import wer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("celery_worker_process")]

RATE = 16000  # the normalised source's rate, which every cut is taken from
SEGMENT_TIMEOUT_S = 420
EXTRA_SUBMITS = 2  # segments submitted with their draft as is, beside the two edited ones


def test_a_twenty_minute_video_is_segmented_labeled_reviewed_and_released_sample_exactly(
    browser, live_server, page, login_as, media_root: Path, tmp_path: Path
) -> None:
    campaign, speakers = longform_campaign(speakers=4)
    pm = Api(live_server.url, campaign.created_by)
    labeler = UserFactory(role=User.Role.LABELER)
    reviewer = UserFactory(role=User.Role.REVIEWER)

    # 1. Upload and auto-segmentation by the worker.
    generated = make_source(tmp_path / "talk-show.mp4", minutes=20)
    uploaded = pm.upload(generated.path, speakers[0])
    assert uploaded.status_code == 201, uploaded.text
    source_id = uploaded.json()["id"]
    body = wait_for(
        lambda: pm.get(f"/api/recordings/{source_id}/").json(),
        source_finished,
        timeout=SEGMENT_TIMEOUT_S,
    )
    assert (body["status"], body["asr_status"]) == ("ready", "done"), body
    source = Recording.objects.get(pk=source_id)
    assert source.kind == Recording.Kind.SOURCE and source.asr_progress == 100
    assert abs(source.duration_seconds - generated.seconds) < 0.1
    check_auto_segments(source, generated)

    # 2. The labeler, keyboard only.
    login_as(labeler)
    page.goto("/work/")
    page.locator("#segment-panel").wait_for(state="visible")
    page.wait_for_function("() => document.getElementById('segment-title').textContent !== ''")
    assert "Alt+X" in page.locator(".shortcuts").inner_text()
    target = long_held_segment(labeler)
    select_segment(page, target)
    start = target.start_seconds

    before = view_seconds(page)
    page.keyboard.press("Alt+Equal")  # zoom in, twice
    page.keyboard.press("Alt+Equal")
    page.wait_for_function(f"() => {VIEW_JS} < {before} * 0.6")

    page.keyboard.press("Control+BracketRight")  # the cursor 2 s into the segment
    page.keyboard.press("Alt+KeyX")  # split there
    right = wait_for(
        lambda: {
            "segment": live_segments(source).filter(start_seconds=round(start + 2, 3)).first()
        },
        lambda found: found["segment"] is not None,
        timeout=15,
    )["segment"]
    left_end = Recording.objects.get(pk=target.pk).end_seconds
    assert left_end == pytest.approx(start + 2, abs=0.001)

    speaker_id = int(page.locator("#segment-speaker option").nth(1).get_attribute("value"))
    page.keyboard.press("Alt+Digit2")  # the second speaker of the campaign's list
    wait_for(
        lambda: {"speaker": Recording.objects.get(pk=target.pk).speaker_id},
        lambda found: found["speaker"] == speaker_id,
        timeout=15,
    )
    page.wait_for_function("() => document.activeElement.id === 'transcript'")
    page.keyboard.press("Control+KeyA")
    page.keyboard.type("The first part, corrected by hand.")
    page.keyboard.press("Control+Enter")  # saved; the right half (held next) comes up
    page.wait_for_function(
        f"() => document.getElementById('segment-title').textContent.includes('{start + 2:.2f}')"
    )

    page.keyboard.press("Control+BracketRight")  # 2 s into the right half
    page.keyboard.press("Alt+BracketRight")  # its end boundary moves to the cursor
    wait_for(
        lambda: {"end": Recording.objects.get(pk=right.pk).end_seconds},
        lambda found: found["end"] == pytest.approx(start + 4, abs=0.001),
        timeout=15,
    )
    page.wait_for_function("() => document.activeElement.id === 'transcript'")
    page.keyboard.press("Control+KeyA")
    page.keyboard.type("And the second part.")
    page.keyboard.press("Control+Enter")
    for count in range(3, 3 + EXTRA_SUBMITS):
        wait_for_submitted(labeler, count - 1)
        page.keyboard.press("Control+Enter")  # the next held segment, its draft kept
    edited = wait_for_submitted(labeler, 2 + EXTRA_SUBMITS)
    texts = {e.recording_id: e.text for e in edited}
    assert texts[target.pk] == "The first part, corrected by hand."
    assert texts[right.pk] == "And the second part."

    # 3. The reviewer approves each submitted segment on the review page.
    review = reviewer_page(browser, live_server, reviewer)
    try:
        review.goto("/work/review/")
        for count in range(1, len(edited) + 1):
            review.wait_for_function(
                "() => document.getElementById('task-title').textContent !== ''"
            )
            review.keyboard.press("Control+Enter")  # approve
            wait_for(
                lambda: {"n": TranscriptRevision.objects.filter(kind="review").count()},
                lambda found, count=count: found["n"] == count,
                timeout=15,
            )
        review.locator("#empty").wait_for(state="visible")
    finally:
        review.context.close()

    # 4. The release, checked against the source.
    release = pm.post("/api/releases/", json={"campaign": campaign.pk})
    assert release.status_code == 201, release.text
    release = wait_for(
        lambda: pm.get(f"/api/releases/{release.json()['id']}/").json(),
        lambda r: r["status"] != "building",
        timeout=180,
    )
    assert release["status"] == "published", release
    archive = pm.get(f"/api/releases/{release['id']}/download/")
    assert archive.status_code == 200
    bundle = Unpacked(archive.content)
    released = {str(r.uid): r for r in Recording.objects.filter(pk__in=texts)}
    assert release["item_count"] == len(released)
    samples = normalised_samples(source)
    check_audiofolder(bundle, released, samples)
    check_kaldi(bundle, released, source, samples)
    spans = {(r.start_seconds, r.end_seconds) for r in released.values()}
    assert (round(start, 3), round(start + 2, 3)) in spans  # the split's left half
    assert (round(start + 2, 3), round(start + 4, 3)) in spans  # the moved boundary


# -- the auto-segmentation ---------------------------------------------------------------------


def live_segments(source: Recording):
    return Recording.objects.filter(source=source, kind=Recording.Kind.SEGMENT).exclude(
        status=Recording.Status.REMOVED
    )


def check_auto_segments(source: Recording, generated: GeneratedSource) -> None:
    spans = list(live_segments(source).order_by("start_seconds"))
    lengths = [s.end_seconds - s.start_seconds for s in spans]
    print(
        f"\n{len(spans)} segments of {source.duration_seconds:.0f} s: "
        f"{min(lengths):.2f}-{max(lengths):.2f} s, median {sorted(lengths)[len(lengths) // 2]:.2f}"
    )
    assert all(2.0 <= length <= 15.0 for length in lengths), sorted(lengths)
    assert all(a.end_seconds <= b.start_seconds for a, b in zip(spans, spans[1:], strict=False))
    assert spans[0].start_seconds >= 0 and spans[-1].end_seconds <= source.duration_seconds
    speech = sum(u.end - u.start for u in generated.utterances)
    covered = sum(
        max(0.0, min(s.end_seconds, u.end) - max(s.start_seconds, u.start))
        for u in generated.utterances
        for s in spans
    )
    assert covered > 0.9 * speech, (covered, speech)
    assert Task.objects.filter(recording__in=spans).count() == len(spans)
    drafts = TranscriptRevision.objects.filter(recording__in=spans, kind="asr_draft")
    by_segment = {d.recording_id: d.text for d in drafts}
    hypothesis = " ".join(by_segment.get(s.pk, "") for s in spans)
    reference = " ".join(u.text for u in generated.utterances)
    error = wer(reference, hypothesis)
    print(f"draft WER over the whole source: {error:.3f}")
    assert error < 0.35, error


# -- the labeler's page ------------------------------------------------------------------------

VIEW_JS = "(() => { const v = window.workbenchPlayer.visibleWindow(); return v.end - v.start; })()"


def view_seconds(page) -> float:
    return page.evaluate(f"() => {VIEW_JS}")


def long_held_segment(labeler: User) -> Recording:
    """The first segment of the labeler's run long enough to split 2 s in and trim 2 s later."""
    held = Recording.objects.filter(task__assignee=labeler, kind=Recording.Kind.SEGMENT)
    for segment in held.order_by("start_seconds"):
        if segment.end_seconds - segment.start_seconds >= 6.0:
            return segment
    pytest.fail("no held segment of 6 s or more to split: the run is " + str(list(held)))


def select_segment(page, segment: Recording) -> None:
    """Alt+N / Alt+P until the segment panel shows `segment` (the cursor goes to its start)."""
    title = page.locator("#segment-title")
    wanted = f"{segment.start_seconds:.2f}–"
    for _ in range(40):
        shown = re.match(r"\D*([\d.]+)–", title.inner_text())
        if title.inner_text().startswith(f"Segment {wanted}"):
            return
        page.keyboard.press("Alt+KeyN" if float(shown[1]) < segment.start_seconds else "Alt+KeyP")
        page.wait_for_function(
            "(old) => document.getElementById('segment-title').textContent !== old",
            arg=title.inner_text(),
        )
    pytest.fail(f"could not reach segment {segment.pk} with Alt+N/Alt+P")


def wait_for_submitted(labeler: User, count: int) -> list[TranscriptRevision]:
    def edits() -> dict:
        rows = TranscriptRevision.objects.filter(author=labeler, kind="labeler_edit")
        return {"rows": list(rows)}

    return wait_for(edits, lambda found: len(found["rows"]) >= count, timeout=20)["rows"]


def reviewer_page(browser, live_server, reviewer: User):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    session = Client()
    session.force_login(reviewer)
    cookie = session.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return context.new_page()


# -- the release -------------------------------------------------------------------------------


def normalised_samples(source: Recording) -> np.ndarray:
    with source.normalised_file.open("rb") as handle, wave.open(handle) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (RATE, 1, 2)
        return np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")


def wav_samples(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (RATE, 1, 2)
        return np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")


def check_audiofolder(bundle: Unpacked, released: dict, samples: np.ndarray) -> None:
    """Each Hugging Face cut is the source's [first, stop) samples, by segment_frames."""
    seen = set()
    for name in bundle.namelist():
        if not name.endswith("/metadata.jsonl") or name.count("/") != 1:
            continue
        split = name.split("/")[0]
        for line in bundle.read(name).decode().splitlines():
            row = json.loads(line)
            segment = released[row["item_id"]]
            first, stop = segment_frames(
                start_seconds=segment.start_seconds,
                end_seconds=segment.end_seconds,
                sample_rate=RATE,
            )
            cut = wav_samples(bundle.read(f"{split}/{row['file_name']}"))
            assert np.array_equal(cut, samples[first:stop]), (row, len(cut), stop - first)
            assert row["duration"] == pytest.approx((stop - first) / RATE, abs=0.001)
            seen.add(segment.pk)
    assert seen == {s.pk for s in released.values()}


def check_kaldi(bundle: Unpacked, released: dict, source: Recording, samples: np.ndarray) -> None:
    """`segments` names each span of the whole source; wav.scp lists the source once."""
    seen = set()
    folders = sorted({n.rsplit("/", 1)[0] for n in bundle.namelist() if n.startswith("kaldi/")})
    for folder in folders:
        lines = lines_of(bundle, f"{folder}/segments")
        wav_scp = dict(line.split(" ", 1) for line in lines_of(bundle, f"{folder}/wav.scp"))
        durations = dict(line.split() for line in lines_of(bundle, f"{folder}/utt2dur"))
        for line in lines:
            utt, recording_id, start, end = line.split()
            segment = next(s for uid, s in released.items() if utt.endswith(f"-{uid}"))
            assert float(start) == pytest.approx(segment.start_seconds, abs=0.0005)
            assert float(end) == pytest.approx(segment.end_seconds, abs=0.0005)
            assert float(end) - float(start) == pytest.approx(float(durations[utt]), abs=0.001)
            assert 0 <= float(start) < float(end) <= len(samples) / RATE
            whole = wav_samples(bundle.read(wav_scp[recording_id].strip()))
            assert np.array_equal(whole, samples), "wav.scp must name the whole normalised source"
            assert recording_id == str(source.uid)
            seen.add(segment.pk)
    assert seen == {s.pk for s in released.values()}


def lines_of(bundle: Unpacked, name: str) -> list[str]:
    return bundle.read(name).decode().splitlines()
