"""Every long job ends in a terminal state with a reason: a task that raises ends its job through
the failure signal, and the reaper requeues or fails jobs that show no sign of life."""

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.jobs import jobs_reap
from labelhub.recordings.bulk import bulk_upload
from labelhub.recordings.models import BulkUpload, Recording
from labelhub.recordings.services import recording_upload
from labelhub.releases.models import Release, ReleaseItem
from labelhub.releases.services import release_build, release_create
from labelhub.speakers.models import ConsentAuditEvent
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw
from labelhub.storage import SCRATCH_FOLDER
from tests.audio_samples import speak
from tests.conftest import stored_files
from tests.factories import CampaignFactory, ConsentRecordFactory, RecordingFactory, UserFactory
from tests.releases.helpers import approved_clip
from workers.celery import app
from workers.tasks.ingest import bulk_upload_process_task, recording_ingest_task
from workers.tasks.releases import release_build_task
from workers.tasks.withdrawal import speaker_audio_delete_task

pytestmark = pytest.mark.django_db

HEADER = "file,speaker_code\n"


@pytest.fixture
def campaign() -> Campaign:
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
    ConsentRecordFactory(speaker__campaign=campaign, speaker__code="ST-01")
    return campaign


@pytest.fixture
def queue():
    """This test's Redis queue, emptied before and after: returns how many messages wait."""
    app.control.purge()
    yield app.control.purge
    app.control.purge()


def block_storage_folder(media_root: Path, folder: str) -> None:
    # A file where storage needs a folder: every save under it fails, as a full or broken disk
    # would, without touching the code that saves.
    (media_root / folder).write_bytes(b"")


def queued_bulk_upload(campaign: Campaign, tmp_path: Path, monkeypatch, manifest: str) -> int:
    monkeypatch.setattr("labelhub.recordings.bulk.BULK_SYNC_ROWS", 0)
    clip = speak("turn on the television", tmp_path / "tv.wav").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("manifest.csv", manifest)
        bundle.writestr("tv.wav", clip)
    upload = bulk_upload(
        campaign=campaign,
        archive=SimpleUploadedFile("batch.zip", buffer.getvalue()),
        uploaded_by=UserFactory(role=User.Role.PM),
    )
    assert upload.status == BulkUpload.Status.QUEUED
    return upload.pk


def zips(media_root: Path) -> list[Path]:
    return [path for path in stored_files(media_root) if path.suffix == ".zip"]


def test_a_bulk_upload_whose_task_raises_ends_failed_with_the_reason_and_no_archive(
    campaign, tmp_path: Path, media_root: Path, monkeypatch
) -> None:
    upload_id = queued_bulk_upload(campaign, tmp_path, monkeypatch, HEADER + "tv.wav,ST-01\n")
    block_storage_folder(media_root, "raw")

    bulk_upload_process_task.apply(args=[upload_id])  # what the worker runs

    upload = BulkUpload.objects.get(pk=upload_id)
    assert (upload.status, upload.error_code) == (BulkUpload.Status.FAILED, "job_failed")
    assert upload.error and upload.finished_at is not None
    assert not upload.archive and zips(media_root) == []


def test_the_report_page_of_a_failed_upload_says_why(
    client, campaign, tmp_path: Path, media_root: Path, monkeypatch
) -> None:
    upload_id = queued_bulk_upload(campaign, tmp_path, monkeypatch, HEADER + "tv.wav,ST-01\n")
    block_storage_folder(media_root, "raw")
    bulk_upload_process_task.apply(args=[upload_id])
    upload = BulkUpload.objects.get(pk=upload_id)
    client.force_login(upload.uploaded_by)

    page = client.get(reverse("campaigns:bulk-upload", args=[campaign.pk, upload_id]))

    assert page.status_code == 200
    assert 'id="failed"' in page.text and "Processing stopped before the end" in page.text
    assert upload.error.split(":")[0] in page.text
    assert 'http-equiv="refresh"' not in page.text  # ended: nothing left to wait for


def test_a_nul_byte_in_a_manifest_ends_the_upload_and_removes_its_archive(
    campaign, tmp_path: Path, media_root: Path, monkeypatch
) -> None:
    upload_id = queued_bulk_upload(campaign, tmp_path, monkeypatch, HEADER + "tv.wav,ST\x0001\n")

    bulk_upload_process_task.apply(args=[upload_id])

    upload = BulkUpload.objects.get(pk=upload_id)
    # Refused as a row (input validation) or failed as a job: either way it ended.
    assert upload.status in (BulkUpload.Status.DONE, BulkUpload.Status.FAILED)
    assert upload.status == BulkUpload.Status.DONE or upload.error
    assert zips(media_root) == []


