from celery import shared_task

from labelhub.speakers.withdrawal import speaker_audio_delete


@shared_task(name="workers.tasks.withdrawal.speaker_audio_delete")
def speaker_audio_delete_task(speaker_id: int) -> None:
    speaker_audio_delete(speaker_id=speaker_id)
