"""Review of submitted transcripts, and the independent second transcription of a sample."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.errors import Conflict, DomainError, NotAllowed
from labelhub.labeling.claim_rules import (
    SubmitTarget,
    in_campaigns_of,
    lease_first,
    recording_still_ready,
    revision_latest,
)
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.services import (
    LeaseExpired,
    lease_until,
    revision_append,
    revision_check_base,
    task_is_double_for,
    task_submit_locked,
    text_check,
    text_flags,
)

Decision = TranscriptRevision.Decision


def review_claim_next(*, reviewer: User) -> Task | None:
    """Hands the reviewer the submitted task they hold, or leases the next one to them.

    Never their own work: a reviewer who also labels never reviews a clip they transcribed.
    Only tasks of campaigns_open_to(reviewer), like the labeling queue.
    """
    if not reviewer.can_review:
        raise NotAllowed("only reviewers and PMs review transcripts")
    now = timezone.now()
    held = Task.objects.filter(
        status=Task.Status.SUBMITTED, assignee=reviewer, lease_expires_at__gte=now
    ).first()
    if held is not None:
        return held
    claimable = (
        Q(status=Task.Status.SUBMITTED)
        & (Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        & ~Q(labeler=reviewer)
        & recording_still_ready()
        & in_campaigns_of(reviewer)
    )
    lease = {"assignee": reviewer, "lease_expires_at": lease_until(now), "updated_at": now}
    with transaction.atomic():
        return lease_first(Task.objects.order_by("-priority", "updated_at"), claimable, **lease)


@transaction.atomic
def review_decide(
    *,
    task_id: int,
    reviewer: User,
    decision: str,
    text: str,
    base_revision_id: int | None,
    comment: str = "",
    work_seconds: float | None = None,
    source: str = TranscriptRevision.Source.API,
    confirm_flags: bool = False,
) -> TranscriptRevision:
    """Approves (with or without edits) or returns a submitted transcript; adds a REVIEW revision.

    `decision` is "approve" or "return"; an approval whose text differs from the labeler's is
    recorded as edited. A return needs a comment, which the labeler sees when they get it back.
    Approving a text with QA flags (a prompt mismatch, a hallucination) needs `confirm_flags`.
    """
    if decision not in {"approve", "return"}:
        raise DomainError(f"decision must be approve or return, not {decision!r}")
    task = _task_held_for_review(task_id, reviewer)
    latest = revision_latest(recording=task.recording)
    revision_check_base(latest, base_revision_id)
    outcome, text = _review_outcome(task, latest, decision, text, comment, confirm_flags)
    flags, prompt_cer = text_flags(recording=task.recording, text=text)
    revision = revision_append(
        recording=task.recording,
        parent=latest,
        kind=TranscriptRevision.Kind.REVIEW,
        text=text,
        source=source,
        decision=outcome,
        comment=comment.strip(),
        flags=flags,
        prompt_cer=prompt_cer,
        work_seconds=work_seconds,
        author=reviewer,
    )
    _task_close_review(task, outcome, comment)
    return revision


def _task_held_for_review(task_id: int, reviewer: User) -> Task:
    """The submitted task, locked, if this reviewer's lease on it still holds."""
    # The task's and recording's rows, not the campaign's (as double_submit): locking it made
    # every decision in a campaign wait for the one before.
    task = (
        Task.objects.select_for_update(no_key=True, of=("self", "recording"))
        .select_related("recording__campaign")
        .get(pk=task_id)
    )
    if task.status != Task.Status.SUBMITTED:
        raise Conflict("this task is not waiting for review", code="not_submitted")
    if task.assignee_id != reviewer.pk:
        raise LeaseExpired("your review lease has expired or belongs to someone else")
    return task


