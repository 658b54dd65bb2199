"""The PM releases a stuck lease or hands a task to a chosen labeler; the old holder loses it."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from labelhub.accounts.models import User
from labelhub.errors import Conflict, DomainError, NotAllowed
from labelhub.labeling.models import Task
from labelhub.labeling.queue_selectors import DOUBLE, queue_counts
from labelhub.labeling.queue_services import task_lease_release, task_reassign
from labelhub.labeling.review import double_submit, review_claim_next, review_decide
from labelhub.labeling.services import LeaseExpired, task_claim_next, task_submit
from labelhub.recordings.models import Recording
from tests.factories import UserFactory
from tests.labeling.helpers import (
    campaign,
    labeler_user,
    reviewer_user,
    submitted_task,
    task_with_draft,
)

pytestmark = pytest.mark.django_db


def test_a_released_task_is_open_again_and_the_old_holder_cannot_submit(pm, labeler) -> None:
    task, draft = task_with_draft()
    task_claim_next(labeler=labeler)

    holder = task_lease_release(task_id=task.pk, pm=pm)

    task.refresh_from_db()
    assert holder == labeler
    assert (task.status, task.assignee, task.lease_expires_at) == (Task.Status.OPEN, None, None)
    assert queue_counts(campaign=task.recording.campaign)["open"] == 1
    with pytest.raises(LeaseExpired):
        task_submit(task_id=task.pk, labeler=labeler, text="turn on", base_revision_id=draft.pk)
    assert task_claim_next(labeler=labeler_user()).pk == task.pk  # anyone may take it now


def test_a_released_review_goes_back_to_the_review_queue(pm, labeler) -> None:
    task, revision = submitted_task(labeler=labeler, campaign=campaign(review_share=1.0))
    reviewer = reviewer_user()
    review_claim_next(reviewer=reviewer)

    assert task_lease_release(task_id=task.pk, pm=pm) == reviewer

    task.refresh_from_db()
    assert (task.status, task.assignee) == (Task.Status.SUBMITTED, None)
    with pytest.raises(LeaseExpired):
        review_decide(
            task_id=task.pk,
            reviewer=reviewer,
            decision="approve",
            text=revision.text,
            base_revision_id=revision.pk,
        )


def test_a_released_second_transcription_waits_for_another_labeler(pm, labeler) -> None:
    doubled = campaign(double_transcription_share=1.0, review_share=0.0)
    task, _revision = submitted_task(labeler=labeler, campaign=doubled)
    second = labeler_user()
    task_claim_next(labeler=second)

    assert task_lease_release(task_id=task.pk, pm=pm, lease=DOUBLE) == second

    task.refresh_from_db()
    assert (task.double_status, task.double_assignee) == (Task.DoubleStatus.PENDING, None)
    with pytest.raises(LeaseExpired):
        double_submit(task_id=task.pk, labeler=second, text="turn on the tv")


def test_releasing_what_nobody_holds_is_refused(pm, labeler) -> None:
    approved, _revision = submitted_task(labeler=labeler, campaign=campaign(review_share=0.0))
    waiting, _revision = submitted_task(labeler=labeler, campaign=campaign(review_share=1.0))
    task, _draft = task_with_draft()

    with pytest.raises(Conflict, match="Nobody holds"):
        task_lease_release(task_id=task.pk, pm=pm)
    with pytest.raises(Conflict):
        task_lease_release(task_id=approved.pk, pm=pm)
    with pytest.raises(Conflict):  # submitted, waiting for review: its labeler holds no lease
        task_lease_release(task_id=waiting.pk, pm=pm)
    with pytest.raises(Conflict):
        task_lease_release(task_id=task.pk, pm=pm, lease=DOUBLE)
    with pytest.raises(DomainError, match="Unknown lease"):
        task_lease_release(task_id=task.pk, pm=pm, lease="both")


def test_only_a_pm_releases_or_reassigns(labeler) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)

    with pytest.raises(NotAllowed):
        task_lease_release(task_id=task.pk, pm=labeler)
    with pytest.raises(NotAllowed):
        task_reassign(task_id=task.pk, pm=reviewer_user(), to=labeler)


def test_a_reassigned_task_is_the_new_labelers_next_claim(pm, labeler) -> None:
    task, draft = task_with_draft(priority=1)
    task_with_draft(priority=100)  # the queue would hand this one out first
    task_claim_next(labeler=labeler)  # takes the urgent one
    chosen = labeler_user()

    task_reassign(task_id=task.pk, pm=pm, to=chosen)

    assert task_claim_next(labeler=chosen).pk == task.pk
    task_submit(task_id=task.pk, labeler=chosen, text="turn on the tv", base_revision_id=draft.pk)


def test_reassigning_a_held_task_takes_it_from_its_holder(pm, labeler) -> None:
    task, draft = task_with_draft()
    task_claim_next(labeler=labeler)
    chosen = labeler_user()

    task_reassign(task_id=task.pk, pm=pm, to=chosen)

    with pytest.raises(LeaseExpired):
        task_submit(task_id=task.pk, labeler=labeler, text="mine", base_revision_id=draft.pk)
    task_submit(task_id=task.pk, labeler=chosen, text="theirs", base_revision_id=draft.pk)


def test_reassigning_to_someone_off_the_campaign_list_is_refused(pm, labeler) -> None:
    listed = campaign()
    listed.labelers.set([labeler])
    task, _draft = task_with_draft(campaign=listed)
    outsider = labeler_user(username="outsider")

    with pytest.raises(DomainError, match="outsider does not work on this campaign"):
        task_reassign(task_id=task.pk, pm=pm, to=outsider)
    task_reassign(task_id=task.pk, pm=pm, to=labeler)  # a listed one may have it


@pytest.mark.parametrize(
    "fields",
    [
        {"role": User.Role.PM},
        {"role": User.Role.CLIENT},
        {"role": User.Role.LABELER, "is_active": False},
    ],
)
def test_reassigning_to_someone_who_is_not_labeling_staff_is_refused(pm, fields) -> None:
    task, _draft = task_with_draft()
    other = UserFactory(**fields)

    with pytest.raises(DomainError) as refused:
        task_reassign(task_id=task.pk, pm=pm, to=other)
    assert refused.value.code == "not_labeling_staff"
    task.refresh_from_db()
    assert task.assignee is None


def test_a_submitted_task_goes_only_to_a_reviewer_who_did_not_write_it(pm) -> None:
    author = reviewer_user(username="author")
    task, _revision = submitted_task(labeler=author, campaign=campaign(review_share=1.0))

    with pytest.raises(DomainError, match="not a reviewer"):
        task_reassign(task_id=task.pk, pm=pm, to=labeler_user())
    with pytest.raises(DomainError, match="author transcribed this clip"):
        task_reassign(task_id=task.pk, pm=pm, to=author)
    reviewer = reviewer_user()
    task_reassign(task_id=task.pk, pm=pm, to=reviewer)
    assert review_claim_next(reviewer=reviewer).pk == task.pk


def test_a_second_transcription_goes_to_someone_other_than_the_first_labeler(pm, labeler) -> None:
    doubled = campaign(double_transcription_share=1.0, review_share=0.0)
    task, _revision = submitted_task(labeler=labeler, campaign=doubled)

    with pytest.raises(DomainError) as refused:
        task_reassign(task_id=task.pk, pm=pm, to=labeler, lease=DOUBLE)
    assert refused.value.code == "own_work"
    second = labeler_user()
    task_reassign(task_id=task.pk, pm=pm, to=second, lease=DOUBLE)
    double_submit(task_id=task.pk, labeler=second, text="turn on the tv")


def test_closed_or_withdrawn_tasks_are_not_handed_out(pm, labeler) -> None:
    skipped, _draft = task_with_draft(status=Task.Status.SKIPPED)
    withdrawn, _draft = task_with_draft()
    Recording.objects.filter(pk=withdrawn.recording_id).update(status=Recording.Status.WITHDRAWN)

    with pytest.raises(Conflict, match="approved or skipped"):
        task_reassign(task_id=skipped.pk, pm=pm, to=labeler)
    with pytest.raises(Conflict, match="no longer available"):
        task_reassign(task_id=withdrawn.pk, pm=pm, to=labeler)
    with pytest.raises(Conflict, match="not waiting for a second"):
        task_reassign(task_id=skipped.pk, pm=pm, to=labeler, lease=DOUBLE)


@pytest.mark.django_db(transaction=True)
def test_a_submit_racing_a_release_waits_for_it_and_then_fails() -> None:
    """The release holds the row lock; the old holder's submit blocks on it, then sees no lease."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what this test is about")
    pm, labeler = UserFactory(role=User.Role.PM), labeler_user()
    task, draft = task_with_draft()
    task_claim_next(labeler=labeler)
    outcome: list[BaseException | str] = []

    def submit() -> None:
        try:
            task_submit(task_id=task.pk, labeler=labeler, text="late", base_revision_id=draft.pk)
            outcome.append("submitted")
        except BaseException as error:  # inspected by the main thread
            outcome.append(error)
        finally:
            connections.close_all()

    with transaction.atomic():
        task_lease_release(task_id=task.pk, pm=pm)
        racer = threading.Thread(target=submit)
        racer.start()
        time.sleep(0.5)
        assert racer.is_alive() and outcome == []  # blocked on the release's row lock
    racer.join(timeout=30)

    assert len(outcome) == 1 and isinstance(outcome[0], LeaseExpired)
    task.refresh_from_db()
    assert (task.status, task.assignee) == (Task.Status.OPEN, None)
    assert not task.recording.revisions.filter(text="late").exists()


