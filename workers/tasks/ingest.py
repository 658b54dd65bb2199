from celery import shared_task

from labelhub.recordings.services import recording_ingest


@shared_task(name="workers.tasks.ingest.recording_ingest")
def recording_ingest_task(recording_id: int) -> None:
    recording_ingest(recording_id=recording_id)
