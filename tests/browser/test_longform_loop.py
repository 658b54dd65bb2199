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
from labelhub.text_metrics import wer
from tests.e2e.conftest import celery_worker_process, start_worker  # noqa: F401 - fixtures
from tests.factories import UserFactory
from tests.longform_audio import GeneratedSource, make_source
from tests.longform_setup import Api, longform_campaign, wait_for
from tests.releases.helpers import Unpacked

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("celery_worker_process")]

RATE = 16000  # the normalised source's rate, which every cut is taken from
SEGMENT_TIMEOUT_S = 420
EXTRA_SUBMITS = 2  # segments submitted with their draft as is, beside the two edited ones
# The workbench's state, read as a labeler would see it: the active segment in the list, and how
# many seconds the waveform shows.
ACTIVE_JS = "Number(document.querySelector('#segment-list li.active')?.dataset.segment)"
VIEW_JS = "(() => { const v = window.workbenchPlayer.visibleWindow(); return v.end - v.start; })()"


def test_a_twenty_minute_video_is_segmented_labeled_reviewed_and_released_sample_exactly(
    browser, live_server, page, login_as, media_root: Path, tmp_path: Path
) -> None:
    campaign, speakers = longform_campaign(speakers=4)
    pm = Api(live_server.url, campaign.created_by)

    # 1. Upload; the worker ingests and cuts the source into drafted segments.
    generated = make_source(tmp_path / "talk-show.mp4", minutes=20)
    uploaded = pm.upload(generated.path, speakers[0])
    assert uploaded.status_code == 201, uploaded.text
    body = pm.finished_source(uploaded.json()["id"], timeout=SEGMENT_TIMEOUT_S)
    assert (body["status"], body["asr_status"]) == ("ready", "done"), body
    source = Recording.objects.get(pk=body["id"])
    assert source.kind == Recording.Kind.SOURCE and source.asr_progress == 100
    assert abs(source.duration_seconds - generated.seconds) < 0.1
    check_auto_segments(source, generated)

    # 2. The labeler, keyboard only; 3. the reviewer approves what was submitted.
    labeler = UserFactory(role=User.Role.LABELER)
    login_as(labeler)
    left, right, submitted = label_with_the_keyboard(page, labeler, source)
    review_all(browser, live_server, UserFactory(role=User.Role.REVIEWER), len(submitted))

    # 4. The release holds those segments, cut sample for sample, the edits included.
    bundle, item_count = built_release(pm, campaign)
    released = {str(r.uid): r for r in Recording.objects.filter(pk__in=submitted)}
    assert item_count == len(released)
    samples = normalised_samples(source)
    check_audiofolder(bundle, released, samples)
    check_kaldi(bundle, released, source, samples)
    spans = [(r.start_seconds, r.end_seconds) for r in released.values()]
    assert has_span(spans, left.start_seconds, left.start_seconds + 2)  # the split's left half
    assert has_span(spans, left.start_seconds + 2, left.start_seconds + 4)  # the moved boundary


