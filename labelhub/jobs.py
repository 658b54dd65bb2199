"""The reaper: no long job stays queued or running forever.

Workers end a job that raises through its "fail" service (workers.jobs). What no worker can
report, a worker killed with SIGKILL, a lost queue (Redis restarted without persistence), a
message never sent, the reaper finds: a job with no sign of life (queued, started, progress)
for its time limit is requeued while it has had fewer than JOBS_MAX_ATTEMPTS tries (runs
started plus requeues), and marked failed with the reason after that; its leftover files go
with it, and so do the scratch files of builds killed while writing them. Every requeued task
is safe to run twice. Run it with `manage.py jobs_reap`, or by Celery beat every
JOBS_REAP_INTERVAL_SECONDS.
"""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from labelhub.dispatch import enqueue
from labelhub.erasure import recordings_pending_deletion, speaker_audio_delete
from labelhub.job_runs import gave_up_reason, run_begin, runs_exhausted
from labelhub.labeling.drafts import recording_draft_fail
from labelhub.recordings.bulk import bulk_upload_fail
from labelhub.recordings.models import BulkUpload, Recording
from labelhub.recordings.services import recording_ingest_fail, transcribe_enqueue
from labelhub.releases.models import Release, ReleaseRendition
from labelhub.releases.rendition_services import rendition_fail
from labelhub.releases.services import release_fail
from labelhub.speakers.models import ConsentAuditEvent, Speaker
from labelhub.storage import storage_scratch_sweep

logger = logging.getLogger(__name__)


def audio_deletion_unfinished() -> QuerySet:
    """Withdrawn speakers whose audio deletion has not completed, nor failed for good."""
    files_left = recordings_pending_deletion(OuterRef("pk"))
    deleted = ConsentAuditEvent.objects.filter(
        speaker=OuterRef("pk"), action=ConsentAuditEvent.Action.AUDIO_DELETED
    )
    given_up = Q(audio_deletion_attempts__gte=settings.JOBS_MAX_ATTEMPTS) & ~Q(
        audio_deletion_error=""
    )
    return (
        Speaker.objects.filter(withdrawn_at__isnull=False)
        .filter(Q(Exists(files_left)) | ~Q(Exists(deleted)))
        .exclude(given_up)
    )


def speaker_audio_delete_run(speaker_id: int) -> ConsentAuditEvent | None:
    """The worker's audio deletion, counted as a job run (see labelhub.job_runs)."""
    speaker = Speaker.objects.filter(pk=speaker_id)
    runs = run_begin(
        speaker, attempts="audio_deletion_attempts", heartbeat="audio_deletion_heartbeat_at"
    )
    if runs_exhausted(runs):
        speaker_audio_delete_fail(speaker_id, reason=gave_up_reason(runs))
        return None
    event = speaker_audio_delete(speaker_id=speaker_id)
    speaker.update(audio_deletion_error="", audio_deletion_attempts=0)  # done: count anew
    return event


def speaker_audio_delete_fail(speaker_id: int, *, reason: str) -> None:
    """Records why a speaker's audio deletion failed. The reaper requeues it while it has runs
    left; after that the reason stays on the speaker for a person to act on."""
    logger.error("speaker %s: audio deletion failed: %s", speaker_id, reason)
    Speaker.objects.filter(pk=speaker_id).update(audio_deletion_error=reason[:2000] or "failed")


@dataclass(frozen=True)
class JobKind:
    """How the reaper finds, requeues and fails one kind of job."""

    name: str
    unfinished: Callable[[], QuerySet]
    seen: tuple[str, ...]  # the fields that show a sign of life, the first one set counts
    attempts: str
    limit_setting: str
    requeue: Callable[[int], object]
    fail: Callable[..., object]
    # Whether this job may run again; a started bulk upload may not (see bulk_upload_process).
    rerunnable: Callable[[Any], bool] = lambda job: True

    @property
    def heartbeat(self) -> str:
        return self.seen[0]


def _send(task_name: str) -> Callable[[int], None]:
    # By name, as the services' on-commit dispatch does, without importing the task modules.
    return lambda job_id: enqueue(task_name, job_id)


def _draft_requeue(recording_id: int) -> None:
    transcribe_enqueue(recording=Recording.objects.get(pk=recording_id))


def _unfinished_drafts() -> QuerySet:
    # A recording with a transcript already (imported, or drafted before) needs no draft.
    return Recording.objects.filter(
        status=Recording.Status.READY,
        asr_status__in=[Recording.AsrStatus.PENDING, Recording.AsrStatus.RUNNING],
        revisions__isnull=True,
    )


def _unfinished_uploads() -> QuerySet:
    return BulkUpload.objects.filter(
        status__in=[BulkUpload.Status.QUEUED, BulkUpload.Status.RUNNING]
    )