def test_a_bulk_upload_found_running_was_cut_short_and_fails_instead_of_running_twice(
    campaign, tmp_path: Path, media_root: Path, monkeypatch, settings
) -> None:
    upload_id = queued_bulk_upload(campaign, tmp_path, monkeypatch, HEADER + "tv.wav,ST-01\n")
    silent_since = timezone.now() - timedelta(seconds=settings.BULK_UPLOAD_TIME_LIMIT_SECONDS + 1)
    BulkUpload.objects.filter(pk=upload_id).update(
        status=BulkUpload.Status.RUNNING, attempts=1, heartbeat_at=silent_since
    )

    bulk_upload_process_task.apply(args=[upload_id])  # the dead worker's message, redelivered

    upload = BulkUpload.objects.get(pk=upload_id)
    assert upload.status == BulkUpload.Status.FAILED
    assert "stopped before it finished" in upload.error
    assert zips(media_root) == [] and not Recording.objects.exists()


def test_a_duplicate_message_for_a_live_bulk_upload_changes_nothing(
    campaign, tmp_path: Path, media_root: Path, monkeypatch
) -> None:
    upload_id = queued_bulk_upload(campaign, tmp_path, monkeypatch, HEADER + "tv.wav,ST-01\n")
    BulkUpload.objects.filter(pk=upload_id).update(
        status=BulkUpload.Status.RUNNING, attempts=1, heartbeat_at=timezone.now()
    )

    bulk_upload_process_task.apply(args=[upload_id])

    assert BulkUpload.objects.get(pk=upload_id).status == BulkUpload.Status.RUNNING
    assert len(zips(media_root)) == 1


def test_an_ingest_whose_task_raises_rejects_the_recording_with_the_reason(
    consented_speaker, tmp_path: Path, media_root: Path
) -> None:
    clip = speak("switch off the lights", tmp_path / "lights.wav")
    recording = recording_upload(
        speaker=consented_speaker,
        uploaded_file=SimpleUploadedFile("lights.wav", clip.read_bytes()),
        uploaded_by=None,
    )
    block_storage_folder(media_root, "normalised")

    recording_ingest_task.apply(args=[recording.pk])

    recording.refresh_from_db()
    assert (recording.status, recording.rejection_code) == ("rejected", "ingest_failed")
    assert recording.rejection_reason.startswith("ingest failed: ")
    assert default_storage.exists(recording.raw_file.name)  # raw audio is never harmed


def test_a_release_whose_build_raises_fails_with_the_reason_and_leaves_no_archive(
    media_root: Path,
) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign)
    release = release_create(
        campaign=campaign, client=campaign.client, created_by=UserFactory(role=User.Role.PM)
    )
    block_storage_folder(media_root, "releases")

    release_build_task.apply(args=[release.pk])

    release.refresh_from_db()
    assert release.status == Release.Status.FAILED and release.error
    assert zips(media_root) == [] and not release.items.exists()


def test_a_rerun_after_a_crash_publishes_exactly_one_archive(media_root: Path) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign)
    release = release_create(
        campaign=campaign, client=campaign.client, created_by=UserFactory(role=User.Role.PM)
    )
    # What a run killed after storing its archive, before publishing, leaves behind.
    folder = f"releases/{campaign.pk}/v{release.version}"
    default_storage.save(f"{folder}/dead-run/labelhub.zip", ContentFile(b"PK half"))
    Release.objects.filter(pk=release.pk).update(attempts=1)

    release = release_build(release_id=release.pk)
    release_build(release_id=release.pk)  # the dead run's message, redelivered late

    assert release.status == Release.Status.PUBLISHED
    assert [path.name for path in zips(media_root)] == [Path(release.archive.name).name]
    assert default_storage.exists(release.archive.name)
    assert ReleaseItem.objects.filter(release=release).count() == 1


def test_a_release_that_killed_every_worker_gives_up_with_the_reason(
    media_root: Path, settings
) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign)
    release = release_create(
        campaign=campaign, client=campaign.client, created_by=UserFactory(role=User.Role.PM)
    )
    tries = settings.JOBS_MAX_ATTEMPTS
    Release.objects.filter(pk=release.pk).update(attempts=tries)  # every run so far died

    release = release_build(release_id=release.pk)

    assert release.status == Release.Status.FAILED
    assert release.error.startswith(f"gave up after {tries} tries")


