from celery import shared_task

from labelhub.releases.services import release_build


@shared_task(name="workers.tasks.releases.release_build")
def release_build_task(release_id: int) -> None:
    release_build(release_id=release_id)
