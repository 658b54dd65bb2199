from celery import shared_task

from labelhub.releases.services import release_build, release_fail
from workers.jobs import JobTask


@shared_task(
    base=JobTask, name="workers.tasks.releases.release_build", job_fail=staticmethod(release_fail)
)
def release_build_task(release_id: int) -> None:
    release_build(release_id=release_id)
