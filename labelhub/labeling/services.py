"""The labeler's queue: claim, keep, skip and submit tasks. Every save adds a revision.

Review decisions and the double-transcription sample live in labelhub.labeling.review.
"""

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Q,
    QuerySet,
)
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.dispatch import clip_facts_refresh_on_commit, facts_drain_on_commit
from labelhub.errors import Conflict, DomainError, NotAllowed
from labelhub.labeling import claim_sql
from labelhub.labeling.claim_rules import (
    RETURNED_RESERVED_FOR,
    SubmitTarget,
    claimable,
    not_reserved_for_another,
    revision_latest,
    revision_next_number,
    tasks_with_recording,
)
from labelhub.labeling.conventions import TranscriptPolicy, convention_check
from labelhub.labeling.conventions.base import ConventionIssue
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.qa_flags import qa_flags
from labelhub.recordings.models import Recording
from labelhub.text_metrics import prompt_error_rates

# The roles a campaign can list as its labelers (PMs see every campaign anyway).


class StaleRevision(Conflict):
    """The text changed since the client opened it; `extra` carries the newer revision."""

    code = "stale_revision"

    def __init__(self, message: str, *, latest: TranscriptRevision | None) -> None:
        super().__init__(message)
        self.extra = {"latest": revision_summary(latest) if latest else None}


class LeaseExpired(Conflict):
    code = "lease_expired"


class ConventionViolation(DomainError):
    """The text breaks the campaign's transcription convention; `extra` lists every span."""

    code = "convention_error"

    def __init__(self, issues: list[ConventionIssue]) -> None:
        first = issues[0]
        super().__init__(
            f"the transcript breaks the convention at {first.start}-{first.end}: {first.message}"
        )
        self.extra = {"issues": [issue.as_json() for issue in issues]}


def revision_summary(revision: TranscriptRevision) -> dict[str, Any]:
    return {
        "id": revision.pk,
        "number": revision.number,
        "kind": revision.kind,
        "text": revision.text,
        "author": revision.author.username if revision.author else None,
        "created_at": revision.created_at.isoformat(),
    }


def sampled(*, recording: Recording, share: float, purpose: str) -> bool:
    """A fixed yes/no per recording and purpose: the same clip is always in or out of a sample."""
    if share >= 1:
        return True
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{purpose}:{recording.uid}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def lease_until(now: datetime) -> datetime:
    return now + timedelta(minutes=settings.LABELING_LEASE_MINUTES)


def task_is_double_for(*, task: Task, user: User) -> bool:
    return task.double_status == Task.DoubleStatus.PENDING and task.double_assignee_id == user.pk


def task_claim_next(*, labeler: User) -> Task | None:
    """Hands the labeler their current task, or leases the next one to them.

    Order: a task they hold; one a reviewer returned to them; the next segments of the
    long-form source they last worked on; the highest-priority open task; then a clip someone
    else transcribed that is sampled for a second transcription. Only tasks of
    campaigns_open_to(labeler) are handed out; a task already held stays theirs.

    Two queries for a clip (claim_sql.standing, then claim_sql.lease_next, one statement that
    picks, leases and returns the task with what the page shows); segment runs take more.
    """
    now = timezone.now()
    standing = claim_sql.standing(user=labeler, now=now)
    if standing.held_id is not None:
        held = claim_sql.task_with_recording(task_id=standing.held_id)
        return _first_held_of_run(held, labeler)
    ids = standing.campaign_ids
    scope = Q() if ids is None else Q(campaign_id__in=ids)
    if not standing.recent_sources:
        return _lease_from_queues(labeler, now, ids, scope, ("returned", "open", "double"))
    with transaction.atomic():
        task = _lease_from_queues(labeler, now, ids, scope, ("returned",))
        if task is None:
            lease = {"assignee": labeler, "lease_expires_at": lease_until(now), "updated_at": now}
            task = _continue_a_source(labeler, now, lease, scope, standing.recent_sources)
        if task is None:
            task = _lease_from_queues(labeler, now, ids, scope, ("open", "double"))
        return task