@pytest.mark.django_db(transaction=True)
def test_a_reassign_racing_a_submit_waits_for_it_and_then_refuses() -> None:
    """Without the row lock, the reassign would read the open task before the submit commits
    and then write a labeler onto a transcript that waits for review."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what this test is about")
    pm, labeler, chosen = UserFactory(role=User.Role.PM), labeler_user(), labeler_user()
    task, draft = task_with_draft(campaign=campaign(review_share=1.0))
    task_claim_next(labeler=labeler)
    outcome: list[BaseException | str] = []

    def reassign() -> None:
        try:
            task_reassign(task_id=task.pk, pm=pm, to=chosen)
            outcome.append("reassigned")
        except BaseException as error:  # inspected by the main thread
            outcome.append(error)
        finally:
            connections.close_all()

    with transaction.atomic():
        task_submit(task_id=task.pk, labeler=labeler, text="done", base_revision_id=draft.pk)
        racer = threading.Thread(target=reassign)
        racer.start()
        time.sleep(0.5)
        assert racer.is_alive() and outcome == []
    racer.join(timeout=30)

    assert len(outcome) == 1 and isinstance(outcome[0], DomainError)
    assert outcome[0].code == "not_a_reviewer"
    task.refresh_from_db()
    assert (task.status, task.lease_expires_at) == (Task.Status.SUBMITTED, None)
    assert task.assignee == labeler  # as task_submit leaves it: nobody's lease