JOB_KINDS = (
    JobKind(
        name="bulk_upload",
        unfinished=_unfinished_uploads,
        seen=("heartbeat_at", "created_at"),
        attempts="attempts",
        limit_setting="BULK_UPLOAD_TIME_LIMIT_SECONDS",
        requeue=_send("workers.tasks.ingest.bulk_upload_process"),
        fail=bulk_upload_fail,
        rerunnable=lambda upload: upload.status == BulkUpload.Status.QUEUED,
    ),
    JobKind(
        name="ingest",
        unfinished=lambda: Recording.objects.filter(status=Recording.Status.RECEIVED),
        seen=("ingest_heartbeat_at", "created_at"),
        attempts="ingest_attempts",
        limit_setting="INGEST_TIME_LIMIT_SECONDS",
        requeue=_send("workers.tasks.ingest.recording_ingest"),
        fail=recording_ingest_fail,
    ),
    JobKind(
        name="asr_draft",
        unfinished=_unfinished_drafts,
        seen=("asr_heartbeat_at", "asr_claimed_at", "ingested_at", "created_at"),
        attempts="asr_attempts",
        limit_setting="ASR_JOB_TIME_LIMIT_SECONDS",
        requeue=_draft_requeue,
        fail=recording_draft_fail,
    ),
    JobKind(
        name="release_build",
        unfinished=lambda: Release.objects.filter(status=Release.Status.BUILDING),
        seen=("heartbeat_at", "created_at"),
        attempts="attempts",
        limit_setting="RELEASE_BUILD_TIME_LIMIT_SECONDS",
        requeue=_send("workers.tasks.releases.release_build"),
        fail=release_fail,
    ),
    JobKind(
        name="rendition_build",
        unfinished=lambda: ReleaseRendition.objects.filter(status=ReleaseRendition.Status.BUILDING),
        seen=("heartbeat_at", "created_at"),
        attempts="attempts",
        # A rendition writes the same archive as its version's build: the same time limit.
        limit_setting="RELEASE_BUILD_TIME_LIMIT_SECONDS",
        requeue=_send("workers.tasks.releases.rendition_build"),
        fail=rendition_fail,
    ),
    JobKind(
        name="audio_deletion",
        unfinished=audio_deletion_unfinished,
        seen=("audio_deletion_heartbeat_at", "withdrawn_at"),
        attempts="audio_deletion_attempts",
        limit_setting="WITHDRAWAL_TIME_LIMIT_SECONDS",
        requeue=_send("workers.tasks.withdrawal.speaker_audio_delete"),
        fail=speaker_audio_delete_fail,
    ),
)


def jobs_reap(*, now: datetime | None = None) -> dict[str, Counter]:
    """Requeues or fails every stale job; returns {"requeued": ..., "failed": ...} per kind."""
    now = now or timezone.now()
    report: dict[str, Counter] = {"requeued": Counter(), "failed": Counter()}
    for kind in JOB_KINDS:
        _reap(kind, now, report)
    if report["requeued"] or report["failed"]:
        logger.warning("jobs reaped: requeued %s, failed %s", report["requeued"], report["failed"])
    _scratch_sweep(now, report)
    return report


def _scratch_sweep(now: datetime, report: dict[str, Counter]) -> None:
    # A build's file unchanged for the build's time limit: its run was killed (a live one
    # writes all along, and the reaper would have ended it by now anyway).
    cutoff = now - timedelta(seconds=settings.RELEASE_BUILD_TIME_LIMIT_SECONDS)
    deleted = storage_scratch_sweep(unchanged_since=cutoff.timestamp())
    if deleted:
        report.setdefault("deleted", Counter())["scratch_files"] += deleted
        logger.warning("jobs reaped: deleted %s scratch files of killed runs", deleted)


def _reap(kind: JobKind, now: datetime, report: dict[str, Counter]) -> None:
    limit = getattr(settings, kind.limit_setting)
    stale = (
        kind.unfinished()
        .annotate(seen=Coalesce(*kind.seen))
        .filter(seen__lt=now - timedelta(seconds=limit))
    )
    for job in stale:
        retry = kind.rerunnable(job) and getattr(job, kind.attempts) < settings.JOBS_MAX_ATTEMPTS
        # Stamping the heartbeat claims the job: a second reaper running at once finds it fresh.
        # A requeue counts as a try, so a job whose message keeps vanishing ends too.
        claim = {kind.heartbeat: now, **({kind.attempts: F(kind.attempts) + 1} if retry else {})}
        if not stale.filter(pk=job.pk).update(**claim):
            continue
        if retry:
            kind.requeue(job.pk)
            report["requeued"][kind.name] += 1
        else:
            kind.fail(job.pk, reason=_reason(limit))
            report["failed"][kind.name] += 1


def _reason(limit_seconds: int) -> str:
    return (
        f"no sign of life for {limit_seconds} s and no try left "
        "(the worker died or the queue lost the task)"
    )
