"""The Celery app, and how the domain queues a task: by its name, never by importing it.

The task modules (workers.tasks) import the services they run; were the services to import the
tasks back, the two layers would import each other. So a service names the task it wants run
(each task carries an explicit name) and this module sends it through the one Celery app, which
lives here so that the web process and the worker send with the same broker settings.
`celery -A workers worker` still finds it: workers re-exports it with the worker-side handlers.

A long job's task takes the job's id as its first positional argument: the worker's failure
handler (workers.jobs) and the reaper (labelhub.jobs) rely on that.
"""

import os
from collections.abc import Callable, Iterable
from typing import Any

from celery import Celery
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")

app = Celery("labelhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The modules a worker loads its tasks from; by name, so that this module imports none of them.
app.conf.imports = (
    "workers.tasks.ingest",
    "workers.tasks.asr",
    "workers.tasks.releases",
    "workers.tasks.withdrawal",
    "workers.tasks.jobs",
    "workers.tasks.analytics",
)


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **_kwargs: object) -> None:
    # The filesystem transport expects its folders to exist before the first message.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:
            os.makedirs(options[key], exist_ok=True)


def enqueue(
    name: str, job_id: int, *, kwargs: dict[str, Any] | None = None, **options: Any
) -> None:
    """Queues task ``name`` for the job ``job_id`` now; ``options`` as for apply_async.

    send_task ignores CELERY_TASK_ALWAYS_EAGER, so with it set the registered task runs here,
    as .delay() would run it.
    """
    kwargs = kwargs or {}
    if app.conf.task_always_eager:
        app.loader.import_default_modules()
        app.tasks[name].apply(args=(job_id,), kwargs=kwargs, **options)
        return
    app.send_task(name, args=(job_id,), kwargs=kwargs, **options)


def enqueue_on_commit(name: str, job_id: int, **kwargs: Any) -> None:
    """Queues task ``name`` for ``job_id`` once the current transaction commits (at once when
    none is open): a worker never picks up a row it cannot see yet, nor one rolled back."""
    transaction.on_commit(_sender(name, job_id, kwargs))


def _sender(name: str, job_id: int, kwargs: dict[str, Any]) -> Callable[[], None]:
    return lambda: enqueue(name, job_id, kwargs=kwargs)


def clip_facts_refresh_on_commit(campaign_id: int, recording_ids: Iterable[int]) -> None:
    """Has the analytics facts of these clips rewritten once the current transaction commits:
    the apps below analytics call this when a clip's figures change, without importing it."""
    ids = sorted(set(recording_ids))
    if ids:
        enqueue_on_commit(
            "workers.tasks.analytics.clip_fact_refresh", campaign_id, recording_ids=ids
        )
