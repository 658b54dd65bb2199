"""Whisper drafts: the first revision of every transcript, written by the ASR worker.

A task run drafts its own recording and, when the queue is deep, up to ASR_BATCH_SIZE - 1 other
waiting recordings of the same campaign in one batched decode. Each recording's own queued task
stays the authority for it: fillers are only a head start, so a crashed worker loses nothing.
A long-form source is not drafted itself: it is cut into segments, each drafted (segmentation.py).
"""

import logging
from contextlib import ExitStack

from django.conf import settings
from django.db import transaction

from asr import AsrEngine, AsrError, DecodeOptions, Transcription, get_engine
from asr.speech import speech_regions
from labelhub.campaigns.models import Campaign
from labelhub.labeling.draft_common import (
    AsrChoice,
    decode_options_for,
    draft_claim,
    draft_fields,
    drafts_mark_failed,
    task_priority,
)
from labelhub.labeling.models import HUMAN_KINDS, Task, TranscriptRevision
from labelhub.labeling.segmentation import source_segment
from labelhub.labeling.services import revision_append
from labelhub.recordings.models import Recording
from labelhub.storage import local_path
from labelhub.text_metrics import prompt_error_rates

logger = logging.getLogger(__name__)


def _needs_draft(recording: Recording, choice: AsrChoice, *, model_name: str) -> bool:
    return not recording.revisions.filter(
        kind=TranscriptRevision.Kind.ASR_DRAFT, engine=choice.engine, model_name=model_name
    ).exists()


def recording_pretranscribe(
    *, recording_id: int, engine: str | None = None, model: str | None = None
) -> list[TranscriptRevision]:
    """Drafts a ready recording with Whisper and opens its labeling task. Safe to run twice.

    Raises DraftInProgress when another worker holds a fresh claim, and AsrError (after
    marking the recordings failed with the reason) when the model cannot be used.
    """
    choice = AsrChoice.from_settings(engine, model)
    own = Recording.objects.select_related("campaign").get(pk=recording_id)
    if own.status != Recording.Status.READY or own.kind == Recording.Kind.SEGMENT:
        return []  # a segment's draft comes with its source's segmentation
    if own.kind == Recording.Kind.SOURCE:
        return source_segment(recording_id=recording_id, choice=choice)
    try:
        asr = engine_for(choice, own.campaign)
    except AsrError as error:
        drafts_mark_failed([own], str(error))
        raise
    if not _needs_draft(own, choice, model_name=asr.model):
        return []
    claimed = [
        r for r in draft_claim(recording_id, choice, settings.ASR_BATCH_SIZE)
        if _needs_draft(r, choice, model_name=asr.model)
    ]  # fmt: skip
    if not claimed:
        return []
    results = _transcribe_claimed(asr, claimed, decode_options_for(own.campaign))
    drafts, own_error = _drafts_store(claimed, results, own_id=own.pk)
    if own_error is not None:
        raise own_error
    return drafts


def _transcribe_claimed(
    asr: AsrEngine, claimed: list[Recording], options: DecodeOptions
) -> list[Transcription | AsrError]:
    """The claimed recordings' texts in one batch, or each alone when the batch fails."""
    try:
        return list(_transcribe(asr, claimed, options))
    except AsrError as error:
        if len(claimed) == 1:
            drafts_mark_failed(claimed, str(error))
            raise
        # One unreadable clip must not cost its batch-mates their drafts: decode one by one.
        logger.warning("batch of %d failed (%s); drafting one by one", len(claimed), error)
        return [_transcribe_alone(asr, r, options) for r in claimed]


def _drafts_store(
    claimed: list[Recording], results: list[Transcription | AsrError], *, own_id: int
) -> tuple[list[TranscriptRevision], AsrError | None]:
    """Stores each recording's draft, or marks it failed; the asked-for recording's error too."""
    drafts: list[TranscriptRevision] = []
    own_error: AsrError | None = None
    for recording, result in zip(claimed, results, strict=True):
        if isinstance(result, AsrError):
            drafts_mark_failed([recording], str(result))
            own_error = result if recording.pk == own_id else own_error
            continue
        # VAD reads the audio: done before draft_store takes the row lock, and only when there is
        # text it could find no voice under.
        voiced = voiced_seconds_of(recording) if result.text.strip() else None
        draft = draft_store(recording_id=recording.pk, result=result, voiced_seconds=voiced)
        if draft is not None:
            drafts.append(draft)
    return drafts, own_error


