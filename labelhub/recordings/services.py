"""Recording upload and ingest: the raw file is kept untouched; a 16 kHz mono WAV is derived."""

import logging
import math
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, CollectionChannel, Prompt, RecordingEnvironment
from labelhub.campaigns.services import campaign_require_collecting
from labelhub.dispatch import clip_facts_refresh_on_commit, enqueue, enqueue_on_commit
from labelhub.errors import Conflict, DomainError
from labelhub.job_runs import gave_up_reason, run_begin, runs_exhausted
from labelhub.recordings.audio import (
    AudioProbe,
    AudioRejected,
    NormalisedAudio,
    assess_quality,
    check_duration_before_decoding,
    normalise,
    sha256_file,
    validate_upload,
)
from labelhub.recordings.models import Recording
from labelhub.recordings.peaks import peaks_attach, peaks_attach_data
from labelhub.recordings.streaming_decode import assess_source_quality, decode_streaming
from labelhub.speakers.models import Speaker
from labelhub.speakers.selectors import (
    consent_active_for,
    guardian_consent_active_for,
    speaker_is_minor,
)
from labelhub.speakers.services import ConsentMissing
from labelhub.storage import local_path, store_file

logger = logging.getLogger(__name__)


class DuplicateAudio(Conflict):
    code = "duplicate_audio"


def recording_collect(
    *,
    speaker: Speaker,
    uploaded_file: "File[bytes]",
    uploaded_by: User | None,
    prompt: Prompt | None = None,
    environment: RecordingEnvironment | None = None,
    channel: CollectionChannel | None = None,
    speech_style: str = "",
    device: str = "",
) -> Recording:
    """Collection's front door (recorder page, PM upload, studio bulk upload).

    On top of recording_upload's checks: the campaign is active, the speaker has not withdrawn,
    a minor has a guardian's consent, and the exact same audio was never uploaded before.
    """
    campaign_require_collecting(campaign=speaker.campaign)
    collection_check_speaker(speaker=speaker)
    return recording_upload(
        speaker=speaker,
        uploaded_file=uploaded_file,
        uploaded_by=uploaded_by,
        prompt=prompt,
        environment=environment,
        channel=channel or speaker.channel,
        speech_style=speech_style or (prompt.speech_style if prompt else ""),
        device=device,
        refuse_duplicates=True,
    )


def collection_check_speaker(*, speaker: Speaker) -> None:
    """Raises Conflict naming why this speaker may not record now."""
    # Read fresh: a withdrawal may have landed since the caller loaded the speaker.
    if Speaker.objects.filter(pk=speaker.pk, withdrawn_at__isnull=False).exists():
        raise Conflict(
            f"speaker {speaker.code} withdrew consent; no recording is accepted",
            code="consent_withdrawn",
        )
    if consent_active_for(speaker=speaker) is None:
        raise ConsentMissing(f"speaker {speaker.code} has no active consent; nothing was stored")
    if speaker_is_minor(speaker=speaker) and guardian_consent_active_for(speaker=speaker) is None:
        raise Conflict(
            f"speaker {speaker.code} is under the campaign's age of consent "
            f"({speaker.campaign.age_of_consent}) and has no guardian consent record",
            code="guardian_consent_missing",
        )


def recording_upload(
    *,
    speaker: Speaker,
    uploaded_file: "File[bytes]",
    uploaded_by: User | None,
    prompt: Prompt | None = None,
    environment: RecordingEnvironment | None = None,
    channel: CollectionChannel | None = None,
    speech_style: str = "",
    device: str = "",
    refuse_duplicates: bool = False,
) -> Recording:
    """Checks an upload and stores it; anything rejected here leaves nothing behind.

    The low-level store, also used to seed demos; collection goes through recording_collect.
    """
    _upload_require_allowed(speaker, prompt, uploaded_file)
    filename = Path(uploaded_file.name or "upload").name
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / f"upload{suffix}"
        _spool(uploaded_file, local)
        probe = _probe_within_limits(local, filename=filename, campaign=speaker.campaign)
        raw_sha256 = sha256_file(local)
        if refuse_duplicates:
            _refuse_duplicate(raw_sha256)
        recording = _stored_recording(
            speaker,
            local,
            probe,
            filename=filename,
            raw_sha256=raw_sha256,
            speech_style=speech_style,
            prompt=prompt,
            uploaded_by=uploaded_by,
            environment=environment,
            channel=channel,
            device=device[:200],
        )
    try:
        with transaction.atomic():
            _lock_for_new_audio(speaker, raw_sha256, refuse_duplicates=refuse_duplicates)
            recording.save()
            enqueue_on_commit("workers.tasks.ingest.recording_ingest", recording.pk)
    except BaseException:
        recording.raw_file.delete(save=False)  # no row, no file: a failed upload leaves nothing
        raise
    return recording


