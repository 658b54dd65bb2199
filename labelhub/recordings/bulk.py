"""Studio bulk upload: a ZIP of audio files plus one CSV manifest, checked row by row.

The archive's structure is checked at once (bulk_archive: hostile archives are refused whole,
nothing stored). Each row then goes through recording_collect like any other collection, so a
bad row (unknown speaker, non-audio file, duplicate audio, a two-hour file) is rejected on its
own with a reason and the good rows are stored.

Small uploads are processed in the request; larger ones by a worker, with progress on the
BulkUpload row. Probing and hashing run at about 4 rows/s on a busy two-core host, so only
BULK_SYNC_ROWS rows are worth making a browser wait for.
"""

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, CollectionChannel, Prompt, RecordingEnvironment
from labelhub.campaigns.services import campaign_require_collecting
from labelhub.dispatch import enqueue_on_commit
from labelhub.errors import DomainError
from labelhub.recordings.audio import AudioRejected
from labelhub.recordings.bulk_archive import (
    BulkRefused,
    archive_check,
    archive_extract,
    archive_open,
)
from labelhub.recordings.models import BulkUpload
from labelhub.recordings.services import recording_collect
from labelhub.speakers.models import Speaker
from labelhub.storage import local_path, store_file
from labelhub.validation import InvalidText, first_text_problem, printable

BULK_SYNC_ROWS = 20


@dataclass
class BulkReport:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted_count": len(self.accepted),
            "rejected_count": len(self.rejected),
            "accepted": self.accepted,
            "rejected": self.rejected,
        }


def bulk_upload(*, campaign: Campaign, archive: UploadedFile, uploaded_by: User) -> BulkUpload:
    """Checks a studio ZIP now; processes it now when small, else queues it for a worker.

    Raises BulkRefused (400) for a hostile or malformed archive, with nothing stored.
    """
    campaign_require_collecting(campaign=campaign)
    with tempfile.TemporaryDirectory() as tmp:
        zip_path = Path(tmp) / "upload.zip"
        _save_capped(archive, zip_path, limit=settings.MAX_UPLOAD_BYTES)
        with archive_open(zip_path) as bundle:
            rows = len(archive_check(bundle).rows)
        upload = BulkUpload(campaign=campaign, uploaded_by=uploaded_by, row_count=rows)
        if rows <= BULK_SYNC_ROWS:
            report = _process(campaign, zip_path, uploaded_by, Path(tmp) / "files")
            _finish(upload, report)
            return upload
        upload.archive.name = store_file(
            path=zip_path, name=f"bulk/{campaign.pk}/{uuid.uuid4()}.zip"
        )
        upload.heartbeat_at = timezone.now()
    try:
        with transaction.atomic():
            upload.save()
            enqueue_on_commit("workers.tasks.ingest.bulk_upload_process", upload.pk)
    except BaseException:
        upload.archive.delete(save=False)  # no row, no archive left waiting for nobody
        raise
    return upload


UNFINISHED = (BulkUpload.Status.QUEUED, BulkUpload.Status.RUNNING)


def bulk_upload_process(*, bulk_upload_id: int) -> BulkUpload:
    """The worker's part. Safe to run twice: a finished upload is left as it is.

    An upload found running with no sign of life for BULK_UPLOAD_TIME_LIMIT_SECONDS was started
    by a worker that died. It is not run again (the rows that run stored would come back as
    duplicates and the report would lie): it fails with the reason, and so does an upload whose
    processing raises (see workers.jobs).
    """
    upload = BulkUpload.objects.select_related("campaign", "uploaded_by").get(pk=bulk_upload_id)
    if upload.status == BulkUpload.Status.RUNNING:
        # A duplicate message while the run is alive changes nothing; a silent run is dead.
        if _silent_for(upload) > settings.BULK_UPLOAD_TIME_LIMIT_SECONDS:
            return bulk_upload_fail(upload.pk, reason=DIED_REASON)
        return upload
    started = BulkUpload.objects.filter(pk=upload.pk, status=BulkUpload.Status.QUEUED).update(
        status=BulkUpload.Status.RUNNING, attempts=F("attempts") + 1, heartbeat_at=timezone.now()
    )
    if not started:
        return upload
    try:
        with local_path(upload.archive) as zip_path, tempfile.TemporaryDirectory() as tmp:
            report = _process(
                upload.campaign,
                zip_path,
                upload.uploaded_by,
                Path(tmp) / "files",
                on_progress=lambda percent: BulkUpload.objects.filter(pk=upload.pk).update(
                    progress=percent, heartbeat_at=timezone.now()
                ),
            )
    except DomainError as refused:  # a lying archive, or the campaign stopped collecting
        return _end(
            upload, BulkUpload.Status.REFUSED, error_code=refused.code, error=refused.message
        )
    return _end(upload, BulkUpload.Status.DONE, report=report.as_dict(), progress=100)


DIED_REASON = "the worker processing this upload stopped before it finished"


