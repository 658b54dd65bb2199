"""The queue's rules as ORM conditions, the one lease statement, and what a claim reads.

services, review and claim_orm (the claim on databases other than PostgreSQL) build on these;
claim_sql's SQL mirrors them. They live apart from services so that claim_orm can use them
without importing services, which imports claim_sql, which hands over to claim_orm.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from labelhub.accounts.models import User
from labelhub.campaigns.selectors import campaigns_open_to
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording

# A returned task waits this long for the labeler who wrote it before anyone may take it.
RETURNED_RESERVED_FOR = timedelta(hours=24)


def recording_still_ready() -> Q:
    # A withdrawn speaker's clips keep their rows (and tasks) but lose their audio: never hand
    # them out. A subquery, not a join, so claiming locks task rows only; EXISTS on the row's
    # own recording, not IN over all ready ones: under an OR (the claim's "held or returned"
    # query) PostgreSQL read the IN list by scanning the recordings table (50 ms at 1M).
    ready = Recording.objects.filter(pk=OuterRef("recording_id"), status=Recording.Status.READY)
    return Q(Exists(ready))


def in_campaigns_of(user: User) -> Q:
    if user.is_pm:
        return Q()
    # Subqueries on ids, not joins, like recording_still_ready(): claiming locks task rows only.
    return Q(campaign_id__in=campaigns_open_to(user=user).values("pk"))


def claimable(now: datetime, scope: Q) -> Q:
    """Open tasks nobody holds, of the campaigns `scope` (in_campaigns_of(...)) allows."""
    return (
        Q(status=Task.Status.OPEN)
        & (Q(assignee__isnull=True) | Q(lease_expires_at__lt=now))
        & recording_still_ready()
        & scope
    )


def not_reserved_for_another(labeler: User, reserved_before: datetime) -> Q:
    """Not a task returned to another labeler, unless it waited for them since before
    `reserved_before` (now - RETURNED_RESERVED_FOR)."""
    return (
        Q(times_returned=0)
        | Q(labeler__isnull=True)
        | Q(labeler=labeler)
        | Q(updated_at__lt=reserved_before)
    )


def tasks_with_recording() -> QuerySet[Task]:
    """Tasks with their recording, campaign and prompt: what TaskSerializer reads."""
    return Task.objects.select_related("recording__campaign", "recording__prompt")


def lease_first(queryset: QuerySet[Task], condition: Q, **lease: Any) -> Task | None:
    """Leases the first task of `queryset` that meets `condition`; None when there is none.

    One UPDATE ... WHERE id = (SELECT ... LIMIT 1 FOR UPDATE SKIP LOCKED), then one read of
    the leased row with what the page shows next to it (a SELECT, an UPDATE and a re-read
    before: a query less per claim). `= (subquery)`, not `IN (subquery)`: PostgreSQL ran the
    IN form once per outer row and leased five tasks at once; a scalar subquery runs once.
    skip_locked lets many labelers claim at once on PostgreSQL without waiting on each other;
    the outer condition keeps SQLite (no row locks) correct too. Callers hold a transaction.
    """
    first = (
        queryset.select_for_update(no_key=True, skip_locked=True).filter(condition).values("pk")[:1]
    )
    if not Task.objects.filter(condition, pk=Subquery(first)).update(**lease):
        return None
    # The lease's own values name the row: its timestamp is this call's, to the microsecond.
    return tasks_with_recording().get(**lease)


def revision_next_number(*, recording: Recording) -> int:
    """The number the recording's next revision takes, over all of them, doubles included."""
    latest = recording.revisions.order_by("-number").values_list("number", flat=True).first()
    return (latest or 0) + 1


def revision_latest(*, recording: Recording) -> TranscriptRevision | None:
    """The head of the transcript chain; second transcriptions stand beside it, not on it."""
    return (
        recording.revisions.exclude(kind=TranscriptRevision.Kind.DOUBLE)
        .select_related("author")
        .order_by("-number")
        .first()
    )


@dataclass(frozen=True)
class Standing:
    held_id: int | None
    campaign_ids: list[int] | None  # None: every campaign (a PM)
    recent_sources: list[int]  # distinct, newest first, at most three


@dataclass(frozen=True)
class SubmitTarget:
    """A task locked for its labeler's submit, with the head of its transcript chain."""

    task: Task
    latest_id: int | None  # the chain's head (second transcriptions stand beside it)
    latest_language: str
    next_number: int  # over every revision of the clip, doubles included


@dataclass(frozen=True)
class Chain:
    head: TranscriptRevision | None  # None: the clip has no revision yet
    asr_draft: TranscriptRevision | None
