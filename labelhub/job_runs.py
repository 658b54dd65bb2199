"""Run counting for long jobs, shared by the jobs' services and the reaper (labelhub.jobs).

A run is counted, and committed, before its work starts: a worker killed in the middle leaves
the count behind, so a job that kills every worker that takes it ends after JOBS_MAX_ATTEMPTS
tries instead of being redelivered forever. The reaper's requeues count as tries too.
"""

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone


def run_begin(rows: QuerySet, *, attempts: str, heartbeat: str) -> int:
    """Counts one more run of the job in ``rows`` (a one-row queryset) and stamps its heartbeat.

    Returns the runs so far, this one included, or 0 when ``rows`` matches nothing (the job is
    no longer in a state that runs). Call it outside a transaction, so the count survives a crash.
    """
    if not rows.update(**{attempts: F(attempts) + 1, heartbeat: timezone.now()}):
        return 0
    return rows.values_list(attempts, flat=True).first() or 0


def runs_exhausted(runs: int) -> bool:
    return runs > settings.JOBS_MAX_ATTEMPTS


def gave_up_reason(runs: int) -> str:
    return (
        f"gave up after {runs - 1} tries that never finished "
        "(the worker died or hit its time limit, or the queue lost the task)"
    )