def _silent_for(upload: BulkUpload) -> float:
    return (timezone.now() - (upload.heartbeat_at or upload.created_at)).total_seconds()


def bulk_upload_fail(bulk_upload_id: int, *, reason: str) -> BulkUpload:
    """Ends an unfinished upload as failed with the reason and deletes its archive.

    Rows stored before the failure stay (each is a complete recording); a finished upload is
    left as it is.
    """
    upload = BulkUpload.objects.get(pk=bulk_upload_id)
    return _end(upload, BulkUpload.Status.FAILED, error_code="job_failed", error=reason[:2000])


def _end(upload: BulkUpload, status: str, **fields: Any) -> BulkUpload:
    # Only an unfinished upload ends, once: a late run never overwrites the reaper's verdict.
    ended = BulkUpload.objects.filter(pk=upload.pk, status__in=UNFINISHED).update(
        status=status, finished_at=timezone.now(), **fields
    )
    if ended and upload.archive.name:
        upload.archive.delete(save=False)
        BulkUpload.objects.filter(pk=upload.pk).update(archive="")
    upload.refresh_from_db()
    return upload


def _finish(upload: BulkUpload, report: BulkReport) -> None:
    upload.report = report.as_dict()
    upload.status = BulkUpload.Status.DONE
    upload.progress = 100
    upload.finished_at = timezone.now()
    upload.save()


def _process(
    campaign: Campaign,
    zip_path: Path,
    uploaded_by: User,
    folder: Path,
    on_progress: Callable[[int], object] | None = None,
) -> BulkReport:
    campaign_require_collecting(campaign=campaign)
    with archive_open(zip_path) as bundle:
        checked = archive_check(bundle)
        files = archive_extract(bundle, checked, folder)
    report = BulkReport()
    percent = 0
    for index, row in enumerate(checked.rows):
        _process_row(campaign, files, index + 2, row, uploaded_by, report)  # line 1: header
        if on_progress and (now := 100 * (index + 1) // len(checked.rows)) != percent:
            percent = now
            on_progress(percent)
    return report


def _save_capped(upload: UploadedFile, path: Path, *, limit: int) -> None:
    written = 0
    with path.open("wb") as out:
        for chunk in upload.chunks():
            written += len(chunk)
            if written > limit:
                raise BulkRefused(f"the archive is over {limit} bytes", code="too_large")
            out.write(chunk)


def _process_row(
    campaign: Campaign,
    files: dict[str, Path | DomainError],
    number: int,
    row: dict[str, str],
    uploaded_by: User,
    report: BulkReport,
) -> None:
    name = printable(row.get("file", ""))  # goes into the stored report: must be storable
    try:
        if problem := first_text_problem(row):
            raise InvalidText(problem)
        local = files[name]
        if isinstance(local, DomainError):
            raise local
        details = _row_details(campaign, row)
        with local.open("rb") as handle:
            recording = recording_collect(
                uploaded_file=File(handle, name=PurePosixPath(name).name),
                uploaded_by=uploaded_by,
                **details,
            )
    except (DomainError, AudioRejected) as error:
        message = error.message if isinstance(error, DomainError) else error.reason
        report.rejected.append({"row": number, "file": name, "code": error.code, "error": message})
        return
    report.accepted.append(
        {"row": number, "file": name, "recording": recording.pk, "uid": str(recording.uid)}
    )


def _row_details(campaign: Campaign, row: dict[str, str]) -> dict[str, Any]:
    code = row.get("speaker_code", "")
    speaker = Speaker.objects.filter(campaign=campaign, code=code).first()
    if speaker is None:
        raise DomainError(f"speaker '{code}' is not in this campaign", code="unknown_speaker")
    return {
        "speaker": speaker,
        "prompt": _prompt(campaign, row),
        "environment": _named(RecordingEnvironment, campaign, row.get("environment", "")),
        "channel": _named(CollectionChannel, campaign, row.get("channel", "")),
    }


def _prompt(campaign: Campaign, row: dict[str, str]) -> Prompt | None:
    prompt_id, text = row.get("prompt_id", ""), row.get("prompt_text", "")
    prompts = Prompt.objects.filter(campaign=campaign)
    if prompt_id:
        prompt = prompts.filter(external_id=prompt_id).first()
        if prompt is None and prompt_id.isdigit():
            prompt = prompts.filter(pk=int(prompt_id)).first()
        if prompt is None:
            raise DomainError(
                f"prompt '{prompt_id}' is not in this campaign", code="unknown_prompt"
            )
        return prompt
    if text:
        prompt = prompts.filter(text=text).first()
        if prompt is None:
            raise DomainError(f"no prompt of this campaign reads '{text}'", code="unknown_prompt")
        return prompt
    return None


def _named(model: type[Model], campaign: Campaign, name: str) -> Any:
    if not name:
        return None
    found = model._default_manager.filter(campaign=campaign, name=name).first()
    if found is None:
        label = model._meta.verbose_name
        raise DomainError(
            f"{label} '{name}' is not in this campaign", code="unknown_" + model.__name__.lower()
        )
    return found
