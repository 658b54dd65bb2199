"""A campaign's labeling queue as the PM sees it: how many tasks are in each state, who holds
what and since when, and what has waited longest. Read by the queue page and its API.

Counts come from one aggregate query and the holders from one query over held tasks only, so
the page costs the same for a campaign of fifty clips as for one of five hundred thousand.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.selectors import campaigns_open_to
from labelhub.campaigns.services import LABELING_ROLES
from labelhub.labeling.models import Task
from labelhub.recordings.models import Recording

PRIMARY = "primary"  # the labeling lease of an open task, or the review lease of a submitted one
DOUBLE = "double"  # the second transcriber's lease
LEASES = (PRIMARY, DOUBLE)

# The states a task is counted in: each task in exactly one, so they add up to the total.
STATES = ("open", "returned", "held", "submitted", "in_review", "approved", "skipped")
DOUBLE_STATES = ("double_waiting", "double_held", "double_done")


def _live(now: datetime) -> Q:
    return Q(assignee__isnull=False, lease_expires_at__gte=now)


def _not_live(now: datetime) -> Q:
    # Spelled out rather than ~_live(now): a lapsed lease may still name its old holder.
    return Q(assignee__isnull=True) | Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)


def _double_live(now: datetime) -> Q:
    return Q(
        double_status=Task.DoubleStatus.PENDING,
        double_assignee__isnull=False,
        double_lease_expires_at__gte=now,
    )


def _state_filters(now: datetime) -> dict[str, Q]:
    status = Task.Status
    waiting = Q(status=status.OPEN) & _not_live(now)
    pending = Q(double_status=Task.DoubleStatus.PENDING)
    lapsed_double = pending & Q(double_assignee__isnull=False, double_lease_expires_at__lt=now)
    return {
        "open": waiting & Q(times_returned=0),
        "returned": waiting & Q(times_returned__gt=0),
        "held": Q(status=status.OPEN) & _live(now),
        "submitted": Q(status=status.SUBMITTED) & _not_live(now),
        "in_review": Q(status=status.SUBMITTED) & _live(now),
        "approved": Q(status=status.APPROVED),
        "skipped": Q(status=status.SKIPPED),
        "double_waiting": pending & ~_double_live(now),
        "double_held": _double_live(now),
        "double_done": Q(double_status=Task.DoubleStatus.DONE),
        # Leases that ran out but still name a holder: claimable by anyone, yet confusing. (A
        # submit keeps its labeler as assignee with no lease at all: that is no lapsed lease.)
        "expired_leases": (
            Q(status__in=[status.OPEN, status.SUBMITTED])
            & Q(assignee__isnull=False, lease_expires_at__lt=now)
        ),
        "expired_double_leases": lapsed_double,
    }


def queue_tasks(*, campaign: Campaign) -> QuerySet[Task]:
    """The campaign's tasks that are still work: a withdrawn speaker's clips or a removed
    segment can never be handed out again, so they would only inflate the counts."""
    return Task.objects.filter(
        recording__campaign=campaign, recording__status=Recording.Status.READY
    )


def queue_counts(*, campaign: Campaign, now: datetime | None = None) -> dict[str, Any]:
    """Tasks per state (STATES add up to `total`), the double-transcription states, lapsed
    leases, and when the oldest task waiting for a labeler was created. One query."""
    now = now or timezone.now()
    filters = _state_filters(now)
    waiting = filters["open"] | filters["returned"]
    row = queue_tasks(campaign=campaign).aggregate(
        total=Count("pk"),
        oldest_open_at=Min("created_at", filter=waiting),
        **{name: Count("pk", filter=condition) for name, condition in filters.items()},
    )
    oldest = row["oldest_open_at"]
    row["oldest_open_seconds"] = (now - oldest).total_seconds() if oldest else None
    return row


@dataclass(frozen=True)
class Holding:
    """One person's lease on one task. `since` is when they took it, where that is known."""

    task_id: int
    recording_id: int
    lease: str  # PRIMARY or DOUBLE
    kind: str  # "label", "review" or "double": what the holder is doing
    username: str
    user_id: int
    since: datetime | None
    expires_at: datetime
    held_minutes: int | None


