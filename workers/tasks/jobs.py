from celery import shared_task

from labelhub.jobs import jobs_reap


@shared_task(name="workers.tasks.jobs.jobs_reap")
def jobs_reap_task() -> dict[str, dict[str, int]]:
    report = jobs_reap()
    return {outcome: dict(counts) for outcome, counts in report.items()}
