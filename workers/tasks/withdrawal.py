from celery import shared_task

from labelhub.jobs import speaker_audio_delete_fail, speaker_audio_delete_run
from workers.jobs import JobTask


@shared_task(
    base=JobTask,
    name="workers.tasks.withdrawal.speaker_audio_delete",
    job_fail=staticmethod(speaker_audio_delete_fail),
)
def speaker_audio_delete_task(speaker_id: int) -> None:
    speaker_audio_delete_run(speaker_id)
