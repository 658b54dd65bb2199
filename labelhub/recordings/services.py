"""Recording upload and ingest: the raw file is kept untouched; a 16 kHz mono WAV is derived."""

import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Prompt
from labelhub.errors import DomainError
from labelhub.recordings.audio import AudioRejected, normalise, sha256_file, validate_upload
from labelhub.recordings.models import Recording
from labelhub.speakers.models import Speaker
from labelhub.speakers.selectors import consent_active_for
from labelhub.speakers.services import ConsentMissing
from labelhub.storage import local_path, store_file

logger = logging.getLogger(__name__)


def recording_upload(
    *,
    speaker: Speaker,
    uploaded_file: UploadedFile,
    uploaded_by: User | None,
    prompt: Prompt | None = None,
) -> Recording:
    """Checks an upload and stores it; anything rejected here leaves nothing behind."""
    if consent_active_for(speaker=speaker) is None:
        raise ConsentMissing(f"speaker {speaker.code} has no active consent; nothing was stored")
    if prompt is not None and prompt.campaign_id != speaker.campaign_id:
        raise DomainError("the prompt belongs to another campaign", code="wrong_campaign")
    if uploaded_file.size is not None and uploaded_file.size > settings.MAX_UPLOAD_BYTES:
        raise DomainError(
            f"the file is {uploaded_file.size} bytes; the limit is {settings.MAX_UPLOAD_BYTES}",
            code="too_large",
        )
    filename = Path(uploaded_file.name or "upload").name
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / f"upload{suffix}"
        with local.open("wb") as out:
            for chunk in uploaded_file.chunks():
                out.write(chunk)
        probe = validate_upload(local, filename=filename)
        recording = Recording(
            campaign_id=speaker.campaign_id,
            speaker=speaker,
            prompt=prompt,
            uploaded_by=uploaded_by,
            raw_sha256=sha256_file(local),
            raw_size_bytes=local.stat().st_size,
            original_filename=filename,
            original_suffix=suffix,
            format_name=probe.format_name,
            codec=probe.codec,
        )
        recording.raw_file.name = store_file(
            path=local, name=f"raw/{speaker.campaign_id}/{recording.uid}{suffix}"
        )
    try:
        with transaction.atomic():
            recording.save()
            transaction.on_commit(lambda: _enqueue_ingest(recording.pk))
    except BaseException:
        recording.raw_file.delete(save=False)  # no row, no file: a failed upload leaves nothing
        raise
    return recording


def _enqueue_ingest(recording_id: int) -> None:
    from workers.tasks.ingest import recording_ingest_task

    recording_ingest_task.delay(recording_id)


def recording_ingest(*, recording_id: int) -> Recording:
    """Decodes and normalises a received recording. Safe to run twice."""
    with transaction.atomic():
        recording = Recording.objects.select_for_update().get(pk=recording_id)
        if recording.status != Recording.Status.RECEIVED:
            return recording
        with local_path(recording.raw_file) as raw, tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "normalised.wav"
            try:
                result = normalise(raw, out_path=out)
            except AudioRejected as rejected:
                recording.status = Recording.Status.REJECTED
                recording.rejection_code = rejected.code
                recording.rejection_reason = rejected.reason
                recording.save(update_fields=["status", "rejection_code", "rejection_reason"])
                logger.info("recording %s rejected: %s", recording.uid, rejected.reason)
                return recording
            recording.normalised_file.name = store_file(
                path=out, name=f"normalised/{recording.campaign_id}/{recording.uid}.wav"
            )
        recording.duration_seconds = result.duration
        recording.sample_rate = result.sample_rate
        recording.channels = result.channels
        recording.peak_dbfs = result.peak_dbfs
        recording.rms_dbfs = result.rms_dbfs
        recording.status = Recording.Status.READY
        recording.ingested_at = timezone.now()
        recording.save()
        transaction.on_commit(lambda: transcribe_enqueue(recording=recording))
    return recording


def transcribe_enqueue(
    *, recording: Recording, engine: str | None = None, model: str | None = None
) -> None:
    """Queues the Whisper draft, with a time limit that grows with the clip and its batch."""
    from workers.tasks.asr import recording_transcribe_task

    audio = (recording.duration_seconds or 0) * max(settings.ASR_BATCH_SIZE, 1)
    limit = settings.ASR_TIME_LIMIT_BASE + settings.ASR_TIME_LIMIT_PER_AUDIO_SECOND * audio
    recording_transcribe_task.apply_async(
        args=[recording.pk],
        kwargs={"engine": engine, "model": model},
        soft_time_limit=limit,
        time_limit=limit + 30,
    )
