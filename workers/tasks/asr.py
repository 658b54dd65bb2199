from celery import shared_task
from celery.app.task import Task
from django.db import InterfaceError, OperationalError

from asr import AsrError
from labelhub.labeling.draft_common import DraftInProgress
from labelhub.labeling.drafts import recording_draft_fail, recording_pretranscribe
from workers.jobs import JobTask

# Lost connections and busy databases pass; a missing model or undecodable file does not.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    base=JobTask,
    job_fail=staticmethod(recording_draft_fail),
    name="workers.tasks.asr.recording_transcribe",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def recording_transcribe_task(
    self: Task, recording_id: int, engine: str | None = None, model: str | None = None
) -> int:
    try:
        drafts = recording_pretranscribe(recording_id=recording_id, engine=engine, model=model)
    except DraftInProgress as busy:
        raise self.retry(exc=busy, countdown=15, max_retries=None) from busy
    except AsrError:
        return 0  # permanent: the recording already carries the reason
    return len(drafts)