def _lease_from_queues(
    labeler: User, now: datetime, ids: list[int] | None, scope: Q, queues: tuple[str, ...]
) -> Task | None:
    """The first task of `queues` (claim_sql.QUEUES), leased; an open segment brings its run."""
    leased = claim_sql.lease_next(
        user=labeler,
        now=now,
        until=lease_until(now),
        reserved_before=now - RETURNED_RESERVED_FOR,
        campaign_ids=ids,
        queues=queues,
    )
    if leased is None:
        return None
    task, queue = leased
    if queue != "open" or task.recording.kind != Recording.Kind.SEGMENT:
        return task
    # A segment always has its source (the recording_segment_has_span constraint).
    source_id = task.recording.source_id
    assert source_id is not None
    lease = {"assignee": labeler, "lease_expires_at": task.lease_expires_at, "updated_at": now}
    with transaction.atomic():
        return _segment_run(source_id, labeler, now, lease, scope, picked=task)


def _run_tasks() -> QuerySet[Task]:
    return tasks_with_recording().order_by("recording__start_seconds", "recording_id")


def _first_held_of_run(held: Task, labeler: User) -> Task:
    """Of a run of segments, the claim answers with the earliest one still held for labeling."""
    if held.recording.kind != Recording.Kind.SEGMENT or task_is_double_for(task=held, user=labeler):
        return held
    first = (
        _run_tasks()
        .filter(
            recording__source_id=held.recording.source_id,
            recording__status=Recording.Status.READY,
            status=Task.Status.OPEN,
            assignee=labeler,
            lease_expires_at__gte=timezone.now(),
        )
        .first()
    )
    return first or held


def _segment_run(
    source_id: int,
    labeler: User,
    now: datetime,
    lease: dict[str, Any],
    scope: Q,
    *,
    picked: Task | None = None,
) -> Task | None:
    """Leases a run of up to LONGFORM_CLAIM_SEGMENTS consecutive open segments of one source,
    from the earliest the labeler may take, under one expiry; returns the run's first task.

    `picked` is a segment the queue has just leased to them: it stays theirs when it falls in
    the run and goes back to the queue otherwise, so a run never has holes.
    """
    takeable = claimable(now, scope) & not_reserved_for_another(
        labeler, now - RETURNED_RESERVED_FOR
    )
    if picked is not None:
        takeable |= Q(pk=picked.pk, assignee=labeler)
    segments = Task.objects.filter(
        recording__source_id=source_id, recording__status=Recording.Status.READY
    )
    order = ("recording__start_seconds", "recording_id")
    size = settings.LONGFORM_CLAIM_SEGMENTS
    # skip_locked: segments another claim is leasing right now are simply not ours, so many
    # labelers claiming one source at once each lock a run of their own and nobody waits.
    locked = set(
        segments.select_for_update(no_key=True, skip_locked=True, of=("self",))
        .filter(takeable)
        .order_by(*order)
        .values_list("pk", flat=True)[:size]
    )
    run: list[int] = []
    for pk in segments.order_by(*order).values_list("pk", flat=True):
        if pk in locked:
            run.append(pk)
            if len(run) >= size:
                break
        elif run:
            break  # a run has no holes: it ends at the first segment it cannot take
    leased = Task.objects.filter(takeable, pk__in=run).update(**lease) if run else 0
    if picked is not None and picked.pk not in run:
        if not leased:
            return picked  # a run of one is still the work the queue picked for them
        Task.objects.filter(pk=picked.pk, assignee=labeler).update(
            assignee=None, lease_expires_at=None
        )
    if not leased:
        return None
    return _run_tasks().filter(pk__in=run, assignee=labeler).first()


def _continue_a_source(
    labeler: User, now: datetime, lease: dict[str, Any], scope: Q, sources: list[int]
) -> Task | None:
    """A long-form labeler goes on with the source they last worked on, while it has work.

    `sources`: the ones they last submitted segments of, newest first (claim_sql.standing)."""
    for source_id in sources:
        task = _segment_run(source_id, labeler, now, lease, scope)
        if task is not None:
            return task
    return None


