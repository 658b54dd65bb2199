from celery import shared_task

from labelhub.releases.rendition_services import rendition_fail, rendition_run
from labelhub.releases.services import release_build, release_fail
from workers.jobs import JobTask


@shared_task(
    base=JobTask, name="workers.tasks.releases.release_build", job_fail=staticmethod(release_fail)
)
def release_build_task(release_id: int) -> None:
    release_build(release_id=release_id)


@shared_task(
    base=JobTask,
    name="workers.tasks.releases.rendition_build",
    job_fail=staticmethod(rendition_fail),
)
def rendition_build_task(rendition_id: int) -> None:
    rendition_run(rendition_id=rendition_id)