def label_with_the_keyboard(page, labeler: User, source: Recording):
    """Zoom, split, speaker, boundary, text, submit: every step a shortcut. Returns the two
    edited segments and the ids of all the labeler submitted."""
    page.goto("/work/")
    page.locator("#segment-panel").wait_for(state="visible")
    page.wait_for_function(f"() => {ACTIVE_JS} > 0")
    assert "Alt+X" in page.locator(".shortcuts").inner_text()
    target = long_held_segment(labeler)
    select_segment(page, target)
    start = target.start_seconds

    before = page.evaluate(f"() => {VIEW_JS}")
    page.keyboard.press("Alt+Equal")  # zoom in, twice
    page.keyboard.press("Alt+Equal")
    page.wait_for_function(f"() => {VIEW_JS} < {before} * 0.6")

    page.keyboard.press("Control+BracketRight")  # the cursor 2 s into the segment
    page.keyboard.press("Alt+KeyX")  # split there
    right = wait_for(
        lambda: {"new": live_segments(source).filter(start_seconds__range=near(start + 2)).first()},
        lambda found: found["new"] is not None,
        timeout=15,
    )["new"]
    assert Recording.objects.get(pk=target.pk).end_seconds == pytest.approx(start + 2, abs=0.001)

    options = page.locator("#segment-speaker option").evaluate_all("(os) => os.map((o) => o.value)")
    index, speaker_id = next(
        (i, int(v)) for i, v in enumerate(options) if int(v) != target.speaker_id
    )
    page.keyboard.press(f"Alt+Digit{index + 1}")  # another speaker of the campaign's list
    wait_for(
        lambda: {"speaker": Recording.objects.get(pk=target.pk).speaker_id},
        lambda found: found["speaker"] == speaker_id,
        timeout=15,
    )
    type_and_submit(page, "The first part, corrected by hand.")
    page.wait_for_function(f"() => {ACTIVE_JS} === {right.pk}")  # the right half, held next

    page.keyboard.press("Control+BracketRight")  # 2 s into the right half
    page.keyboard.press("Alt+BracketRight")  # its end boundary moves to the cursor
    wait_for(
        lambda: {"end": Recording.objects.get(pk=right.pk).end_seconds},
        lambda found: found["end"] == pytest.approx(start + 4, abs=0.001),
        timeout=15,
    )
    type_and_submit(page, "And the second part.")
    for count in range(2, 2 + EXTRA_SUBMITS):
        wait_for_submitted(labeler, count)
        page.wait_for_function(f"() => ![{target.pk}, {right.pk}].includes({ACTIVE_JS})")
        active = page.evaluate(f"() => {ACTIVE_JS}")
        page.keyboard.press("Control+Enter")  # the next held segment, its draft kept
        page.wait_for_function(f"() => {ACTIVE_JS} !== {active}")
    texts = {e.recording_id: e.text for e in wait_for_submitted(labeler, 2 + EXTRA_SUBMITS)}
    assert texts[target.pk] == "The first part, corrected by hand."
    assert texts[right.pk] == "And the second part."
    return Recording.objects.get(pk=target.pk), Recording.objects.get(pk=right.pk), list(texts)


def type_and_submit(page, text: str) -> None:
    page.wait_for_function("() => document.activeElement.id === 'transcript'")
    page.keyboard.press("Control+KeyA")
    page.keyboard.type(text)
    page.keyboard.press("Control+Enter")


def review_all(browser, live_server, reviewer: User, count: int) -> None:
    """The reviewer approves each submitted segment with Ctrl+Enter on the review page."""
    review = reviewer_page(browser, live_server, reviewer)
    try:
        review.goto("/work/review/")
        shown = ""
        for done in range(1, count + 1):
            # The next task is on screen (not the one just approved) and its audio is loaded.
            review.wait_for_function(
                "(old) => { const title = document.getElementById('task-title').textContent;"
                " return title && title !== old && window.reviewReady === true; }",
                arg=shown,
            )
            shown = review.locator("#task-title").inner_text()
            review.keyboard.press("Control+Enter")  # approve
            wait_for(
                lambda: {"n": TranscriptRevision.objects.filter(kind="review").count()},
                lambda found, done=done: found["n"] == done,
                timeout=15,
            )
        review.locator("#empty").wait_for(state="visible")
    finally:
        review.context.close()


def built_release(pm: Api, campaign) -> tuple[Unpacked, int]:
    created = pm.post("/api/releases/", json={"campaign": campaign.pk})
    assert created.status_code == 201, created.text
    release = wait_for(
        lambda: pm.get(f"/api/releases/{created.json()['id']}/").json(),
        lambda r: r["status"] != "building",
        timeout=180,
    )
    assert release["status"] == "published", release
    archive = pm.get(f"/api/releases/{release['id']}/download/")
    assert archive.status_code == 200
    return Unpacked(archive.content), release["item_count"]


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
    assert covered > 0.85 * speech, (covered, speech)
    assert Task.objects.filter(recording__in=spans).count() == len(spans)
    drafts = TranscriptRevision.objects.filter(recording__in=spans, kind="asr_draft")
    by_segment = {d.recording_id: d.text for d in drafts}
    hypothesis = " ".join(by_segment.get(s.pk, "") for s in spans)
    reference = " ".join(u.text for u in generated.utterances)
    error = wer(reference, hypothesis)
    print(f"draft WER over the whole source: {error:.3f}")
    assert error < 0.35, error


