"""Long-form sources cut into segments, each a labeling item with its own ASR draft and task.

The ASR worker's draft of a source (drafts.recording_pretranscribe) comes here. The source is
decoded whole (asr.longform: VAD, batched Whisper, cut planning) with its progress and
heartbeat written as batches finish; then every segment, its draft and its task are stored in
one transaction, so a crash leaves nothing half made and a rerun finds a source either without
segments (and segments it) or with all of them (and does nothing). A source without any speech
is rejected instead. The source itself is never labeled: it gets no draft and no task.
"""

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from asr import AsrError, FasterWhisperEngine, get_engine
from asr.cuts import Bounds
from asr.longform import SourceDraft, source_draft
from labelhub.campaigns.models import Campaign
from labelhub.labeling.draft_common import (
    AsrChoice,
    decode_options_for,
    draft_claim,
    draft_fields,
    drafts_mark_failed,
    task_priority,
)
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.services import revision_append
from labelhub.recordings.models import Recording
from labelhub.recordings.segments import segment_new
from labelhub.storage import local_path

logger = logging.getLogger(__name__)

# Only faster-whisper has the batched long-form path; a clip engine set to openai-whisper
# still leaves sources to it.
LONG_FORM_ENGINE = "faster-whisper"


def bounds_for(campaign: Campaign) -> Bounds:
    return Bounds(
        min_seconds=campaign.segment_min_seconds,
        max_seconds=campaign.segment_max_seconds,
        target_seconds=campaign.segment_target_seconds,
    )


def long_form_engine(choice: AsrChoice, campaign: Campaign) -> FasterWhisperEngine:
    engine = get_engine(
        engine=LONG_FORM_ENGINE,
        model=choice.model,
        language=None if campaign.asr_detect_language else campaign.language,
        device=settings.ASR_DEVICE,
        compute_type=settings.ASR_COMPUTE_TYPE,
        cache_dir=settings.ASR_MODEL_CACHE,
        pack_clips=settings.ASR_PACK_CLIPS,
        window_floor_seconds=settings.ASR_WINDOW_FLOOR_SECONDS,
    )
    if not isinstance(engine, FasterWhisperEngine):
        raise AsrError(f"long-form sources need {LONG_FORM_ENGINE}, not {engine.name}")
    return engine


def source_segment(*, recording_id: int, choice: AsrChoice) -> list[TranscriptRevision]:
    """Segments a ready source and drafts every segment; returns the drafts. Safe to run twice.

    Raises DraftInProgress when another worker holds a fresh claim, and AsrError (after
    marking the source failed with the reason) when the model or the audio cannot be used.
    """
    source = Recording.objects.select_related("campaign").get(pk=recording_id)
    if source.status != Recording.Status.READY or source.kind != Recording.Kind.SOURCE:
        return []
    if source.segments.exists():
        return []  # segmented before: the segments are the labelers' now
    try:
        engine = long_form_engine(choice, source.campaign)
    except AsrError as error:
        drafts_mark_failed([source], str(error))
        raise
    if not draft_claim(recording_id, choice, batch_size=1):
        return []
    Recording.objects.filter(pk=recording_id).update(asr_progress=0)
    try:
        with local_path(source.normalised_file) as path:
            draft = source_draft(
                engine,
                path,
                options=decode_options_for(source.campaign),
                bounds=bounds_for(source.campaign),
                batch_size=settings.ASR_BATCH_SIZE,
                progress=lambda fraction: _progress(recording_id, fraction),
            )
    except AsrError as error:
        drafts_mark_failed([source], str(error))
        raise
    logger.info(
        "source %s: %.0f s, %.0f s of speech, %d clips, %d segments in %.1f s",
        source.uid,
        draft.duration,
        draft.speech_seconds,
        draft.clips,
        len(draft.segments),
        draft.seconds,
    )
    if not draft.segments:
        source_reject_no_speech(source_id=recording_id, draft=draft)
        return []
    return segments_store(source_id=recording_id, draft=draft)


def _progress(recording_id: int, fraction: float) -> None:
    # Also the heartbeat the reaper watches, and the claim another worker respects: a source
    # takes longer than ASR_CLAIM_TTL_SECONDS, and is alive as long as batches finish.
    now = timezone.now()
    Recording.objects.filter(pk=recording_id, asr_status=Recording.AsrStatus.RUNNING).update(
        asr_progress=min(int(fraction * 100), 99), asr_heartbeat_at=now, asr_claimed_at=now
    )


@transaction.atomic
def segments_store(*, source_id: int, draft: SourceDraft) -> list[TranscriptRevision]:
    """Every segment of the draft with its ASR draft revision and its task, or nothing."""
    source = Recording.objects.select_for_update(no_key=True).get(pk=source_id)
    if source.status != Recording.Status.READY or source.segments.exists():
        return []
    segments, revisions = [], []
    for planned in draft.segments:
        segment = segment_new(source=source, start_seconds=planned.start, end_seconds=planned.end)
        segments.append(segment)
        # Through the one writer, like every other revision: a fresh segment's first (number 1,
        # no parent). Two queries a segment, next to segment_new's own insert and the decode.
        revisions.append(
            revision_append(recording=segment, parent=None, **draft_fields(planned.transcription))
        )
    Task.objects.bulk_create(
        Task(recording=revision.recording, priority=task_priority(revision))
        for revision in revisions
    )
    Recording.objects.filter(pk__in=[s.pk for s in segments]).update(
        asr_status=Recording.AsrStatus.DONE
    )
    _source_done(source)
    return revisions


def source_reject_no_speech(*, source_id: int, draft: SourceDraft) -> None:
    """Rejects a source in which voice activity detection found no speech at all. Like a
    recording rejected at ingest, only its raw upload stays; the worker goes on."""
    with transaction.atomic():
        source = Recording.objects.select_for_update(no_key=True).get(pk=source_id)
        if source.status != Recording.Status.READY or source.segments.exists():
            return
        derived = [f.name for f in (source.normalised_file, source.peaks_file) if f.name]
        source.status = Recording.Status.REJECTED
        source.rejection_code = "no_speech"
        source.rejection_reason = (
            f"no speech found in {draft.duration:.0f} s of audio "
            "(voice activity detection heard none): nothing to segment or label"
        )
        source.normalised_file = source.peaks_file = ""
        source.save(
            update_fields=[
                "status",
                "rejection_code",
                "rejection_reason",
                "normalised_file",
                "peaks_file",
            ]
        )
        _source_done(source)
        transaction.on_commit(lambda: _delete_files(derived))
    logger.info("source %s rejected: no speech", source.uid)


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _source_done(source: Recording) -> None:
    Recording.objects.filter(pk=source.pk).update(
        asr_status=Recording.AsrStatus.DONE,
        asr_error="",
        asr_claimed_at=None,
        asr_attempts=0,  # a later run starts its own count
        asr_progress=100,
        asr_heartbeat_at=timezone.now(),
    )