def _primary_holding(task: Task, now: datetime) -> Holding:
    # Every claim (labeling, review, a segment run) and a PM's reassignment stamp updated_at
    # with the lease, and the heartbeat renews only the expiry, so updated_at is when the
    # holder took the task.
    since = task.updated_at
    assignee, expires_at = task.assignee, task.lease_expires_at
    assert assignee is not None and expires_at is not None  # callers check _is_live(task)
    return Holding(
        task_id=task.pk,
        recording_id=task.recording_id,
        lease=PRIMARY,
        kind="label" if task.status == Task.Status.OPEN else "review",
        username=assignee.username,
        user_id=assignee.pk,
        since=since,
        expires_at=expires_at,
        held_minutes=int((now - since).total_seconds() // 60),
    )


def _double_holding(task: Task) -> Holding:
    # A second-transcription claim stamps only the expiry: its start is not stored.
    assignee, expires_at = task.double_assignee, task.double_lease_expires_at
    assert assignee is not None and expires_at is not None  # callers check _is_double_live
    return Holding(
        task_id=task.pk,
        recording_id=task.recording_id,
        lease=DOUBLE,
        kind="double",
        username=assignee.username,
        user_id=assignee.pk,
        since=None,
        expires_at=expires_at,
        held_minutes=None,
    )


def queue_holdings(*, campaign: Campaign, now: datetime | None = None) -> list[Holding]:
    """Every unexpired lease on the campaign's tasks, longest-held first. Only held tasks are
    read: at most a few per person working on the campaign."""
    now = now or timezone.now()
    primary = Q(status__in=[Task.Status.OPEN, Task.Status.SUBMITTED]) & _live(now)
    tasks = (
        queue_tasks(campaign=campaign)
        .filter(primary | _double_live(now))
        .select_related("assignee", "double_assignee")
    )
    holdings = []
    for task in tasks:
        if task.status in (Task.Status.OPEN, Task.Status.SUBMITTED) and _is_live(task, now):
            holdings.append(_primary_holding(task, now))
        if _is_double_live(task, now):
            holdings.append(_double_holding(task))
    return sorted(holdings, key=lambda h: (h.since or h.expires_at, h.task_id))


def _is_live(task: Task, now: datetime) -> bool:
    """_live(now), on a task already in memory."""
    return bool(task.assignee_id and task.lease_expires_at and task.lease_expires_at >= now)


def _is_double_live(task: Task, now: datetime) -> bool:
    """_double_live(now), on a task already in memory."""
    expires = task.double_lease_expires_at
    pending = task.double_status == Task.DoubleStatus.PENDING
    return bool(pending and task.double_assignee_id and expires and expires >= now)


def queue_waiting(*, campaign: Campaign, limit: int = 10) -> QuerySet[Task]:
    """The tasks that have waited longest for a labeler (open or returned, nobody's lease)."""
    filters = _state_filters(timezone.now())
    return (
        queue_tasks(campaign=campaign)
        .filter(filters["open"] | filters["returned"])
        .select_related("assignee")
        .order_by("created_at", "pk")[:limit]
    )


def queue_members(*, campaign: Campaign) -> QuerySet[User]:
    """Who a PM may hand the campaign's tasks to: its listed labelers and reviewers, or every
    active one when the campaign lists nobody (campaigns_open_to's rule)."""
    staff = User.objects.filter(is_active=True, role__in=LABELING_ROLES).order_by("username")
    listed = Campaign.labelers.through.objects.filter(campaign_id=campaign.pk)
    if listed.exists():
        return staff.filter(pk__in=listed.values("user_id"))
    return staff


def campaign_is_open_to(*, campaign: Campaign, user: User) -> bool:
    return campaigns_open_to(user=user).filter(pk=campaign.pk).exists()