def later(seconds: int):
    return timezone.now() + timedelta(seconds=seconds + 1)


def test_the_reaper_requeues_a_release_whose_message_was_lost(queue, settings) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign)
    release = release_create(
        campaign=campaign, client=campaign.client, created_by=UserFactory(role=User.Role.PM)
    )

    report = jobs_reap(now=later(settings.RELEASE_BUILD_TIME_LIMIT_SECONDS))

    assert report["requeued"] == {"release_build": 1}
    assert queue() == 1  # one message for a worker, which then builds it
    assert release_build(release_id=release.pk).status == Release.Status.PUBLISHED


def test_a_release_whose_message_keeps_vanishing_fails_after_its_tries(queue, settings) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign)
    release = release_create(
        campaign=campaign, client=campaign.client, created_by=UserFactory(role=User.Role.PM)
    )
    limit = settings.RELEASE_BUILD_TIME_LIMIT_SECONDS

    for tries in range(1, settings.JOBS_MAX_ATTEMPTS + 2):
        jobs_reap(now=later(limit * tries))
        queue()  # the queue loses every message again

    release.refresh_from_db()
    assert release.status == Release.Status.FAILED and "no try left" in release.error


def test_the_reaper_leaves_jobs_with_a_recent_sign_of_life_alone(queue, settings) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign)
    release_create(
        campaign=campaign, client=campaign.client, created_by=UserFactory(role=User.Role.PM)
    )

    report = jobs_reap(now=timezone.now() + timedelta(seconds=60))

    assert (report["requeued"], report["failed"]) == ({}, {})
    assert queue() == 0


def test_the_reaper_fails_a_release_out_of_runs_and_deletes_its_partial_files(
    queue, settings, media_root: Path
) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign)
    release = release_create(
        campaign=campaign, client=campaign.client, created_by=UserFactory(role=User.Role.PM)
    )
    Release.objects.filter(pk=release.pk).update(attempts=settings.JOBS_MAX_ATTEMPTS)
    default_storage.save(
        f"releases/{campaign.pk}/v{release.version}/dead/x.zip", ContentFile(b"PK")
    )

    report = jobs_reap(now=later(settings.RELEASE_BUILD_TIME_LIMIT_SECONDS))

    release.refresh_from_db()
    assert report["failed"] == {"release_build": 1}
    assert release.status == Release.Status.FAILED
    assert "no sign of life" in release.error
    assert zips(media_root) == [] and queue() == 0


def test_the_reaper_deletes_a_scratch_file_a_killed_build_left_and_no_live_one(
    media_root: Path, settings
) -> None:
    scratch = media_root / SCRATCH_FOLDER
    scratch.mkdir()
    (scratch / "0f.labelhub.zip.partial").write_bytes(b"PK half an archive")

    assert "deleted" not in jobs_reap(now=timezone.now() + timedelta(seconds=60))
    report = jobs_reap(now=later(settings.RELEASE_BUILD_TIME_LIMIT_SECONDS))

    assert report["deleted"] == {"scratch_files": 1}
    assert list(scratch.iterdir()) == []


def test_the_reaper_fails_a_stuck_bulk_upload_and_deletes_its_archive(
    campaign, tmp_path: Path, media_root: Path, monkeypatch, queue, settings
) -> None:
    upload_id = queued_bulk_upload(campaign, tmp_path, monkeypatch, HEADER + "tv.wav,ST-01\n")
    BulkUpload.objects.filter(pk=upload_id).update(status=BulkUpload.Status.RUNNING, attempts=1)

    report = jobs_reap(now=later(settings.BULK_UPLOAD_TIME_LIMIT_SECONDS))

    upload = BulkUpload.objects.get(pk=upload_id)
    assert report["failed"] == {"bulk_upload": 1}
    assert (upload.status, upload.error_code) == (BulkUpload.Status.FAILED, "job_failed")
    assert zips(media_root) == [] and queue() == 0


def test_the_reaper_requeues_a_bulk_upload_that_never_started(
    campaign, tmp_path: Path, monkeypatch, queue, settings
) -> None:
    upload_id = queued_bulk_upload(campaign, tmp_path, monkeypatch, HEADER + "tv.wav,ST-01\n")

    report = jobs_reap(now=later(settings.BULK_UPLOAD_TIME_LIMIT_SECONDS))

    assert report["requeued"] == {"bulk_upload": 1} and queue() == 1
    assert BulkUpload.objects.get(pk=upload_id).status == BulkUpload.Status.QUEUED