def engine_for(choice: AsrChoice, campaign: Campaign) -> AsrEngine:
    return get_engine(
        engine=choice.engine,
        model=choice.model,
        language=None if campaign.asr_detect_language else campaign.language,
        device=settings.ASR_DEVICE,
        compute_type=settings.ASR_COMPUTE_TYPE,
        cache_dir=settings.ASR_MODEL_CACHE,
        pack_clips=settings.ASR_PACK_CLIPS,
        window_floor_seconds=settings.ASR_WINDOW_FLOOR_SECONDS,
    )


def _transcribe(
    asr: AsrEngine, recordings: list[Recording], options: DecodeOptions
) -> list[Transcription]:
    with ExitStack() as stack:
        paths = [stack.enter_context(local_path(r.normalised_file)) for r in recordings]
        if len(paths) == 1:
            return [asr.transcribe(paths[0], options=options)]
        return asr.transcribe_batch(paths, options=options, batch_size=len(paths))


def _transcribe_alone(
    asr: AsrEngine, recording: Recording, options: DecodeOptions
) -> Transcription | AsrError:
    try:
        return _transcribe(asr, [recording], options)[0]
    except AsrError as error:
        return error


def recording_draft_fail(recording_id: int, *, reason: str) -> None:
    """Marks a recording's unfinished ASR draft failed with the reason (a drafted one stays)."""
    Recording.objects.filter(
        pk=recording_id, asr_status__in=[Recording.AsrStatus.PENDING, Recording.AsrStatus.RUNNING]
    ).update(asr_status=Recording.AsrStatus.FAILED, asr_error=reason[:2000], asr_claimed_at=None)


def voiced_seconds_of(recording: Recording) -> float | None:
    """Seconds of speech Silero VAD finds in the clip; None when its audio cannot be read.

    Whisper writes text over noise and music ("and sound of car noise." over white noise,
    fixtures/qa/whisper_outputs.json); no voice under a draft is the sign of it.
    """
    try:
        with local_path(recording.normalised_file) as path:
            return round(sum(end - start for start, end in speech_regions(path)), 3)
    except Exception:  # a missing or unreadable file only costs the flag, never the draft
        logger.warning("no VAD for recording %s", recording.pk, exc_info=True)
        return None


@transaction.atomic
def draft_store(
    *, recording_id: int, result: Transcription, voiced_seconds: float | None = None
) -> TranscriptRevision | None:
    """Appends an ASR draft unless this engine and model already drafted the recording;
    `voiced_seconds` (voiced_seconds_of) lets its QA flags see text with no speech under it."""
    recording = (
        Recording.objects.select_for_update(no_key=True, of=("self",))
        .select_related("prompt")
        .get(pk=recording_id)
    )
    same = recording.revisions.filter(
        kind=TranscriptRevision.Kind.ASR_DRAFT, engine=result.engine, model_name=result.model
    )
    if same.exists():
        return None
    latest = recording.revisions.order_by("-number").first()
    wer, cer = (
        prompt_error_rates(recording.prompt.text, result.text) if recording.prompt else (None, None)
    )
    draft = revision_append(
        recording=recording,
        parent=latest,
        prompt_wer=wer,
        prompt_cer=cer,
        **draft_fields(
            result,
            prompt=recording.prompt.text if recording.prompt else "",
            duration=recording.duration_seconds or result.duration,
            voiced_seconds=voiced_seconds,
        ),
    )
    recording.asr_status = Recording.AsrStatus.DONE
    recording.asr_error = ""
    recording.asr_claimed_at = None
    recording.asr_attempts = 0  # a later re-transcription starts its own count
    recording.save(update_fields=["asr_status", "asr_error", "asr_claimed_at", "asr_attempts"])
    task, created = Task.objects.get_or_create(
        recording=recording, defaults={"priority": task_priority(draft)}
    )
    if not created and task.status == Task.Status.OPEN:
        Task.objects.filter(pk=task.pk).update(priority=task_priority(draft))
    return draft


def recordings_to_retranscribe(
    *, campaign: Campaign, choice: AsrChoice, include_labeled: bool = False
) -> list[int]:
    """Ids of the campaign's ready recordings that this engine and model have not drafted."""
    model_name = engine_for(choice, campaign).model
    recordings = Recording.objects.filter(campaign=campaign, status=Recording.Status.READY)
    # A segment is drafted with its source; a segmented source is not drafted again.
    recordings = recordings.exclude(kind=Recording.Kind.SEGMENT).exclude(
        kind=Recording.Kind.SOURCE, segments__isnull=False
    )
    if not include_labeled:
        recordings = recordings.exclude(revisions__kind__in=HUMAN_KINDS)
    drafted = TranscriptRevision.objects.filter(
        kind=TranscriptRevision.Kind.ASR_DRAFT, engine=choice.engine, model_name=model_name
    ).values("recording_id")
    return list(recordings.exclude(pk__in=drafted).order_by("id").values_list("pk", flat=True))
