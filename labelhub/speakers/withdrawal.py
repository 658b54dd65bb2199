"""Consent withdrawal: the consent is marked at once, the audio is deleted by a worker.

Rows stay (a published ReleaseItem protects its recording, and the audit trail needs the
speaker's pseudonymous code); files go, and the same run erases the speaker's personal data
(labelhub.speakers.erasure); every published release holding the speaker is superseded
and re-issued without them (labelhub.releases.reissue). Recordings get status "withdrawn",
which no release selects, and the consent records' withdrawn_at keeps them out of release
candidates as well.
"""

import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.dispatch import enqueue_on_commit
from labelhub.recordings.models import Recording
from labelhub.releases.reissue import releases_supersede_for_speaker
from labelhub.speakers.erasure import speaker_personal_data_erase
from labelhub.speakers.models import ConsentAuditEvent, ConsentRecord, Speaker

logger = logging.getLogger(__name__)

BY_SPEAKER = "speaker_link"
BY_PM = "pm"


@transaction.atomic
def consent_withdraw(*, speaker: Speaker, method: str, by: User | None = None) -> Speaker:
    """Withdraws every consent the speaker (or their guardian) gave; queues the audio deletion.

    Safe to call twice: a second call finds nothing active and only queues the deletion again.
    """
    speaker = Speaker.objects.select_for_update().get(pk=speaker.pk)
    now = timezone.now()
    withdrawn = ConsentRecord.objects.filter(speaker=speaker, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawal_method=method, withdrawn_by=by
    )
    if speaker.withdrawn_at is None:
        speaker.withdrawn_at = now
        speaker.save(update_fields=["withdrawn_at"])
    if withdrawn:
        ConsentAuditEvent.objects.create(
            speaker=speaker,
            action=ConsentAuditEvent.Action.WITHDRAWN,
            method=method,
            actor=by,
            counts={"consent_records": withdrawn},
        )
    enqueue_on_commit("workers.tasks.withdrawal.speaker_audio_delete", speaker.pk)
    return speaker


def speaker_audio_delete(*, speaker_id: int) -> ConsentAuditEvent | None:
    """Deletes a withdrawn speaker's raw, normalised and peaks files and erases their personal
    data. Safe to run twice; returns the audio deletion's audit event, None when already done.

    Each recording is locked while its files go, so an ingest running at the same moment
    either finishes first (and its files are deleted here) or finds the recording withdrawn.
    """
    speaker = Speaker.objects.get(pk=speaker_id)
    if speaker.withdrawn_at is None:
        raise ValueError(f"speaker {speaker_id} has not withdrawn consent")
    recordings = files = 0
    pending = Recording.objects.filter(speaker=speaker).exclude(
        status=Recording.Status.WITHDRAWN, raw_file="", normalised_file="", peaks_file=""
    )
    for recording_id in pending.values_list("pk", flat=True):
        with transaction.atomic():
            recording = Recording.objects.select_for_update().get(pk=recording_id)
            for field in (recording.raw_file, recording.normalised_file, recording.peaks_file):
                if field.name:
                    default_storage.delete(field.name)
                    files += 1
            recording.raw_file.name = recording.normalised_file.name = ""
            recording.peaks_file.name = ""
            recording.status = Recording.Status.WITHDRAWN
            recording.save(update_fields=["raw_file", "normalised_file", "peaks_file", "status"])
            recordings += 1
    # Before the audio event is written: its presence means the whole run has completed.
    speaker_personal_data_erase(speaker=speaker)
    releases_supersede_for_speaker(speaker_id=speaker.pk)
    if (
        not recordings
        and speaker.audit_events.filter(action=ConsentAuditEvent.Action.AUDIO_DELETED).exists()
    ):
        return None
    logger.info("speaker %s: %d recordings purged, %d files", speaker.code, recordings, files)
    return ConsentAuditEvent.objects.create(
        speaker=speaker,
        action=ConsentAuditEvent.Action.AUDIO_DELETED,
        counts={"recordings": recordings, "files_deleted": files},
    )