def test_the_reaper_requeues_an_ingest_and_rejects_one_out_of_runs(
    consented_speaker, queue, settings
) -> None:
    waiting = RecordingFactory(speaker=consented_speaker, status=Recording.Status.RECEIVED)
    dead = RecordingFactory(
        speaker=consented_speaker,
        status=Recording.Status.RECEIVED,
        ingest_attempts=settings.JOBS_MAX_ATTEMPTS,
    )

    report = jobs_reap(now=later(settings.INGEST_TIME_LIMIT_SECONDS))

    assert (report["requeued"], report["failed"]) == ({"ingest": 1}, {"ingest": 1})
    assert queue() == 1
    dead.refresh_from_db()
    waiting.refresh_from_db()
    assert (dead.status, dead.rejection_code) == ("rejected", "ingest_failed")
    assert waiting.status == Recording.Status.RECEIVED


def test_the_reaper_requeues_a_draft_and_fails_one_out_of_runs(
    consented_speaker, queue, settings
) -> None:
    RecordingFactory(speaker=consented_speaker, asr_status=Recording.AsrStatus.PENDING)
    dead = RecordingFactory(
        speaker=consented_speaker,
        asr_status=Recording.AsrStatus.RUNNING,
        asr_attempts=settings.JOBS_MAX_ATTEMPTS,
    )

    report = jobs_reap(now=later(settings.ASR_JOB_TIME_LIMIT_SECONDS))

    assert (report["requeued"], report["failed"]) == ({"asr_draft": 1}, {"asr_draft": 1})
    dead.refresh_from_db()
    assert dead.asr_status == Recording.AsrStatus.FAILED and "no sign of life" in dead.asr_error


def test_the_reaper_requeues_a_withdrawn_speakers_unfinished_audio_deletion(
    consented_speaker, queue, settings, media_root: Path
) -> None:
    RecordingFactory(speaker=consented_speaker)
    consent_withdraw(speaker=consented_speaker, method=BY_PM)  # its on-commit message is lost

    report = jobs_reap(now=later(settings.WITHDRAWAL_TIME_LIMIT_SECONDS))

    assert report["requeued"] == {"audio_deletion": 1} and queue() == 1
    speaker_audio_delete_task.apply(args=[consented_speaker.pk])  # the requeued run
    assert stored_files(media_root) == []
    events = consented_speaker.audit_events.filter(action=ConsentAuditEvent.Action.AUDIO_DELETED)
    assert events.count() == 1
    assert jobs_reap(now=later(settings.WITHDRAWAL_TIME_LIMIT_SECONDS))["requeued"] == {}


def test_an_audio_deletion_that_raises_keeps_its_reason_and_is_requeued_until_it_completes(
    consented_speaker, queue, settings, media_root: Path
) -> None:
    recording = RecordingFactory(speaker=consented_speaker)
    raw = media_root / recording.raw_file.name
    raw.unlink()
    raw.mkdir()
    (raw / "held").write_bytes(b"")  # storage cannot delete this "file": a broken store
    consent_withdraw(speaker=consented_speaker, method=BY_PM)

    speaker_audio_delete_task.apply(args=[consented_speaker.pk])

    consented_speaker.refresh_from_db()
    assert consented_speaker.audio_deletion_attempts == 1
    assert consented_speaker.audio_deletion_error.startswith("OSError")
    assert jobs_reap(now=later(settings.WITHDRAWAL_TIME_LIMIT_SECONDS))["requeued"] == {
        "audio_deletion": 1
    }
    (raw / "held").unlink()  # the store is repaired
    speaker_audio_delete_task.apply(args=[consented_speaker.pk])
    consented_speaker.refresh_from_db()
    assert consented_speaker.audio_deletion_error == ""
    assert stored_files(media_root) == []


def test_the_jobs_reap_command_reports_what_it_did(settings, queue) -> None:
    out = io.StringIO()

    call_command("jobs_reap", stdout=out)

    assert out.getvalue() == "requeued: none\nfailed: none\n"


def test_celery_beat_runs_the_reaper_every_interval(settings) -> None:
    entry = app.conf.beat_schedule["jobs-reap"]  # what `celery -A workers beat` reads

    app.loader.import_default_modules()  # what a worker or beat process loads at start
    assert entry["task"] in app.tasks
    assert entry["schedule"] == settings.JOBS_REAP_INTERVAL_SECONDS
