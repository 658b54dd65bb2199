"""Long-form sources become segments with drafts and tasks: whole, once, or not at all."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from asr import AsrError
from asr.base import Segment, Transcription, Word
from asr.longform import SegmentDraft, SourceDraft
from labelhub.labeling import segmentation
from labelhub.labeling.draft_common import DraftInProgress
from labelhub.labeling.drafts import recording_pretranscribe
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from tests.labeling.sources import ready_source
from tests.workers.longform_audio import long_source, write_wav

pytestmark = pytest.mark.django_db

SEGMENT_JSON_KEYS = {"start", "end", "text", "avg_logprob", "no_speech_prob", "compression_ratio"}


@pytest.fixture(scope="module")
def two_minutes(tmp_path_factory) -> tuple[Path, list]:
    path = tmp_path_factory.mktemp("longform") / "two_minutes.wav"
    return path, long_source(path, seconds=120.0, seed=3)


def silence_wav(path: Path, seconds: float) -> Path:
    import numpy as np

    return write_wav(path, np.zeros(int(seconds * 16000), dtype=np.int16))


@pytest.mark.slow
def test_a_two_minute_source_is_cut_drafted_and_queued(two_minutes, monkeypatch) -> None:
    wav, spoken = two_minutes
    source = ready_source(wav)
    seen = []
    progress = segmentation._progress
    monkeypatch.setattr(
        segmentation,
        "_progress",
        lambda rid, f: (progress(rid, f), seen.append(Recording.objects.get(pk=rid).asr_progress)),
    )

    drafts = recording_pretranscribe(recording_id=source.pk)

    source.refresh_from_db()
    assert source.asr_status == Recording.AsrStatus.DONE and source.asr_progress == 100
    assert seen == sorted(seen) and len(seen) >= 3 and seen[-1] >= 90, seen
    assert not source.revisions.exists() and not Task.objects.filter(recording=source).exists()
    segments = list(source.segments.order_by("start_seconds"))
    assert len(segments) == len(drafts) >= 8
    for segment, draft in zip(segments, drafts, strict=True):
        assert segment.kind == Recording.Kind.SEGMENT and segment.status == Recording.Status.READY
        assert segment.asr_status == Recording.AsrStatus.DONE
        assert 2.0 <= segment.duration_seconds <= 15.0, segment.duration_seconds
        assert draft.recording_id == segment.pk and draft.text.strip(), draft.flags
        assert draft.engine == "faster-whisper" and draft.model_name == "tiny.en"
        assert 0 < draft.confidence <= 1 and segment.task.priority == round(
            (1 - draft.confidence) * 1000
        )
        for part in draft.segments:
            assert part.keys() >= SEGMENT_JSON_KEYS
            for word in part["words"]:  # relative to the segment, inside it
                assert 0 <= word["start"] <= word["end"] <= segment.duration_seconds + 1e-3
    # No cut inside a word: no segment edge falls strictly inside any draft word.
    words = [
        (s.start_seconds + w["start"], s.start_seconds + w["end"])
        for s, d in zip(segments, drafts, strict=True)
        for part in d.segments
        for w in part["words"]
    ]
    edges = [edge for s in segments for edge in (s.start_seconds, s.end_seconds)]
    for start, end in words:
        assert not any(start + 1e-3 < edge < end - 1e-3 for edge in edges), (start, end)
    for before, after in zip(segments, segments[1:], strict=False):
        assert before.end_seconds <= after.start_seconds
    # Nobody's speech is dropped: every sentence said overlaps a segment for most of its length.
    for said in spoken:
        covered = sum(
            max(0.0, min(said.end, s.end_seconds) - max(said.start, s.start_seconds))
            for s in segments
        )
        assert covered >= 0.9 * (said.end - said.start), said

    assert recording_pretranscribe(recording_id=source.pk) == []  # segmented once only
    assert source.segments.count() == len(segments)


@pytest.mark.slow
def test_a_source_without_speech_is_rejected_and_keeps_only_its_raw_file(
    tmp_path, django_capture_on_commit_callbacks
) -> None:
    source = ready_source(silence_wav(tmp_path / "silence.wav", 45.0))
    derived = [source.normalised_file.name, source.peaks_file.name]

    with django_capture_on_commit_callbacks(execute=True):
        assert recording_pretranscribe(recording_id=source.pk) == []

    source.refresh_from_db()
    assert source.status == Recording.Status.REJECTED and source.rejection_code == "no_speech"
    assert "no speech" in source.rejection_reason and "45 s" in source.rejection_reason
    assert source.asr_status == Recording.AsrStatus.DONE and not source.segments.exists()
    assert not any(default_storage.exists(name) for name in derived)
    assert default_storage.exists(source.raw_file.name)


@pytest.mark.slow
def test_a_source_claimed_by_another_worker_is_left_to_it(tmp_path) -> None:
    source = ready_source(silence_wav(tmp_path / "s.wav", 5.0))
    Recording.objects.filter(pk=source.pk).update(
        asr_status=Recording.AsrStatus.RUNNING, asr_claimed_at=timezone.now()
    )
    with pytest.raises(DraftInProgress):
        recording_pretranscribe(recording_id=source.pk)
    assert Recording.objects.get(pk=source.pk).status == Recording.Status.READY


def test_a_model_that_cannot_be_loaded_fails_the_source_with_the_reason(tmp_path) -> None:
    source = ready_source(silence_wav(tmp_path / "s.wav", 5.0))
    with pytest.raises(AsrError):
        recording_pretranscribe(recording_id=source.pk, model="no-such-model")
    source.refresh_from_db()
    assert source.asr_status == Recording.AsrStatus.FAILED and "no-such-model" in source.asr_error
    assert not source.segments.exists()


def fake_draft(spans: list[tuple[float, float]]) -> SourceDraft:
    segments = []
    for k, (start, end) in enumerate(spans):
        word = Word(0.25, end - start - 0.25, f" word{k}", 0.9)
        part = Segment(0.25, end - start - 0.25, word.text, -0.3 - k / 10, 0.01, (word,))
        result = Transcription(
            text=word.text.strip(),
            language="en",
            language_probability=1.0,
            duration=end - start,
            segments=(part,),
            engine="faster-whisper",
            model="tiny.en",
            confidence=0.7 - k / 10,
        )
        segments.append(SegmentDraft(start, end, result))
    return SourceDraft(60.0, "en", 1.0, 30.0, 2, tuple(segments), 4.2)


def test_segments_drafts_and_tasks_are_stored_together(tmp_path) -> None:
    source = ready_source(silence_wav(tmp_path / "s.wav", 60.0))
    Recording.objects.filter(pk=source.pk).update(asr_status=Recording.AsrStatus.RUNNING)

    drafts = segmentation.segments_store(
        source_id=source.pk, draft=fake_draft([(1.0, 9.5), (10.0, 21.25)])
    )

    first, second = source.segments.order_by("start_seconds")
    assert (first.start_seconds, first.end_seconds, first.duration_seconds) == (1.0, 9.5, 8.5)
    assert first.speaker_id == source.speaker_id and first.campaign_id == source.campaign_id
    assert [d.recording_id for d in drafts] == [first.pk, second.pk]
    assert drafts[0].text == "word0" and drafts[0].number == 1
    assert drafts[0].kind == TranscriptRevision.Kind.ASR_DRAFT
    assert drafts[0].segments[0]["words"][0] == {
        "start": 0.25,
        "end": 8.25,
        "text": " word0",
        "probability": 0.9,
    }
    assert second.task.priority > first.task.priority  # less sure: labeled first
    assert {first.asr_status, second.asr_status} == {Recording.AsrStatus.DONE}
    source.refresh_from_db()
    assert (source.asr_status, source.asr_progress) == (Recording.AsrStatus.DONE, 100)
    # Stored once: a second run of the same draft adds nothing.
    assert segmentation.segments_store(source_id=source.pk, draft=fake_draft([(1.0, 9.5)])) == []
    assert source.segments.count() == 2


def test_a_crash_while_storing_leaves_no_half_set(tmp_path, monkeypatch) -> None:
    source = ready_source(silence_wav(tmp_path / "s.wav", 60.0))

    def crash(*_args, **_kwargs):
        raise RuntimeError("worker lost its database")

    monkeypatch.setattr(Task.objects, "bulk_create", crash)
    with pytest.raises(RuntimeError):
        segmentation.segments_store(source_id=source.pk, draft=fake_draft([(1.0, 9.5)]))
    assert not source.segments.exists() and not TranscriptRevision.objects.exists()
    monkeypatch.undo()

    assert len(segmentation.segments_store(source_id=source.pk, draft=fake_draft([(1.0, 9.5)])))
    assert source.segments.count() == 1


def test_a_segment_is_never_drafted_on_its_own(tmp_path) -> None:
    source = ready_source(silence_wav(tmp_path / "s.wav", 60.0))
    segmentation.segments_store(source_id=source.pk, draft=fake_draft([(1.0, 9.5)]))
    segment = source.segments.get()

    assert recording_pretranscribe(recording_id=segment.pk, model="no-such-model") == []
    assert segment.revisions.count() == 1


def test_a_source_gets_a_time_limit_for_its_length(tmp_path, monkeypatch, settings) -> None:
    from labelhub.dispatch import app
    from labelhub.recordings.services import LONG_FORM_TIME_FACTOR, transcribe_enqueue

    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, **kw: sent.append({"name": name, **kw}))
    source = ready_source(silence_wav(tmp_path / "s.wav", 5.0))
    Recording.objects.filter(pk=source.pk).update(duration_seconds=3600.0)
    source.refresh_from_db()

    transcribe_enqueue(recording=source)

    per_second = settings.ASR_TIME_LIMIT_PER_AUDIO_SECOND * LONG_FORM_TIME_FACTOR
    assert sent[0]["soft_time_limit"] == settings.ASR_TIME_LIMIT_BASE + 3600 * per_second
    assert (sent[0]["name"], sent[0]["args"]) == (
        "workers.tasks.asr.recording_transcribe",
        (source.pk,),
    )


@pytest.mark.slow
def test_the_asr_task_rejects_a_noise_only_source_and_goes_on(tmp_path) -> None:
    import numpy as np

    from workers.tasks.asr import recording_transcribe_task

    hiss = np.random.default_rng(1).normal(0, 32768 * 10 ** (-25 / 20), 16000 * 60)
    noise = ready_source(write_wav(tmp_path / "noise.wav", np.clip(hiss, -32768, 32767)))

    assert recording_transcribe_task.apply(args=[noise.pk]).get() == 0

    noise.refresh_from_db()
    assert (noise.status, noise.rejection_code) == (Recording.Status.REJECTED, "no_speech")
    assert not Recording.objects.filter(kind=Recording.Kind.SEGMENT).exists()
