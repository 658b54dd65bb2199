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
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

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


# Facts to rewrite are marked in a table of their own, in the transaction that changed the clip,
# and rewritten by one drain task for many marks: a Celery message per submit was about a tenth
# of a submit's CPU (benchmarks/claim_profile.py). The table is analytics.StaleClipFact's; it is
# named here so that the apps below analytics can mark a clip without importing analytics.
STALE_FACTS_TABLE = "analytics_staleclipfact"
FACTS_DRAIN_TASK = "workers.tasks.analytics.clip_facts_drain"
# Set while a drain is queued and not yet started, so a burst of submits queues one drain.
FACTS_DRAIN_QUEUED = "analytics:facts-drain-queued"
# The marks of the submits that came meanwhile go with the same drain.
FACTS_DRAIN_DELAY_SECONDS = 1
# Should a queued drain be lost (a broker that restarted), the flag expires and the next mark
# queues another; Celery beat's drain every minute (settings) catches what no mark follows.
FACTS_DRAIN_QUEUED_SECONDS = 60


def clip_facts_refresh_on_commit(campaign_id: int, recording_ids: Iterable[int]) -> None:
    """Has the analytics facts of these clips rewritten soon after the current transaction
    commits (campaign_id: for the logs): the apps below analytics call this when a clip's
    figures change.

    The mark is written in the caller's transaction, so it is never lost to a worker or a broker
    that dies, and never made for a change that was rolled back.
    """
    ids = sorted(set(recording_ids))
    if ids:
        clip_facts_mark(ids)
        facts_drain_on_commit()


def clip_facts_mark(recording_ids: list[int]) -> None:
    """Marks the clips' facts stale in the current transaction (no drain queued: see
    facts_drain_on_commit). labeling.claim_sql writes the mark inside its submit statement."""
    rows = ", ".join(["(%s, %s)"] * len(recording_ids))
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {STALE_FACTS_TABLE} (recording_id, marked_at) VALUES {rows} "
            "ON CONFLICT (recording_id) DO NOTHING",
            [value for pk in recording_ids for value in (pk, now)],
        )


def facts_drain_on_commit() -> None:
    """Queues a drain of the stale facts once the current transaction commits."""
    transaction.on_commit(facts_drain_queue)


def facts_drain_queue() -> None:
    """Queues the drain of the marked facts, unless one is queued and not yet started.

    Without Redis (the embedded defaults) there is no flag every process sees, so each mark
    queues a drain; a drain that finds nothing left costs one query.
    """
    if app.conf.task_always_eager:
        app.loader.import_default_modules()
        app.tasks[FACTS_DRAIN_TASK].apply()
        return
    if settings.REDIS_URL and not cache.add(
        FACTS_DRAIN_QUEUED, 1, timeout=FACTS_DRAIN_QUEUED_SECONDS
    ):
        return
    app.send_task(FACTS_DRAIN_TASK, countdown=FACTS_DRAIN_DELAY_SECONDS)


def facts_drain_started() -> None:
    """Called by the drain before it reads the marks: a mark written from now on may not be
    among those it reads, so it must queue a drain of its own."""
    if settings.REDIS_URL:
        cache.delete(FACTS_DRAIN_QUEUED)
