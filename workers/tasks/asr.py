from celery import shared_task

from labelhub.labeling.services import recording_pretranscribe


@shared_task(name="workers.tasks.asr.recording_transcribe")
def recording_transcribe_task(recording_id: int) -> None:
    recording_pretranscribe(recording_id=recording_id)
