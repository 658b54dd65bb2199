"""What the clip drafts (drafts.py) and the long-form segmentation (segmentation.py) share:
the ASR choice and decode options, the claim on a recording, marking it failed, and the
fields of an ASR draft revision. Both import this module and neither imports the other's
internals, so the two have no import cycle.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from asr import DecodeOptions, Transcription
from labelhub.campaigns.models import Campaign
from labelhub.job_runs import gave_up_reason
from labelhub.labeling.models import TranscriptRevision
from labelhub.labeling.qa_flags import qa_flags, words_of
from labelhub.recordings.models import Recording


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


def draft_claim(recording_id: int, choice: AsrChoice, batch_size: int) -> list[Recording]:
    """Marks the recording (and waiting neighbour clips) as running; returns what this run
    drafts."""
    now = timezone.now()
    fresh = now - timedelta(seconds=settings.ASR_CLAIM_TTL_SECONDS)
    with transaction.atomic():
        own = (
            Recording.objects.select_for_update(no_key=True)
            .select_related("campaign")
            .get(pk=recording_id)
        )
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
            Recording.objects.select_for_update(no_key=True, skip_locked=True)
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


def drafts_mark_failed(recordings: list[Recording], reason: str) -> None:
    Recording.objects.filter(pk__in=[r.pk for r in recordings]).update(
        asr_status=Recording.AsrStatus.FAILED, asr_error=reason, asr_claimed_at=None
    )


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
