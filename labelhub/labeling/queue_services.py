"""The PM's hands on the queue: release a stuck lease, hand a task to a chosen labeler.

Both lock the task row (select_for_update), as task_submit, review_decide and double_submit
do, so a submit by the old holder racing a release runs strictly before or after it: before,
and the release finds nothing held; after, and the submit fails its holder check with the
usual lease_expired error.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.services import LABELING_ROLES
from labelhub.errors import Conflict, DomainError, NotAllowed
from labelhub.labeling.models import Task
from labelhub.labeling.queue_selectors import DOUBLE, LEASES, PRIMARY, campaign_is_open_to
from labelhub.labeling.services import lease_until
from labelhub.recordings.models import Recording

HELD_STATUSES = (Task.Status.OPEN, Task.Status.SUBMITTED)


def _require_pm(user: User) -> None:
    if not user.is_pm:
        raise NotAllowed(_("Only a data PM may change who holds a task."))


def _locked(task_id: int, lease: str) -> Task:
    if lease not in LEASES:
        raise DomainError(_("Unknown lease: %(lease)s.") % {"lease": lease}, code="invalid_lease")
    tasks = Task.objects.select_for_update(no_key=True, of=("self", "recording"))
    return tasks.select_related("recording__campaign").get(pk=task_id)


@transaction.atomic
def task_lease_release(*, task_id: int, pm: User, lease: str = PRIMARY) -> User:
    """Takes the task back from whoever holds it (a lapsed lease too) and returns who that was.

    The primary lease: an open task goes back to the open queue, a submitted one back to the
    review queue. The double lease: the clip waits for another second transcriber.
    """
    _require_pm(pm)
    task = _locked(task_id, lease)
    if lease == DOUBLE:
        pending = task.double_status == Task.DoubleStatus.PENDING
        holder = task.double_assignee if pending and task.double_lease_expires_at else None
        if holder is None:
            raise Conflict(_("Nobody holds this clip for a second transcription."), code="not_held")
        task.double_assignee = None
        task.double_lease_expires_at = None
        # updated_at is left alone: the review queue is ordered by it.
        task.save(update_fields=["double_assignee", "double_lease_expires_at"])
        return holder
    # A submit leaves its labeler as assignee without a lease: only a lease (lapsed or not)
    # is something to release.
    leased = task.status in HELD_STATUSES and task.lease_expires_at is not None
    holder = task.assignee if leased else None
    if holder is None:
        raise Conflict(_("Nobody holds this task."), code="not_held")
    task.assignee = None
    task.lease_expires_at = None
    task.save(update_fields=["assignee", "lease_expires_at"])
    return holder


def _require_member(campaign: Campaign, user: User) -> None:
    if user.role not in LABELING_ROLES or not user.is_active:
        raise DomainError(
            _("%(name)s is not a labeler or reviewer.") % {"name": user.username},
            code="not_labeling_staff",
        )
    if not campaign_is_open_to(campaign=campaign, user=user):
        raise DomainError(
            _("%(name)s does not work on this campaign.") % {"name": user.username},
            code="not_a_member",
        )


def _require_can_take(task: Task, user: User, lease: str) -> None:
    """The rules the claims keep: nobody reviews or second-transcribes their own transcript."""
    if lease == DOUBLE:
        if task.double_status != Task.DoubleStatus.PENDING:
            raise Conflict(
                _("This clip is not waiting for a second transcription."), code="not_pending"
            )
    elif task.status not in HELD_STATUSES:
        raise Conflict(
            _("An approved or skipped task has nobody to hand it to."), code="task_closed"
        )
    elif task.status == Task.Status.SUBMITTED and not user.is_reviewer:
        raise DomainError(
            _("This transcript waits for review, and %(name)s is not a reviewer.")
            % {"name": user.username},
            code="not_a_reviewer",
        )
    reviews_or_doubles = lease == DOUBLE or task.status == Task.Status.SUBMITTED
    if reviews_or_doubles and task.labeler_id == user.pk:
        raise DomainError(
            _("%(name)s transcribed this clip and cannot check their own work.")
            % {"name": user.username},
            code="own_work",
        )


@transaction.atomic
def task_reassign(*, task_id: int, pm: User, to: User, lease: str = PRIMARY) -> Task:
    """Leases the task to `to`, a labeler (or, for a submitted task, a reviewer) of its
    campaign, for LABELING_LEASE_MINUTES: their next claim hands it to them first."""
    _require_pm(pm)
    task = _locked(task_id, lease)
    _require_member(task.recording.campaign, to)
    if task.recording.status != Recording.Status.READY:
        raise Conflict(_("This clip's audio is no longer available."), code="recording_gone")
    _require_can_take(task, to, lease)
    until = lease_until(timezone.now())
    if lease == DOUBLE:
        task.double_assignee = to
        task.double_lease_expires_at = until
        task.save(update_fields=["double_assignee", "double_lease_expires_at"])
    else:
        task.assignee = to
        task.lease_expires_at = until
        # updated_at (auto_now) marks when the new holder's lease started, as a claim does.
        task.save(update_fields=["assignee", "lease_expires_at", "updated_at"])
    return task