def task_renew_lease(*, task_id: int, user: User) -> datetime:
    """Extends the lease the user holds on the task (the page's heartbeat); returns its end."""
    now = timezone.now()
    until = lease_until(now)
    tasks = Task.objects.filter(pk=task_id)
    held = Q(assignee=user, lease_expires_at__gte=now) & Q(
        status__in=[Task.Status.OPEN, Task.Status.SUBMITTED]
    )
    renewed = tasks.filter(held).update(lease_expires_at=until)
    # A long-form run shares one expiry: the heartbeat of one segment keeps them all.
    source_id = (
        tasks.filter(recording__kind=Recording.Kind.SEGMENT)
        .values_list("recording__source_id", flat=True)
        .first()
    )
    if source_id is not None:
        renewed += Task.objects.filter(
            recording__source_id=source_id,
            recording__status=Recording.Status.READY,
            status=Task.Status.OPEN,
            assignee=user,
        ).update(lease_expires_at=until)
    if renewed:
        return until
    double = Q(double_assignee=user, double_lease_expires_at__gte=now)
    if tasks.filter(double, double_status=Task.DoubleStatus.PENDING).update(
        double_lease_expires_at=until
    ):
        return until
    raise LeaseExpired("your lease on this task has expired or belongs to someone else")


def revision_append(
    *,
    recording: Recording,
    kind: str,
    parent: TranscriptRevision | None,
    text: str = "",
    author: User | None = None,
    **fields: object,
) -> TranscriptRevision:
    """Adds a revision to the recording's transcript: the next number, on top of `parent`.

    The one writer of TranscriptRevision but the labeler's submit (claim_sql.submit_write
    inserts that with the task's update in one statement): every edit is a new revision.
    `fields` are the rest of the row (source, decision, flags, the engine's figures, ...);
    the language is the parent's unless given. The caller holds the recording's or its task's
    row lock, so two appends never take the same number (the unique constraint backs that up).
    """
    fields.setdefault("language", parent.language if parent else "")
    clip_facts_refresh_on_commit(recording.campaign_id, [recording.pk])
    return TranscriptRevision.objects.create(
        recording=recording,
        number=revision_next_number(recording=recording),
        parent=parent,
        kind=kind,
        text=text,
        author=author,
        **fields,
    )


def text_check(*, recording: Recording, text: str) -> None:
    """Refuses text that breaks the campaign's convention or its normalisation policy."""
    campaign = recording.campaign
    issues = convention_check(
        convention=campaign.convention, text=text, policy=TranscriptPolicy.of(campaign)
    )
    if issues:
        raise ConventionViolation(issues)


def text_flags(*, recording: Recording, text: str) -> tuple[list[str], float | None]:
    """QA flags of a person's text, and its normalised CER against the prompt the speaker read.

    Stored on the revision, so the reviewer sees a prompt mismatch before approving it.
    """
    prompt = recording.prompt.text if recording.prompt else ""
    flags = qa_flags(
        text, language=recording.campaign.language, prompt=prompt,
        duration=recording.duration_seconds,
    )  # fmt: skip
    _wer, prompt_cer = prompt_error_rates(prompt, text)  # as an ASR draft's, to the same 4 places
    return flags, prompt_cer


def _check_holder(task: Task, user: User) -> None:
    # An expired lease nobody else took still lets its holder submit: a save retried after a
    # network drop must not lose the work. Once another labeler claims it, it is theirs.
    if task.assignee_id != user.pk:
        raise LeaseExpired("your lease on this task has expired or belongs to someone else")


def revision_check_base(latest: TranscriptRevision | None, base_revision_id: int | None) -> None:
    latest_id = latest.pk if latest else None
    if base_revision_id != latest_id:
        raise StaleRevision(
            f"the transcript changed since you opened it (you started from revision "
            f"{base_revision_id}, the latest is {latest_id})",
            latest=latest,
        )


@transaction.atomic
def task_submit(
    *,
    task_id: int,
    labeler: User,
    text: str,
    base_revision_id: int | None,
    work_seconds: float | None = None,
    source: str = TranscriptRevision.Source.API,
) -> TranscriptRevision:
    """Adds the labeler's transcript on top of the revision they started from.

    The task then waits for review when the campaign samples the clip for review, and is
    approved (final) otherwise. A clip sampled for double transcription opens for a second
    labeler.
    """
    target = claim_sql.task_for_submit(task_id=task_id, user=labeler, scoped=False)
    if target is None:
        raise Task.DoesNotExist(f"task {task_id} does not exist")
    return task_submit_locked(
        target=target,
        labeler=labeler,
        text=text,
        base_revision_id=base_revision_id,
        work_seconds=work_seconds,
        source=source,
    )


