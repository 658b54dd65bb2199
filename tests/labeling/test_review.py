"""Review: reviewers claim submitted work (never their own), approve, edit or return it."""

import pytest

from labelhub.accounts.models import User
from labelhub.errors import DomainError, NotAllowed
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.review import review_claim_next, review_decide
from labelhub.labeling.services import LeaseExpired, StaleRevision, task_claim_next, task_submit
from tests.factories import UserFactory
from tests.labeling.helpers import reviewer_user, submitted_task

pytestmark = pytest.mark.django_db


def test_a_reviewer_claims_submitted_work(labeler) -> None:
    task, _revision = submitted_task(labeler=labeler)
    reviewer = reviewer_user()

    claimed = review_claim_next(reviewer=reviewer)

    assert claimed.pk == task.pk
    assert claimed.assignee == reviewer


def test_two_reviewers_never_get_the_same_task(labeler) -> None:
    submitted_task(labeler=labeler)

    first = review_claim_next(reviewer=reviewer_user())

    assert first is not None
    assert review_claim_next(reviewer=reviewer_user()) is None


def test_nobody_reviews_their_own_transcript() -> None:
    pm = UserFactory(role=User.Role.PM)
    submitted_task(labeler=pm)

    assert review_claim_next(reviewer=pm) is None


def test_a_labeler_cannot_review(labeler) -> None:
    with pytest.raises(NotAllowed):
        review_claim_next(reviewer=labeler)


def test_approving_unchanged_text_finalises_the_task(labeler) -> None:
    task, revision = submitted_task(labeler=labeler, text="turn on the TV")
    reviewer = reviewer_user()
    review_claim_next(reviewer=reviewer)

    review = review_decide(
        task_id=task.pk,
        reviewer=reviewer,
        decision="approve",
        text="turn on the TV",
        base_revision_id=revision.pk,
    )

    assert (review.kind, review.decision, review.parent_id) == ("review", "approved", revision.pk)
    task.refresh_from_db()
    assert task.status == Task.Status.APPROVED


def test_approving_edited_text_is_recorded_as_edited(labeler) -> None:
    task, revision = submitted_task(labeler=labeler, text="turn on the TV")
    reviewer = reviewer_user()
    review_claim_next(reviewer=reviewer)

    review = review_decide(
        task_id=task.pk,
        reviewer=reviewer,
        decision="approve",
        text="turn on the radio",
        base_revision_id=revision.pk,
    )

    assert (review.decision, review.text) == ("edited", "turn on the radio")


def test_returning_reopens_the_task_for_the_same_labeler_with_the_comment(labeler) -> None:
    task, revision = submitted_task(labeler=labeler)
    reviewer = reviewer_user()
    review_claim_next(reviewer=reviewer)

    review = review_decide(
        task_id=task.pk,
        reviewer=reviewer,
        decision="return",
        text="ignored",
        comment="You missed the last word.",
        base_revision_id=revision.pk,
    )

    assert (review.decision, review.comment, review.text) == (
        "returned",
        "You missed the last word.",
        revision.text,
    )
    task.refresh_from_db()
    assert (task.status, task.times_returned) == (Task.Status.OPEN, 1)
    assert task.return_comment == "You missed the last word."
    again = task_claim_next(labeler=labeler)
    assert again.pk == task.pk


def test_a_return_needs_a_comment(labeler) -> None:
    task, revision = submitted_task(labeler=labeler)
    reviewer = reviewer_user()
    review_claim_next(reviewer=reviewer)

    with pytest.raises(DomainError, match="comment"):
        review_decide(
            task_id=task.pk,
            reviewer=reviewer,
            decision="return",
            text="",
            base_revision_id=revision.pk,
        )

    assert task.recording.revisions.count() == 2


def test_a_reviewer_without_the_lease_cannot_decide(labeler) -> None:
    task, revision = submitted_task(labeler=labeler)
    review_claim_next(reviewer=reviewer_user())

    with pytest.raises(LeaseExpired):
        review_decide(
            task_id=task.pk,
            reviewer=reviewer_user(),
            decision="approve",
            text="x",
            base_revision_id=revision.pk,
        )


def test_a_review_on_a_stale_base_is_refused(labeler) -> None:
    task, revision = submitted_task(labeler=labeler)
    reviewer = reviewer_user()
    review_claim_next(reviewer=reviewer)

    with pytest.raises(StaleRevision):
        review_decide(
            task_id=task.pk,
            reviewer=reviewer,
            decision="approve",
            text="x",
            base_revision_id=revision.parent_id,
        )


def test_the_resubmitted_transcript_clears_the_return_comment(labeler) -> None:
    task, revision = submitted_task(labeler=labeler)
    reviewer = reviewer_user()
    review_claim_next(reviewer=reviewer)
    review = review_decide(
        task_id=task.pk,
        reviewer=reviewer,
        decision="return",
        text="",
        comment="fix it",
        base_revision_id=revision.pk,
    )
    task_claim_next(labeler=labeler)

    task_submit(task_id=task.pk, labeler=labeler, text="fixed", base_revision_id=review.pk)

    task.refresh_from_db()
    assert (task.status, task.return_comment) == (Task.Status.SUBMITTED, "")
    kinds = list(task.recording.revisions.values_list("kind", flat=True))
    assert kinds == [
        TranscriptRevision.Kind.ASR_DRAFT,
        TranscriptRevision.Kind.LABELER_EDIT,
        TranscriptRevision.Kind.REVIEW,
        TranscriptRevision.Kind.LABELER_EDIT,
    ]
