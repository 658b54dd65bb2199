from celery import shared_task

from labelhub.recordings.bulk import bulk_upload_fail, bulk_upload_process
from labelhub.recordings.services import recording_ingest, recording_ingest_fail
from workers.jobs import JobTask


@shared_task(
    base=JobTask,
    name="workers.tasks.ingest.recording_ingest",
    job_fail=staticmethod(recording_ingest_fail),
)
def recording_ingest_task(recording_id: int) -> None:
    recording_ingest(recording_id=recording_id)


@shared_task(
    base=JobTask,
    name="workers.tasks.ingest.bulk_upload_process",
    job_fail=staticmethod(bulk_upload_fail),
)
def bulk_upload_process_task(bulk_upload_id: int) -> None:
    bulk_upload_process(bulk_upload_id=bulk_upload_id)