def _stored_recording(
    speaker: Speaker,
    local: Path,
    probe: AudioProbe,
    *,
    filename: str,
    raw_sha256: str,
    speech_style: str,
    **fields: Any,
) -> Recording:
    """The unsaved row of a checked upload, whose file is already in storage."""
    suffix = Path(filename).suffix.lower()
    recording = Recording(
        kind=Recording.Kind.SOURCE if speaker.campaign.is_long_form else Recording.Kind.CLIP,
        campaign_id=speaker.campaign_id,
        speaker=speaker,
        raw_sha256=raw_sha256,
        raw_size_bytes=local.stat().st_size,
        original_filename=filename,
        original_suffix=suffix,
        format_name=probe.format_name,
        codec=probe.codec,
        **fields,
    )
    if speech_style:
        recording.speech_style = speech_style
    recording.raw_file.name = store_file(
        path=local, name=f"raw/{speaker.campaign_id}/{recording.uid}{suffix}"
    )
    return recording


def _upload_require_allowed(
    speaker: Speaker, prompt: Prompt | None, uploaded_file: "File[bytes]"
) -> None:
    """The checks an upload passes before a byte of it is stored."""
    if consent_active_for(speaker=speaker) is None:
        raise ConsentMissing(f"speaker {speaker.code} has no active consent; nothing was stored")
    if prompt is not None and prompt.campaign_id != speaker.campaign_id:
        raise DomainError("the prompt belongs to another campaign", code="wrong_campaign")
    # A long-form campaign takes whole broadcasts and meetings (hours, video containers): its
    # own size and duration limits, and the file becomes a source that is cut into segments.
    long_form = speaker.campaign.is_long_form
    max_bytes = settings.MAX_SOURCE_UPLOAD_BYTES if long_form else settings.MAX_UPLOAD_BYTES
    if uploaded_file.size is not None and uploaded_file.size > max_bytes:
        raise DomainError(
            f"the file is {uploaded_file.size} bytes; the limit is {max_bytes}",
            code="too_large",
        )


def _probe_within_limits(local: Path, *, filename: str, campaign: Campaign) -> AudioProbe:
    long_form = campaign.is_long_form
    probe = validate_upload(local, filename=filename, long_form=long_form)
    # ffprobe's duration, before anything decodes the file: an over-long file never
    # reaches ingest (a clip's decode holds it in memory; a source's would take hours).
    max_seconds = campaign.max_source_seconds if long_form else campaign.max_seconds
    check_duration_before_decoding(probe, max_seconds=max_seconds)
    return probe


def _spool(uploaded_file: "File[bytes]", local: Path) -> None:
    with local.open("wb") as out:
        for chunk in uploaded_file.chunks():
            out.write(chunk)


def _refuse_duplicate(raw_sha256: str) -> None:
    # Any campaign: the same bytes twice are a resubmission or a copied file, never a new voice.
    existing = Recording.objects.filter(raw_sha256=raw_sha256).order_by("pk").first()
    if existing is not None:
        raise DuplicateAudio(
            f"this audio was already uploaded as recording {existing.pk} ({existing.uid}); "
            "nothing was stored"
        )


def _lock_for_new_audio(speaker: Speaker, raw_sha256: str, *, refuse_duplicates: bool) -> None:
    """Re-checks, under locks, what was checked before the file was stored.

    consent_withdraw locks the speaker row too, so a withdrawal either lands first (and this
    upload is refused) or waits for this row to commit (and its audio deletion then finds it).
    The advisory lock on the checksum serialises two identical uploads arriving together.
    """
    withdrawn_at = (
        Speaker.objects.select_for_update(no_key=True)
        .values_list("withdrawn_at", flat=True)
        .get(pk=speaker.pk)
    )
    if withdrawn_at is not None:
        raise Conflict(
            f"speaker {speaker.code} withdrew consent; nothing was stored",
            code="consent_withdrawn",
        )
    if refuse_duplicates:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [raw_sha256])
        _refuse_duplicate(raw_sha256)


def recording_ingest(*, recording_id: int) -> Recording:
    """Decodes and normalises a received recording. Safe to run twice.

    A recording whose ingest never finished in JOBS_MAX_ATTEMPTS runs is rejected with the
    reason instead (recording_ingest_fail).
    """
    received = Recording.objects.filter(pk=recording_id, status=Recording.Status.RECEIVED)
    runs = run_begin(received, attempts="ingest_attempts", heartbeat="ingest_heartbeat_at")
    if runs_exhausted(runs):
        return recording_ingest_fail(recording_id, reason=gave_up_reason(runs))
    with transaction.atomic():
        recording = Recording.objects.select_for_update(no_key=True).get(pk=recording_id)
        if recording.status != Recording.Status.RECEIVED:
            return recording
        clip_facts_refresh_on_commit(recording.campaign_id, [recording.pk])  # ready or rejected
        _delete_derived_leftovers(recording)
        with local_path(recording.raw_file) as raw, tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "normalised.wav"
            try:
                if recording.kind == Recording.Kind.SOURCE:
                    peaks = _normalise_source(recording, raw, out)
                else:
                    _normalise_clip(recording, raw, out)
                    peaks = None
            except AudioRejected as rejected:
                # Derived audio lived only in tmp, so a rejected file leaves nothing derived.
                recording.status = Recording.Status.REJECTED
                recording.rejection_code = rejected.code
                recording.rejection_reason = rejected.reason
                recording.save()
                logger.info("recording %s rejected: %s", recording.uid, rejected.reason)
                return recording
            recording.normalised_file.name = store_file(
                path=out, name=f"normalised/{recording.campaign_id}/{recording.uid}.wav"
            )
            # Once here, so the workbench never decodes audio: a clip's from the WAV just
            # written, a source's as measured while it streamed (re-reading hours costs).
            if peaks is None:
                peaks_attach(recording=recording, wav_path=out)
            else:
                peaks_attach_data(recording=recording, peaks=peaks)
        recording.status = Recording.Status.READY
        recording.ingested_at = timezone.now()
        recording.save()
        transaction.on_commit(lambda: transcribe_enqueue(recording=recording))
    return recording


