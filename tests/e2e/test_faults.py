"""Faults with real processes: workers killed with SIGKILL, and a Redis that restarts and loses
its queue. Every job still ends in a terminal state, nothing is half published, nothing is
done twice."""

import hashlib
import io
import signal
import socket
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Model
from kombu import pools

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.erasure import recordings_pending_deletion
from labelhub.jobs import jobs_reap
from labelhub.recordings.bulk import bulk_upload
from labelhub.recordings.models import BulkUpload, Recording
from labelhub.releases.models import Release, ReleaseItem
from labelhub.releases.services import release_create
from labelhub.speakers.models import ConsentAuditEvent, Speaker
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw
from tests.audio_samples import speak
from tests.conftest import stored_files
from tests.e2e.conftest import StartWorker
from tests.factories import CampaignFactory, ConsentRecordFactory, RecordingFactory, UserFactory
from tests.releases.helpers import approved_clip
from workers.celery import app

pytestmark = pytest.mark.e2e

# Short limits, so the reaper in these tests acts within seconds rather than an hour.
FAST_REAPER = {
    "BULK_UPLOAD_TIME_LIMIT_SECONDS": 2,
    "INGEST_TIME_LIMIT_SECONDS": 2,
    "RELEASE_BUILD_TIME_LIMIT_SECONDS": 2,
    "WITHDRAWAL_TIME_LIMIT_SECONDS": 2,
}
# A worker that takes over a dead one's unacknowledged messages after 5 s.
REDELIVERY = {"CELERY_VISIBILITY_TIMEOUT": "5"}
# Accepted bulk rows go on to ASR; an unknown engine ends those drafts at once, no model loaded.
NO_ASR = {"ASR_ENGINE": "none"}


