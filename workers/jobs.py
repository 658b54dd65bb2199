"""Tasks that run a long job end it when they fail: no job waits forever on a dead task.

A JobTask names the service that marks its job failed (its first argument is the job's id).
Celery's task_failure signal covers what on_failure alone would miss: it is sent in the
worker's child for an exception the task raised, and in the parent for a hard time limit.
A worker killed outright (SIGKILL, OOM) sends nothing; the reaper (labelhub.jobs) finds those.
"""

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from celery.signals import task_failure

logger = logging.getLogger(__name__)


class JobTask(Task):
    abstract = True
    # The job's "mark failed with this reason" service: fail(job_id, reason=...).
    job_fail: Callable[..., object] | None = None


def failure_reason(exception: BaseException | None) -> str:
    if exception is None:
        return "the task failed"
    return (
        f"{type(exception).__name__}: {exception}" if str(exception) else type(exception).__name__
    )


@task_failure.connect
def _end_failed_job(
    sender: Task | None = None,
    exception: BaseException | None = None,
    args: tuple | None = None,
    **_kwargs: Any,
) -> None:
    fail = getattr(sender, "job_fail", None)
    if sender is None or fail is None or not args:
        return
    try:
        fail(args[0], reason=failure_reason(exception))
    except Exception:  # the database may be what failed; the reaper retries
        logger.exception("could not mark job %s of %s failed", args[0], sender.name)
