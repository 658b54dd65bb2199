"""Whisper drafts: the first revision of every transcript, written by the ASR worker.

A task run drafts its own recording and, when the queue is deep, up to ASR_BATCH_SIZE - 1 other
waiting recordings of the same campaign in one batched decode. Each recording's own queued task
stays the authority for it: fillers are only a head start, so a crashed worker loses nothing.
A long-form source is not drafted itself: it is cut into segments, each drafted (segmentation.py).
"""

import logging
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from asr import AsrEngine, AsrError, DecodeOptions, Transcription, get_engine
from asr.speech import speech_regions
from labelhub.campaigns.models import Campaign
from labelhub.job_runs import gave_up_reason
from labelhub.labeling.models import HUMAN_KINDS, Task, TranscriptRevision
from labelhub.labeling.qa_flags import qa_flags, words_of
from labelhub.labeling.services import revision_append
from labelhub.recordings.models import Recording
from labelhub.storage import local_path
from labelhub.text_metrics import prompt_error_rates

logger = logging.getLogger(__name__)


class DraftInProgress(Exception):
    """Another worker holds a fresh claim on this recording; try again later."""


@dataclass(frozen=True)
class AsrChoice:
    engine: str
    model: str

    @classmethod
    def from_settings(cls, engine: str | None = None, model: str | None = None) -> "AsrChoice":
        return cls(engine or settings.ASR_ENGINE, model or settings.ASR_MODEL)


def decode_options_for(campaign: Campaign) -> DecodeOptions:
    language = None if campaign.asr_detect_language else campaign.language.split("-")[0].lower()
    return DecodeOptions(
        language=language,
        beam_size=campaign.asr_beam_size,
        vad_filter=campaign.asr_vad_filter,
        initial_prompt=campaign.asr_initial_prompt.strip() or _vocabulary_from_prompts(campaign),
    )


def _vocabulary_from_prompts(campaign: Campaign, *, max_words: int = 60) -> str | None:
    # Whisper reads the initial prompt as the text that came before. Measured on espeak clips
    # with tiny.en: a few of the script's sentences, written as sentences, fixed 2 of 5 drafts
    # ("mouse" -> "volume", "you to the sound" -> "mute the sound"), while a bare word list
    # made it add "Thank you." and drop words.
    sentences, words = [], 0
    for text in campaign.prompts.order_by("id").values_list("text", flat=True)[:50]:
        sentence = text.strip().rstrip(".!?")
        if not sentence or words + len(sentence.split()) > max_words:
            break
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        words += len(sentence.split())
    return " ".join(sentences) or None


def _needs_draft(recording: Recording, choice: AsrChoice, *, model_name: str) -> bool:
    return not recording.revisions.filter(
        kind=TranscriptRevision.Kind.ASR_DRAFT, engine=choice.engine, model_name=model_name
    ).exists()


def draft_claim(recording_id: int, choice: AsrChoice, batch_size: int) -> list[Recording]:
    """Marks the recording (and waiting neighbour clips) as running; returns what this run
    drafts."""
    now = timezone.now()
    fresh = now - timedelta(seconds=settings.ASR_CLAIM_TTL_SECONDS)
    with transaction.atomic():
        own = Recording.objects.select_for_update().select_related("campaign").get(pk=recording_id)
        if own.status != Recording.Status.READY:
            return []
        claimed_at = own.asr_claimed_at
        if own.asr_status == Recording.AsrStatus.RUNNING and claimed_at and claimed_at > fresh:
            raise DraftInProgress(f"recording {own.pk} is being drafted by another worker")
        if own.asr_attempts >= settings.JOBS_MAX_ATTEMPTS:
            # Each earlier run claimed it and never finished: it kills or outlives its worker.
            drafts_mark_failed([own], gave_up_reason(own.asr_attempts + 1))
            return []
        fillers = list(
            Recording.objects.select_for_update(skip_locked=True)
            .filter(
                campaign=own.campaign,
                kind=Recording.Kind.CLIP,  # sources and segments are drafted their own way
                status=Recording.Status.READY,
                asr_status=Recording.AsrStatus.PENDING,
                duration_seconds__lte=30,  # one Whisper window: the batchable kind
            )
            .exclude(pk=own.pk)
            .order_by("created_at")[: max(batch_size - 1, 0)]
        )
        claimed = [own, *fillers]
        Recording.objects.filter(pk__in=[r.pk for r in claimed]).update(
            asr_status=Recording.AsrStatus.RUNNING, asr_claimed_at=now, asr_heartbeat_at=now
        )
        Recording.objects.filter(pk=own.pk).update(asr_attempts=F("asr_attempts") + 1)
    return claimed


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
        from labelhub.labeling.segmentation import source_segment  # it imports this module

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


def drafts_mark_failed(recordings: list[Recording], reason: str) -> None:
    Recording.objects.filter(pk__in=[r.pk for r in recordings]).update(
        asr_status=Recording.AsrStatus.FAILED, asr_error=reason, asr_claimed_at=None
    )


def recording_draft_fail(recording_id: int, *, reason: str) -> None:
    """Marks a recording's unfinished ASR draft failed with the reason (a drafted one stays)."""
    Recording.objects.filter(
        pk=recording_id, asr_status__in=[Recording.AsrStatus.PENDING, Recording.AsrStatus.RUNNING]
    ).update(asr_status=Recording.AsrStatus.FAILED, asr_error=reason[:2000], asr_claimed_at=None)


def task_priority(draft: TranscriptRevision) -> int:
    # Lowest confidence first: those drafts need people most, and reveal the ASR's weak spots.
    if settings.LABELING_PRIORITY == "fifo" or draft.confidence is None:
        return 0
    return round((1.0 - draft.confidence) * 1000)


class DraftFields(TypedDict):
    """draft_fields' answer: an ASR_DRAFT revision's row, but for its place in the chain."""

    kind: str
    source: str
    text: str
    segments: list[dict[str, Any]]
    language: str
    language_probability: float
    engine: str
    model_name: str
    engine_version: str
    confidence: float
    low_confidence: bool
    flags: list[str]
    decode_seconds: float


def draft_fields(
    result: Transcription,
    *,
    prompt: str = "",
    duration: float | None = None,
    voiced_seconds: float | None = None,
) -> DraftFields:
    """The fields of an ASR draft revision holding what the engine said.

    Its flags are the engine's and our QA flags (labeling/qa_flags.py): a hallucinated phrase
    always, and, given the clip's prompt and duration, a prompt mismatch or text with no audio.
    """
    segments = result.segments_as_json()
    found = qa_flags(
        result.text,
        language=result.language,
        prompt=prompt,
        duration=duration,
        words=words_of(segments),
        voiced_seconds=voiced_seconds,
    )
    return {
        "kind": TranscriptRevision.Kind.ASR_DRAFT,
        "source": TranscriptRevision.Source.ASR,
        "text": result.text,
        "segments": segments,
        "language": result.language,
        "language_probability": round(result.language_probability, 4),
        "engine": result.engine,
        "model_name": result.model,
        "engine_version": result.engine_version,
        "confidence": result.confidence,
        "low_confidence": result.low_confidence,
        "flags": [*result.flags, *(flag for flag in found if flag not in result.flags)],
        "decode_seconds": round(result.decode_seconds, 3),
    }


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
        Recording.objects.select_for_update(of=("self",))
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