@pytest.fixture
def fast_reaper(settings) -> None:
    for name, seconds in FAST_REAPER.items():
        setattr(settings, name, seconds)


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def reap_until(condition: Callable[[], object], *, timeout: float, what: str) -> None:
    """Runs the reaper every second, as Celery beat would, until the condition holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        jobs_reap()
        time.sleep(1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def kill_9(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)


def release_with_clips(count: int, *, audio_bytes: int) -> Release:
    campaign = CampaignFactory()
    speaker = ConsentRecordFactory(speaker__campaign=campaign).speaker
    for index in range(count):
        approved_clip(
            campaign, f"clip {index}", speaker=speaker, normalised_file__data=b"\0" * audio_bytes
        )
    return release_create(
        campaign=campaign, client=campaign.client, created_by=UserFactory(role=User.Role.PM)
    )


def own_connection() -> psycopg.Connection:
    """A second connection to the test database, whose locks the workers wait on."""
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"]}
    return psycopg.connect(**params, host=db["HOST"], port=db["PORT"])


@contextmanager
def table_locked(model: type[Model]) -> Iterator[None]:
    """Holds the model's table in SHARE mode from a connection of its own: others read it, and
    whoever writes to it waits until the block ends."""
    with own_connection() as holder:
        table = connection.ops.quote_name(model._meta.db_table)
        holder.execute(f"LOCK TABLE {table} IN SHARE MODE")  # psycopg opened a transaction
        yield
        holder.rollback()


@contextmanager
def rows_locked(model: type[Model], pks: list[int]) -> Iterator[None]:
    """Holds these rows locked FOR UPDATE until the block ends."""
    with own_connection() as holder:
        table = connection.ops.quote_name(model._meta.db_table)
        holder.execute(f"SELECT 1 FROM {table} WHERE id = ANY(%s) FOR UPDATE", [pks])
        yield
        holder.rollback()


def waits_for_lock(model: type[Model]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = %s::regclass AND NOT granted)",
            [model._meta.db_table],
        )
        return bool(cursor.fetchone()[0])


def waits_for_a_row_lock() -> bool:
    # A backend waiting on a row another transaction holds waits on that transaction's id.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks"
            " WHERE locktype = 'transactionid' AND NOT granted)"
        )
        return bool(cursor.fetchone()[0])


def release_zips(media_root: Path, release: Release) -> list[Path]:
    folder = media_root / "releases" / str(release.campaign_id) / f"v{release.version}"
    return [path for path in stored_files(folder) if path.suffix == ".zip"]


def test_kill_9_during_a_release_build_never_half_publishes_and_the_retry_publishes_once(
    start_worker: StartWorker, media_root: Path, fast_reaper: None
) -> None:
    # The kill must land before the build publishes. A size chosen so the build is still
    # running was a race the build won once it got faster (CI, stop 22); holding the items
    # table locked lets the build write its archive and report progress, then makes it wait
    # inside the publishing transaction, where a kill does the most harm.
    clips = 200
    release = release_with_clips(clips, audio_bytes=256 * 1024)
    with table_locked(ReleaseItem):
        first = start_worker()
        wait_until(
            lambda: waits_for_lock(ReleaseItem), timeout=60, what="the build to begin publishing"
        )
        kill_9(first)

    release.refresh_from_db()
    assert release.status == Release.Status.BUILDING, "the build published before the kill"
    assert not ReleaseItem.objects.filter(release=release).exists()
    assert not release.archive

    # The dead worker's message is redelivered, and the reaper requeues it too: both run.
    start_worker(**REDELIVERY)
    reap_until(
        lambda: Release.objects.filter(pk=release.pk).exclude(status="building").exists(),
        timeout=90,
        what="the release to be rebuilt",
    )
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED, release.error
    assert ReleaseItem.objects.filter(release=release).count() == clips
    (archive,) = release_zips(media_root, release)
    assert archive == media_root / release.archive.name
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == release.archive_sha256
    with zipfile.ZipFile(archive) as bundle:
        assert bundle.testzip() is None


def withdrawn_speaker_with_recordings(count: int) -> Speaker:
    speaker = ConsentRecordFactory(speaker__campaign=CampaignFactory()).speaker
    for _ in range(count):
        RecordingFactory(speaker=speaker)
    consent_withdraw(speaker=speaker, method=BY_PM)  # queues the deletion on commit
    return speaker


def purged(speaker: Speaker) -> int:
    return Recording.objects.filter(
        speaker=speaker, status=Recording.Status.WITHDRAWN, raw_file=""
    ).count()


def deletion_events(speaker: Speaker) -> int:
    return speaker.audit_events.filter(action=ConsentAuditEvent.Action.AUDIO_DELETED).count()


def test_kill_9_during_a_withdrawal_deletion_completes_on_the_next_run_with_one_audit_event(
    start_worker: StartWorker, media_root: Path, fast_reaper: None
) -> None:
    # Killed halfway, not by timing (300 recordings against a 20 ms poll was a race): the
    # second half of the recordings, in the order the deletion takes them, stay locked, so the
    # worker purges the first half and then waits.
    recordings = 20
    speaker = withdrawn_speaker_with_recordings(recordings)
    pending = recordings_pending_deletion(speaker)  # the deletion's own query, so its order
    in_deletion_order = list(pending.values_list("pk", flat=True))
    with rows_locked(Recording, in_deletion_order[recordings // 2 :]):
        first = start_worker()
        wait_until(waits_for_a_row_lock, timeout=60, what="the deletion to reach a locked row")
        kill_9(first)

    assert purged(speaker) == recordings // 2
    assert deletion_events(speaker) == 0

    start_worker(**REDELIVERY)
    reap_until(lambda: deletion_events(speaker), timeout=90, what="the deletion to complete")
    time.sleep(2)  # a second delivery (redelivery and reaper both) must not add an event
    assert purged(speaker) == recordings
    assert deletion_events(speaker) == 1
    assert stored_files(media_root) == []


def queued_bulk_upload(tmp_path: Path, monkeypatch, rows: list[str]) -> BulkUpload:
    monkeypatch.setattr("labelhub.recordings.bulk.BULK_SYNC_ROWS", 0)
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
    ConsentRecordFactory(speaker__campaign=campaign, speaker__code="ST-01")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("manifest.csv", "file,speaker_code\n" + "".join(rows))
        for index in range(len(rows)):
            clip = speak(f"take number {index} of the studio", tmp_path / f"{index}.wav")
            bundle.writestr(f"{index}.wav", clip.read_bytes())
    return bulk_upload(
        campaign=campaign,
        archive=SimpleUploadedFile("batch.zip", buffer.getvalue()),
        uploaded_by=UserFactory(role=User.Role.PM),
    )


def bulk_zips(media_root: Path) -> list[Path]:
    return stored_files(media_root / "bulk")


def test_a_bulk_upload_whose_worker_is_killed_ends_failed_with_a_reason_and_no_archive(
    start_worker: StartWorker, tmp_path: Path, media_root: Path, monkeypatch, fast_reaper: None
) -> None:
    upload = queued_bulk_upload(tmp_path, monkeypatch, [f"{i}.wav,ST-01\n" for i in range(20)])
    assert len(bulk_zips(media_root)) == 1
    worker = start_worker(**NO_ASR)

    wait_until(
        lambda: BulkUpload.objects.filter(pk=upload.pk, progress__gt=0).exists(),
        timeout=60,
        what="the upload to be processed",
    )
    kill_9(worker)
    upload.refresh_from_db()
    assert upload.status == BulkUpload.Status.RUNNING, "the upload finished before the kill"

    reap_until(
        lambda: BulkUpload.objects.filter(pk=upload.pk, status="failed").exists(),
        timeout=30,
        what="the reaper to end the upload",
    )
    upload.refresh_from_db()
    assert upload.error_code == "job_failed" and upload.error
    assert bulk_zips(media_root) == []


def test_a_bulk_upload_whose_task_raises_in_the_worker_ends_with_no_archive(
    start_worker: StartWorker, tmp_path: Path, media_root: Path, monkeypatch
) -> None:
    # A NUL byte in a speaker code once made the task raise and left the upload running forever.
    upload = queued_bulk_upload(tmp_path, monkeypatch, ["0.wav,ST\x0001\n", "1.wav,ST-01\n"])
    start_worker(**NO_ASR)

    wait_until(
        lambda: BulkUpload.objects.filter(pk=upload.pk, status__in=["done", "failed"]).exists(),
        timeout=60,
        what="the upload to end",
    )
    upload.refresh_from_db()
    assert upload.status == BulkUpload.Status.DONE or upload.error
    assert bulk_zips(media_root) == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of this test's own, without persistence: a restart loses every message."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def broker(url: str) -> Iterator[None]:
    """Points this process's Celery app at another broker, as a web process configured so."""
    previous = app.conf.broker_url

    def switch(to: str) -> None:
        # The app's pools come from kombu's registry, keyed by broker address: closing one and
        # leaving it there hands the closed pool back when we switch to that address again.
        pools.reset()
        app.conf.broker_url = to
        app._pool = None
        app.amqp._producer_pool = None

    switch(url)
    try:
        yield
    finally:
        switch(previous)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        with broker(server.url):
            yield server
    finally:
        server.stop()


