"""The labeler's queue: priorities, returned work, leases, skipping and the PM's triage."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labelhub.errors import NotAllowed
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.services import (
    ConventionViolation,
    LeaseExpired,
    StaleRevision,
    task_claim_next,
    task_renew_lease,
    task_requeue,
    task_skip,
    task_submit,
)
from labelhub.recordings.models import Recording
from tests.factories import RevisionFactory
from tests.labeling.helpers import campaign, labeler_user, task_with_draft

pytestmark = pytest.mark.django_db


def test_claim_hands_out_the_highest_priority_task_first(labeler) -> None:
    task_with_draft(priority=10)
    urgent, _draft = task_with_draft(priority=900)

    assert task_claim_next(labeler=labeler).pk == urgent.pk


def test_a_returned_task_goes_back_to_its_labeler_before_anything_else(labeler) -> None:
    task_with_draft(priority=999)
    returned, _draft = task_with_draft(priority=0, labeler=labeler, times_returned=1)

    assert task_claim_next(labeler=labeler).pk == returned.pk


def test_a_returned_task_is_kept_from_other_labelers_for_a_while(labeler) -> None:
    task_with_draft(labeler=labeler, times_returned=1)

    assert task_claim_next(labeler=labeler_user()) is None


def test_renewing_the_lease_pushes_its_end_forward(labeler) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)
    Task.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=5))

    until = task_renew_lease(task_id=task.pk, user=labeler)

    task.refresh_from_db()
    assert task.lease_expires_at == until
    assert until > timezone.now() + timedelta(minutes=5)


def test_only_the_holder_can_renew_a_lease(labeler) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)

    with pytest.raises(LeaseExpired):
        task_renew_lease(task_id=task.pk, user=labeler_user())


def test_an_expired_lease_cannot_be_renewed(labeler) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)
    Task.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(LeaseExpired):
        task_renew_lease(task_id=task.pk, user=labeler)


def test_a_save_retried_after_the_lease_ran_out_still_lands_if_nobody_took_the_task(
    labeler,
) -> None:
    task, draft = task_with_draft()
    task_claim_next(labeler=labeler)
    Task.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(minutes=1))

    revision = task_submit(task_id=task.pk, labeler=labeler, text="x", base_revision_id=draft.pk)

    assert revision.author == labeler


def test_submit_records_the_work_time_and_the_source(labeler) -> None:
    task, draft = task_with_draft()
    task_claim_next(labeler=labeler)

    revision = task_submit(
        task_id=task.pk,
        labeler=labeler,
        text="turn on the TV",
        base_revision_id=draft.pk,
        work_seconds=12.5,
        source=TranscriptRevision.Source.WORKBENCH,
    )

    assert (revision.work_seconds, revision.source) == (12.5, "workbench")
    task.refresh_from_db()
    assert task.labeler == labeler


def test_a_stale_save_carries_the_newer_revision(labeler) -> None:
    task, draft = task_with_draft()
    task_claim_next(labeler=labeler)
    newer = RevisionFactory(
        recording=task.recording, number=2, kind=TranscriptRevision.Kind.REVIEW, text="newer"
    )

    with pytest.raises(StaleRevision) as raised:
        task_submit(task_id=task.pk, labeler=labeler, text="x", base_revision_id=draft.pk)

    assert raised.value.extra["latest"]["id"] == newer.pk
    assert raised.value.extra["latest"]["text"] == "newer"


def test_a_clip_outside_the_review_sample_is_approved_on_submit(labeler) -> None:
    task, draft = task_with_draft(campaign=campaign(review_share=0.0))
    task_claim_next(labeler=labeler)

    task_submit(task_id=task.pk, labeler=labeler, text="fine", base_revision_id=draft.pk)

    task.refresh_from_db()
    assert (task.status, task.needs_review) == (Task.Status.APPROVED, False)


def test_a_clip_in_the_review_sample_waits_for_review(labeler) -> None:
    task, draft = task_with_draft(campaign=campaign(review_share=1.0))
    task_claim_next(labeler=labeler)

    task_submit(task_id=task.pk, labeler=labeler, text="fine", base_revision_id=draft.pk)

    task.refresh_from_db()
    assert (task.status, task.needs_review) == (Task.Status.SUBMITTED, True)


def test_a_text_breaking_the_campaign_convention_is_refused_and_nothing_is_stored(
    labeler,
) -> None:
    task, draft = task_with_draft(campaign=campaign(convention="kspon", language="ko"))
    task_claim_next(labeler=labeler)

    with pytest.raises(ConventionViolation) as raised:
        task_submit(task_id=task.pk, labeler=labeler, text="3시에 x/ 와", base_revision_id=draft.pk)

    assert [issue["code"] for issue in raised.value.extra["issues"]] == ["digit", "unknown_tag"]
    assert task.recording.revisions.count() == 1


def test_skipping_sends_the_clip_to_triage_with_the_reason(labeler) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)

    task_skip(task_id=task.pk, labeler=labeler, reason="noise", note="only traffic")

    task.refresh_from_db()
    assert (task.status, task.skip_reason, task.skip_note) == ("skipped", "noise", "only traffic")
    assert task.assignee is None
    assert task_claim_next(labeler=labeler) is None


def test_only_the_holder_can_skip_a_task(labeler) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)

    with pytest.raises(LeaseExpired):
        task_skip(task_id=task.pk, labeler=labeler_user(), reason="noise")


def test_the_pm_returns_a_skipped_clip_to_the_queue(labeler, pm) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)
    task_skip(task_id=task.pk, labeler=labeler, reason="wrong_language")

    task_requeue(task_id=task.pk, pm=pm)

    task.refresh_from_db()
    assert (task.status, task.skip_reason) == ("open", "")
    assert task_claim_next(labeler=labeler_user()).pk == task.pk


def test_a_labeler_cannot_return_skipped_clips_to_the_queue(labeler) -> None:
    task, _draft = task_with_draft(status=Task.Status.SKIPPED)

    with pytest.raises(NotAllowed):
        task_requeue(task_id=task.pk, pm=labeler)


def test_a_withdrawn_speakers_clip_is_never_handed_out(labeler) -> None:
    withdrawn, _draft = task_with_draft(priority=999)
    Recording.objects.filter(pk=withdrawn.recording_id).update(status=Recording.Status.WITHDRAWN)
    kept, _draft = task_with_draft(priority=1)

    assert task_claim_next(labeler=labeler).pk == kept.pk
    assert task_claim_next(labeler=labeler_user()) is None
