"""Transcript revisions and labeling tasks. Every save adds a revision; nothing is overwritten."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.errors import Conflict
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording


class StaleRevision(Conflict):
    code = "stale_revision"


class LeaseExpired(Conflict):
    code = "lease_expired"


def _claimable() -> Q:
    now = timezone.now()
    return Q(status=Task.Status.OPEN) & (Q(assignee__isnull=True) | Q(lease_expires_at__lt=now))


def task_claim_next(*, labeler: User) -> Task | None:
    """Hands the labeler their current task, or leases the next open one to them."""
    now = timezone.now()
    lease_until = now + timedelta(minutes=settings.LABELING_LEASE_MINUTES)
    held = Task.objects.filter(
        status=Task.Status.OPEN, assignee=labeler, lease_expires_at__gte=now
    ).first()
    if held is not None:
        return held
    with transaction.atomic():
        # skip_locked lets many labelers claim at once on PostgreSQL without waiting on each
        # other; the update below is conditional so SQLite (no row locks) stays correct too.
        for candidate in Task.objects.select_for_update(skip_locked=True).filter(_claimable())[:5]:
            taken = Task.objects.filter(_claimable(), pk=candidate.pk).update(
                assignee=labeler, lease_expires_at=lease_until, updated_at=now
            )
            if taken:
                return Task.objects.get(pk=candidate.pk)
    return None


def revision_latest(*, recording: Recording) -> TranscriptRevision | None:
    return recording.revisions.order_by("-number").first()


@transaction.atomic
def task_submit(
    *, task_id: int, labeler: User, text: str, base_revision_id: int | None
) -> TranscriptRevision:
    """Adds the labeler's transcript as a new revision on top of the one they started from."""
    task = Task.objects.select_for_update().select_related("recording").get(pk=task_id)
    if task.status != Task.Status.OPEN:
        raise Conflict("this task has already been submitted", code="task_closed")
    if task.assignee_id != labeler.pk or (
        task.lease_expires_at is not None and task.lease_expires_at < timezone.now()
    ):
        raise LeaseExpired("your lease on this task has expired or belongs to someone else")
    latest = revision_latest(recording=task.recording)
    latest_id = latest.pk if latest else None
    if base_revision_id != latest_id:
        raise StaleRevision(
            f"the transcript changed since you opened it (you started from revision "
            f"{base_revision_id}, the latest is {latest_id}); reload and edit again"
        )
    revision = TranscriptRevision.objects.create(
        recording=task.recording,
        number=(latest.number if latest else 0) + 1,
        parent=latest,
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        text=text.strip(),
        language=latest.language if latest else "",
        author=labeler,
    )
    task.status = Task.Status.SUBMITTED
    task.lease_expires_at = None
    task.save(update_fields=["status", "lease_expires_at", "updated_at"])
    return revision
