"""A withdrawn speaker's audio deletion and the erasure of their personal data, everywhere
the database holds it.

It sits above the apps (speakers, recordings, labeling, releases, analytics) because it
reaches into each of them: the speakers app, which the others import, marks the withdrawal
(labelhub.speakers.withdrawal) and queues this run by name; the worker runs it through
labelhub.jobs.

Audio: rows stay (a published ReleaseItem protects its recording, and the audit trail needs
the speaker's pseudonymous code); files go, and the same run erases the speaker's personal
data; every published release holding the speaker is superseded and re-issued without them
(labelhub.releases.reissue). Recordings get status "withdrawn", which no release selects, and
the consent records' withdrawn_at keeps them out of release candidates as well.

Personal data: rows stay (releases and the audit trail point at them); what the speaker said
and told us about themselves is blanked in place, so the result cannot be reversed from
anything stored:
- transcripts: every revision's text, segments (with their words), and review comments,
  which quote the text; the task's skip note and return comment; changelog lines;
- demographics: age band, gender, region, dialect, native language, birth year;
- upload metadata: original file names (also in bulk upload reports) and device strings
  (user agents); ingest and ASR messages, which may quote either;
- consent evidence: the scan of a signed paper form (it carries a name and a signature) and
  the hash of IP and user agent; the record itself (document version, dates) stays;
- what other apps quote: curation notes, and a feedback report's heard text, correction and
  the product's consent reference.
Kept: the speaker's pseudonymous code (the audit trail's key) and the published releases'
datasheets, which follow the release-integrity rules (withdrawn releases are re-issued).
"""

import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet

from labelhub.analytics.facts import clip_fact_refresh
from labelhub.analytics.models import FeedbackReport
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import BulkUpload, Exclusion, Recording
from labelhub.releases.models import ReleaseChange
from labelhub.releases.reissue import releases_supersede_for_speaker
from labelhub.speakers.models import ConsentAuditEvent, ConsentRecord, Speaker

logger = logging.getLogger(__name__)

ERASED_REFERENCE = "erased"


def _blank(queryset: QuerySet, *fields: str, **values: object) -> int:
    """Blanks the text fields (and sets the other values) on rows that still hold any of them."""
    pending = Q()
    for name in fields:
        pending |= ~Q(**{name: ""})
    for name, value in values.items():
        pending |= ~Q(**{name: value}) if value is not None else Q(**{f"{name}__isnull": False})
    return queryset.filter(pending).update(**dict.fromkeys(fields, ""), **values)


def _erase_demographics(speaker: Speaker) -> int:
    speakers = Speaker.objects.filter(pk=speaker.pk)
    fields = ("age_band", "gender", "region", "dialect", "native_language")
    return _blank(speakers, *fields, birth_year=None)


def _erase_consent_evidence(speaker: Speaker) -> int:
    records = ConsentRecord.objects.filter(speaker=speaker).exclude(
        evidence_file="", evidence_sha256=""
    )
    for record in records:
        if record.evidence_file.name:
            default_storage.delete(record.evidence_file.name)
    return records.update(evidence_file="", evidence_sha256="")


def _erase_transcripts(recordings: QuerySet) -> dict[str, int]:
    revisions = TranscriptRevision.objects.filter(recording__in=recordings)
    return {
        "revisions": _blank(revisions, "text", "comment", segments=[]),
        "tasks": _blank(
            Task.objects.filter(recording__in=recordings), "skip_note", "return_comment"
        ),
        "changelog_lines": _blank(
            ReleaseChange.objects.filter(recording__in=recordings), "old_text", "new_text"
        ),
    }


def _erase_upload_metadata(recordings: QuerySet) -> dict[str, int]:
    fields = ("original_filename", "device", "rejection_reason", "asr_error")
    return {
        "recordings": _blank(Recording.objects.filter(pk__in=recordings), *fields),
        "bulk_reports": _erase_bulk_report_names(recordings),
    }


def _erase_bulk_report_names(recordings: QuerySet) -> int:
    """A bulk report's accepted rows name the file each recording came from."""
    ids = set(recordings.values_list("pk", flat=True))
    changed = 0
    uploads = BulkUpload.objects.filter(campaign_id__in=recordings.values("campaign_id"))
    for upload in uploads.exclude(report={}).select_for_update(no_key=True):
        rows = upload.report.get("accepted", [])
        named = [row for row in rows if row.get("recording") in ids and row.get("file")]
        for row in named:
            row["file"] = ""
        if named:
            upload.save(update_fields=["report"])
            changed += 1
    return changed


def _erase_quotes_elsewhere(speaker: Speaker, recordings: QuerySet) -> dict[str, int]:
    exclusions = Exclusion.objects.filter(Q(recording__in=recordings) | Q(speaker=speaker))
    feedback = FeedbackReport.objects.filter(recording__in=recordings)
    return {
        "exclusion_notes": _blank(exclusions, "note"),
        "feedback_reports": _blank(
            feedback, "heard_text", "user_correction", consent_reference=ERASED_REFERENCE
        ),
    }


@transaction.atomic
def speaker_personal_data_erase(*, speaker: Speaker) -> ConsentAuditEvent | None:
    """Blanks every personal value of a withdrawn speaker. Safe to run twice.

    Returns the audit event when something was erased, None when nothing was left to erase
    and the erasure is already on record.
    """
    if speaker.withdrawn_at is None:
        raise ValueError(f"speaker {speaker.pk} has not withdrawn consent")
    recordings = Recording.objects.filter(speaker=speaker)
    counts = {
        "speaker_demographics": _erase_demographics(speaker),
        "consent_evidence": _erase_consent_evidence(speaker),
        **_erase_transcripts(recordings),
        **_erase_upload_metadata(recordings),
        **_erase_quotes_elsewhere(speaker, recordings),
    }
    # The analytics facts copy demographics and transcripts: rewritten from the erased rows
    # (the clips stop counting as collected, and no personal value stays there).
    clip_fact_refresh(recordings.values_list("pk", flat=True))
    erased = ConsentAuditEvent.Action.DATA_ERASED
    if not any(counts.values()) and speaker.audit_events.filter(action=erased).exists():
        return None
    versions = ConsentRecord.objects.filter(speaker=speaker).values_list(
        "document__version", flat=True
    )
    return ConsentAuditEvent.objects.create(
        speaker=speaker,
        action=erased,
        counts=counts,
        consent_versions=sorted(set(versions)),
    )


def recordings_pending_deletion(speaker: Speaker | OuterRef) -> QuerySet[Recording]:
    """The speaker's recordings that still have a file or are not yet marked withdrawn (of the
    outer query's speaker, given an OuterRef)."""
    return Recording.objects.filter(speaker=speaker).exclude(
        status=Recording.Status.WITHDRAWN, raw_file="", normalised_file="", peaks_file=""
    )


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
    for recording_id in recordings_pending_deletion(speaker).values_list("pk", flat=True):
        with transaction.atomic():
            recording = Recording.objects.select_for_update(no_key=True).get(pk=recording_id)
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
