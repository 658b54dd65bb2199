"""claim_sql's reads and writes through the ORM, for databases other than PostgreSQL.

claim_sql's statements are PostgreSQL's (ARRAY, LATERAL, FOR UPDATE SKIP LOCKED, UPDATE in a
WITH query), so on SQLite, the no-configuration default of `make demo`, no claim went through.
SQLite lets one writer at a time hold the database, so a plain read inside the caller's
transaction is as safe there as a locked one; lease_first's UPDATE re-checks its condition,
so two claims never lease one task. The conditions are claim_rules' (the ORM's queue rules),
which claim_sql's SQL mirrors. More queries than claim_sql, and only where it cannot run.
"""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.selectors import campaigns_open_to
from labelhub.dispatch import clip_facts_mark
from labelhub.labeling.claim_rules import (
    Chain,
    Standing,
    SubmitTarget,
    claimable,
    lease_first,
    not_reserved_for_another,
    recording_still_ready,
    revision_latest,
    revision_next_number,
    tasks_with_recording,
)
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording


def standing(*, user: User, now: datetime) -> Standing:
    held = Q(status=Task.Status.OPEN, assignee=user, lease_expires_at__gte=now) | Q(
        double_status=Task.DoubleStatus.PENDING, double_assignee=user,
        double_lease_expires_at__gte=now,
    )  # fmt: skip
    held_id = (
        Task.objects.filter(held).order_by("-priority", "created_at").values_list("pk").first()
    )
    campaign_ids = None if user.is_pm else list(campaigns_open_to(user=user).values_list("pk"))
    recent = (
        Task.objects.filter(labeler=user, recording__kind=Recording.Kind.SEGMENT)
        .order_by("-updated_at")
        .values_list("recording__source_id", flat=True)[:50]
    )
    return Standing(
        held_id=held_id[0] if held_id else None,
        campaign_ids=None if campaign_ids is None else [pk for (pk,) in campaign_ids],
        recent_sources=[pk for pk in dict.fromkeys(recent) if pk is not None][:3],
    )


def lease_next(
    *,
    user: User,
    now: datetime,
    until: datetime,
    reserved_before: datetime,
    campaign_ids: list[int] | None,
    queues: tuple[str, ...],
) -> tuple[Task, str] | None:
    if campaign_ids == []:
        return None
    scope = Q() if campaign_ids is None else Q(campaign_id__in=campaign_ids)
    takeable = claimable(now, scope)
    conditions = {
        "returned": takeable & Q(labeler=user, times_returned__gt=0),
        "open": takeable & not_reserved_for_another(user, reserved_before),
        "double": Q(
            double_status=Task.DoubleStatus.PENDING,
            status__in=[Task.Status.SUBMITTED, Task.Status.APPROVED],
        )
        & ~Q(labeler=user)
        & (Q(double_assignee__isnull=True) | Q(double_lease_expires_at__lt=now))
        & recording_still_ready()
        & scope,
    }
    order = Task.objects.order_by("-priority", "created_at")
    for queue in queues:
        if queue == "double":
            lease = {"double_assignee": user, "double_lease_expires_at": until}
        else:
            lease = {"assignee": user, "lease_expires_at": until, "updated_at": now}
        task = lease_first(order, conditions[queue], **lease)
        if task is not None:
            return task, queue
    return None


def task_with_recording(*, task_id: int) -> Task:
    return tasks_with_recording().get(pk=task_id)


def task_for_submit(*, task_id: int, user: User, scoped: bool) -> SubmitTarget | None:
    if scoped and not user.is_labeling_staff:
        return None
    # The task and its recording, as claim_sql locks them (a no-op on SQLite, which has no row
    # locks: its one writer at a time is the lock there).
    tasks = (
        tasks_with_recording()
        .select_for_update(no_key=True, of=("self", "recording"))
        .filter(pk=task_id)
    )
    if scoped and not user.is_pm:
        open_to = campaigns_open_to(user=user).values("pk")
        tasks = tasks.filter(
            Q(campaign_id__in=open_to) | Q(assignee=user) | Q(double_assignee=user)
        )
    task = tasks.first()
    if task is None:
        return None
    latest = revision_latest(recording=task.recording)
    return SubmitTarget(
        task=task,
        latest_id=latest.pk if latest else None,
        latest_language=latest.language if latest else "",
        next_number=revision_next_number(recording=task.recording),
    )


def submit_write(*, task: Task, revision: TranscriptRevision, fields: tuple[str, ...]) -> None:
    task.updated_at = timezone.now()
    task.save(update_fields=[*fields, "updated_at"])
    revision.save()
    clip_facts_mark([task.recording_id])


def transcript_chain(*, recording_id: int) -> Chain:
    chain = list(
        TranscriptRevision.objects.filter(recording_id=recording_id)
        .exclude(kind=TranscriptRevision.Kind.DOUBLE)
        .select_related("author")
        .order_by("-number")
    )
    draft = next((r for r in chain if r.kind == TranscriptRevision.Kind.ASR_DRAFT), None)
    return Chain(head=chain[0] if chain else None, asr_draft=draft)