def test_a_redis_restart_with_tasks_in_flight_still_ends_every_job(
    own_redis: RedisServer,
    start_worker: StartWorker,
    tmp_path: Path,
    media_root: Path,
    monkeypatch,
    fast_reaper: None,
    settings,
) -> None:
    settings.RELEASE_BUILD_TIME_LIMIT_SECONDS = 4  # the builds queue behind one another
    start_worker(REDIS_URL=own_redis.url, **REDELIVERY, **NO_ASR)
    releases = [release_with_clips(150, audio_bytes=64 * 1024) for _ in range(2)]
    speaker = withdrawn_speaker_with_recordings(50)
    upload = queued_bulk_upload(tmp_path, monkeypatch, ["0.wav,ST-01\n", "1.wav,ST-01\n"])
    wait_until(
        lambda: Release.objects.filter(progress__gt=0).exists() or purged(speaker),
        timeout=60,
        what="the first job to start",
    )

    own_redis.stop()  # every queued and unacknowledged message is lost
    own_redis.start()

    def every_job_ended() -> bool:
        building = Release.objects.filter(pk__in=[r.pk for r in releases], status="building")
        upload.refresh_from_db()
        return (
            not building.exists()
            and deletion_events(speaker) == 1
            and upload.status not in (BulkUpload.Status.QUEUED, BulkUpload.Status.RUNNING)
        )

    reap_until(every_job_ended, timeout=120, what="every job to end after the restart")
    for release in releases:
        release.refresh_from_db()
        published = release.status == Release.Status.PUBLISHED
        assert published or release.error  # failed only with a reason, after its tries
        assert len(release_zips(media_root, release)) == int(published)
    assert purged(speaker) == 50
    assert upload.status == BulkUpload.Status.DONE or upload.error
    assert bulk_zips(media_root) == []