def task_for_submit(*, task_id: int, user: User) -> SubmitTarget | None:
    """The task of selectors.tasks_open_to(user), locked for a submit; the caller holds a
    transaction and hands it to task_submit_locked (or, for a second pass, double_submit)."""
    return claim_sql.task_for_submit(task_id=task_id, user=user, scoped=True)


def task_submit_locked(
    *,
    target: SubmitTarget,
    labeler: User,
    text: str,
    base_revision_id: int | None,
    work_seconds: float | None = None,
    source: str = TranscriptRevision.Source.API,
) -> TranscriptRevision:
    """task_submit on a task task_for_submit has locked: one more statement writes it all."""
    task = target.task
    if task.status != Task.Status.OPEN:
        raise Conflict("this task has already been submitted", code="task_closed")
    _check_holder(task, labeler)
    text = text.strip()
    text_check(recording=task.recording, text=text)
    if base_revision_id != target.latest_id:
        revision_check_base(revision_latest(recording=task.recording), base_revision_id)
    flags, prompt_cer = text_flags(recording=task.recording, text=text)
    revision = TranscriptRevision(
        recording=task.recording,
        number=target.next_number,
        parent_id=target.latest_id,
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        text=text,
        flags=flags,
        prompt_cer=prompt_cer,
        source=source,
        work_seconds=work_seconds,
        author=labeler,
        language=target.latest_language,
    )
    fields = _task_close_submitted(task, labeler)
    claim_sql.submit_write(task=task, revision=revision, fields=fields)  # marks the facts
    facts_drain_on_commit()
    return revision


def _task_close_submitted(task: Task, labeler: User) -> tuple[str, ...]:
    """To review when the campaign samples the clip for it, else approved; maybe a double.

    Sets the task's fields and returns their names, for the caller to save."""
    campaign = task.recording.campaign
    task.needs_review = sampled(
        recording=task.recording, share=campaign.review_share, purpose="review"
    )
    task.status = Task.Status.SUBMITTED if task.needs_review else Task.Status.APPROVED
    task.labeler = labeler
    task.lease_expires_at = None
    task.return_comment = ""
    if not task.double_status and sampled(
        recording=task.recording, share=campaign.double_transcription_share, purpose="double"
    ):
        task.double_status = Task.DoubleStatus.PENDING
    return (
        "needs_review", "status", "labeler", "lease_expires_at", "return_comment", "double_status",
    )  # fmt: skip


@transaction.atomic
def task_skip(*, task_id: int, labeler: User, reason: str, note: str = "") -> Task:
    """Sends a clip nobody can transcribe to the PM's triage list, with the reason."""
    if reason not in Task.SkipReason.values:
        raise DomainError(
            f"unknown skip reason {reason!r}; one of {', '.join(Task.SkipReason.values)}",
            code="invalid_reason",
        )
    task = Task.objects.select_for_update(no_key=True).get(pk=task_id)
    if task.status != Task.Status.OPEN:
        raise Conflict("only an open task can be skipped", code="task_closed")
    _check_holder(task, labeler)
    task.status = Task.Status.SKIPPED
    task.skip_reason = reason
    task.skip_note = note.strip()
    task.skipped_by = labeler
    task.assignee = None
    task.lease_expires_at = None
    task.save()
    return task


@transaction.atomic
def task_requeue(*, task_id: int, pm: User) -> Task:
    """The PM's triage decision: the skipped clip is transcribable after all."""
    if not pm.is_pm:
        raise NotAllowed("only a data PM may return skipped clips to the queue")
    task = Task.objects.select_for_update(no_key=True).get(pk=task_id)
    if task.status != Task.Status.SKIPPED:
        raise Conflict("only a skipped task can go back to the queue", code="not_skipped")
    task.status = Task.Status.OPEN
    task.skip_reason = ""
    task.skip_note = ""
    task.skipped_by = None
    task.assignee = None
    task.lease_expires_at = None
    task.save()
    return task
