from celery import shared_task

from labelhub.recordings.bulk import bulk_upload_process
from labelhub.recordings.services import recording_ingest


@shared_task(name="workers.tasks.ingest.recording_ingest")
def recording_ingest_task(recording_id: int) -> None:
    recording_ingest(recording_id=recording_id)


@shared_task(name="workers.tasks.ingest.bulk_upload_process")
def bulk_upload_process_task(bulk_upload_id: int) -> None:
    bulk_upload_process(bulk_upload_id=bulk_upload_id)