# -- the labeler's page ------------------------------------------------------------------------


def long_held_segment(labeler: User) -> Recording:
    """The first segment of the labeler's run long enough to split 2 s in and trim 2 s later."""
    held = Recording.objects.filter(task__assignee=labeler, kind=Recording.Kind.SEGMENT)
    for segment in held.order_by("start_seconds"):
        if segment.end_seconds - segment.start_seconds >= 6.0:
            return segment
    pytest.fail("no held segment of 6 s or more to split: the run is " + str(list(held)))


def select_segment(page, segment: Recording) -> None:
    """Alt+N / Alt+P until `segment` is the active one (the cursor goes to its start)."""
    for _ in range(40):
        active = page.evaluate(f"() => {ACTIVE_JS}")
        if active == segment.pk:
            return
        here = Recording.objects.get(pk=active).start_seconds
        page.keyboard.press("Alt+KeyN" if here < segment.start_seconds else "Alt+KeyP")
        page.wait_for_function(f"() => {ACTIVE_JS} !== {active}")
    pytest.fail(f"could not reach segment {segment.pk} with Alt+N/Alt+P")


def has_span(spans: list[tuple[float, float]], start: float, end: float) -> bool:
    return any(abs(a - start) < 0.0015 and abs(b - end) < 0.0015 for a, b in spans)


def near(seconds: float) -> tuple[float, float]:
    return seconds - 0.0015, seconds + 0.0015


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
    names = bundle.namelist()
    folders = [n.removesuffix("/segments") for n in names if re.fullmatch(r"kaldi/.+/segments", n)]
    assert folders, "no Kaldi data directory has a segments file"
    for folder in folders:
        wav_scp = dict(line.split(" ", 1) for line in lines_of(bundle, f"{folder}/wav.scp"))
        assert list(wav_scp) == [str(source.uid)], "wav.scp lists the source, once"
        check_masked_source(
            wav_samples(bundle.read(wav_scp[str(source.uid)].strip())), released, samples
        )
        durations = {}
        if f"{folder}/utt2dur" in names:
            durations = dict(line.split() for line in lines_of(bundle, f"{folder}/utt2dur"))
        for line in lines_of(bundle, f"{folder}/segments"):
            utt, recording_id, start, end = line.split()
            segment = next(s for uid, s in released.items() if utt.endswith(f"-{uid}"))
            assert recording_id == str(source.uid)
            assert float(start) == pytest.approx(segment.start_seconds, abs=0.0005)
            assert float(end) == pytest.approx(segment.end_seconds, abs=0.0005)
            assert 0 <= float(start) < float(end) <= len(samples) / RATE
            if durations:  # utt2dur, when written, is each span's length
                assert float(durations[utt]) == pytest.approx(float(end) - float(start), abs=0.001)
            seen.add(segment.pk)
    assert seen == {s.pk for s in released.values()}


def check_masked_source(whole: np.ndarray, released: dict, samples: np.ndarray) -> None:
    """The shipped source is the normalised one inside the released spans, silence elsewhere:
    speech nobody approved never leaves."""
    assert len(whole) == len(samples), "the source ships whole, sample for sample"
    inside = np.zeros(len(samples), dtype=bool)
    for segment in released.values():
        first, stop = segment_frames(
            start_seconds=segment.start_seconds, end_seconds=segment.end_seconds, sample_rate=RATE
        )
        inside[first:stop] = True
    assert np.array_equal(whole[inside], samples[inside])
    assert not whole[~inside].any()
    assert samples[~inside].any()  # there was audio to mask


def lines_of(bundle: Unpacked, name: str) -> list[str]:
    return bundle.read(name).decode().splitlines()