def _review_outcome(
    task: Task,
    latest: TranscriptRevision | None,
    decision: str,
    text: str,
    comment: str,
    confirm_flags: bool,
) -> tuple[str, str]:
    """(the REVIEW revision's decision, its text): a return keeps the labeler's text; an
    approval is "edited" when the reviewer's text differs from it."""
    submitted = latest.text if latest else ""
    text = text.strip()
    if decision == "return":
        if not comment.strip():
            raise DomainError("say what to fix: a return needs a comment", code="comment_required")
        return Decision.RETURNED, submitted
    _check_flags_confirmed(latest, confirm_flags)
    text_check(recording=task.recording, text=text)
    return (Decision.APPROVED if text == submitted else Decision.EDITED), text


def _task_close_review(task: Task, outcome: str, comment: str) -> None:
    """Releases the lease: a returned task reopens for its labeler, an approved one is done."""
    task.assignee = None
    task.lease_expires_at = None
    if outcome == Decision.RETURNED:
        task.status = Task.Status.OPEN
        task.times_returned += 1
        task.return_comment = comment.strip()
    else:
        task.status = Task.Status.APPROVED
        task.return_comment = ""
    task.save()


class FlagsUnconfirmed(DomainError):
    """The submitted text carries QA flags and the reviewer did not confirm them."""

    code = "flags_unconfirmed"

    def __init__(self, flags: list[str]) -> None:
        super().__init__(
            f"the submitted text is flagged ({', '.join(flags)}): confirm to approve it"
        )
        self.extra = {"flags": flags}


def _check_flags_confirmed(latest: TranscriptRevision | None, confirmed: bool) -> None:
    # One keystroke must not approve a text the checks doubt: the page asks first, and an API
    # caller says confirm_flags=true.
    flags = (
        list(latest.flags) if latest and latest.kind != TranscriptRevision.Kind.ASR_DRAFT else []
    )
    if flags and not confirmed:
        raise FlagsUnconfirmed(flags)


def asr_draft_of(*, task: Task) -> TranscriptRevision | None:
    return (
        task.recording.revisions.filter(kind=TranscriptRevision.Kind.ASR_DRAFT)
        .order_by("-number")
        .first()
    )


@transaction.atomic
def double_submit(
    *,
    task_id: int,
    labeler: User,
    text: str,
    work_seconds: float | None = None,
    source: str = TranscriptRevision.Source.API,
) -> TranscriptRevision:
    """Stores the second, independent transcription; it stands beside the chain, not on it."""
    # The task's and recording's rows, not the campaign's: locking it made every submit in a
    # campaign wait for the one before (p95 16 s with 50 labelers).
    task = (
        Task.objects.select_for_update(no_key=True, of=("self", "recording"))
        .select_related("recording__campaign")
        .get(pk=task_id)
    )
    if not task_is_double_for(task=task, user=labeler):
        raise LeaseExpired("you do not hold this clip for a second transcription")
    text = text.strip()
    text_check(recording=task.recording, text=text)
    draft = asr_draft_of(task=task)
    revision = revision_append(
        recording=task.recording,
        parent=draft,
        kind=TranscriptRevision.Kind.DOUBLE,
        text=text,
        source=source,
        work_seconds=work_seconds,
        author=labeler,
    )
    task.double_status = Task.DoubleStatus.DONE
    task.double_lease_expires_at = None
    task.save(update_fields=["double_status", "double_lease_expires_at", "updated_at"])
    return revision


def transcript_submit(
    *,
    target: SubmitTarget,
    labeler: User,
    text: str,
    base_revision_id: int | None,
    work_seconds: float | None = None,
    source: str = TranscriptRevision.Source.API,
) -> TranscriptRevision:
    """The workbench's one submit, on a task services.task_for_submit has locked (the caller
    holds the transaction): the second transcription when `labeler` holds the clip for one
    (double_submit; it needs no base, it stands beside the chain), else the labeler's
    transcript on top of the revision they started from (task_submit_locked)."""
    if task_is_double_for(task=target.task, user=labeler):
        return double_submit(
            task_id=target.task.pk,
            labeler=labeler,
            text=text,
            work_seconds=work_seconds,
            source=source,
        )
    return task_submit_locked(
        target=target,
        labeler=labeler,
        text=text,
        base_revision_id=base_revision_id,
        work_seconds=work_seconds,
        source=source,
    )
