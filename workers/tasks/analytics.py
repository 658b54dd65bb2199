from celery import shared_task
from django.db import InterfaceError, OperationalError

from labelhub.analytics.facts import clip_fact_refresh, stale_facts_drain
from labelhub.dispatch import FACTS_DRAIN_TASK, facts_drain_started

# Lost connections and busy databases pass; the refresh is idempotent, so a retry is safe.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    name="workers.tasks.analytics.clip_fact_refresh",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    max_retries=8,
    acks_late=True,
)
def clip_fact_refresh_task(campaign_id: int, recording_ids: list[int]) -> int:
    """Rewrites the analytics facts of clips that changed (campaign_id: for the logs). Kept for
    the messages queued before the marks (clip_facts_drain) replaced it."""
    return clip_fact_refresh(recording_ids)


@shared_task(
    name=FACTS_DRAIN_TASK,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    max_retries=8,
    acks_late=True,
)
def clip_facts_drain_task() -> int:
    """Rewrites the facts of the marked clips (queued by their commits, and by beat)."""
    facts_drain_started()  # first: a mark made from now on queues a drain of its own
    return stale_facts_drain()