def _normalise_clip(recording: Recording, raw: Path, out: Path) -> None:
    result = normalise(raw, out_path=out)
    _measure(recording, result)
    campaign = recording.campaign
    recording.quality_flags = assess_quality(
        result, min_seconds=campaign.min_seconds, max_seconds=campaign.max_seconds
    )


def _normalise_source(recording: Recording, raw: Path, out: Path) -> dict[str, Any]:
    """Streams a long-form source to its 16 kHz WAV; returns its peaks. Never holds the file."""
    # Probed again (cheap) rather than trusted from the upload: the header's duration is what
    # tells a source cut short from a complete one.
    probe = validate_upload(raw, filename=f"source{recording.original_suffix}", long_form=True)
    result = decode_streaming(raw, probe=probe, out_path=out)
    _measure(recording, result)
    campaign = recording.campaign
    recording.quality_flags = assess_source_quality(
        result, min_seconds=campaign.segment_min_seconds, max_seconds=campaign.max_source_seconds
    )
    return result.peaks


def recording_ingest_fail(recording_id: int, *, reason: str) -> Recording:
    """Rejects a recording whose ingest failed or died, with the reason; its raw file stays.

    The raw upload is kept untouched (it may be fine, and ingest can be rerun from it); derived
    files a dead run stored are deleted. A recording past ingest is left as it is.
    """
    with transaction.atomic():
        recording = Recording.objects.select_for_update(no_key=True).get(pk=recording_id)
        if recording.status != Recording.Status.RECEIVED:
            return recording
        _delete_derived_leftovers(recording)
        recording.status = Recording.Status.REJECTED
        recording.rejection_code = "ingest_failed"
        recording.rejection_reason = f"ingest failed: {reason}"[:2000]
        recording.save(update_fields=["status", "rejection_code", "rejection_reason"])
    logger.warning("recording %s ingest failed: %s", recording.uid, reason)
    return recording


def _delete_derived_leftovers(recording: Recording) -> None:
    # A run killed between storing a derived file and committing leaves that file unreferenced.
    for folder in ("normalised", "peaks"):
        prefix = f"{folder}/{recording.campaign_id}/{recording.uid}"
        for suffix in (".wav", ".json"):
            if default_storage.exists(prefix + suffix):
                default_storage.delete(prefix + suffix)


def _measure(recording: Recording, result: NormalisedAudio) -> None:
    # Kept on rejected clips too: the figures explain the rejection to whoever reviews it.
    recording.duration_seconds = result.duration
    recording.sample_rate = result.sample_rate
    recording.channels = result.channels
    recording.peak_dbfs = result.peak_dbfs
    recording.rms_dbfs = result.rms_dbfs
    recording.clipping_ratio = result.clipping_ratio


# Per second of a long-form source, the share of ASR_TIME_LIMIT_PER_AUDIO_SECOND its run gets:
# 0.5 allows 2.5 s per audio second by default, ten times what base needs on 2 CPU cores.
LONG_FORM_TIME_FACTOR = 0.5


def transcribe_enqueue(
    *, recording: Recording, engine: str | None = None, model: str | None = None
) -> None:
    """Queues the Whisper draft, with a time limit that grows with the clip and its batch."""
    Recording.objects.filter(pk=recording.pk).update(asr_heartbeat_at=timezone.now())
    # A clip's run may draft a whole batch of clips; a long-form source runs alone, batched
    # over its own clips, at a fraction of a clip's cost per second (real-time factor).
    factor = (
        LONG_FORM_TIME_FACTOR
        if recording.kind == Recording.Kind.SOURCE
        else max(settings.ASR_BATCH_SIZE, 1)
    )
    audio = (recording.duration_seconds or 0) * factor
    limit = settings.ASR_TIME_LIMIT_BASE + settings.ASR_TIME_LIMIT_PER_AUDIO_SECOND * audio
    enqueue(
        "workers.tasks.asr.recording_transcribe",
        recording.pk,
        kwargs={"engine": engine, "model": model},
        # Celery counts time limits in whole seconds.
        soft_time_limit=math.ceil(limit),
        time_limit=math.ceil(limit) + 30,
    )
