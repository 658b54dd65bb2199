"""The PM's queue view: counts by state, who holds what, what waited longest, who may get it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.labeling.models import Task
from labelhub.labeling.queue_selectors import (
    DOUBLE,
    PRIMARY,
    STATES,
    queue_counts,
    queue_holdings,
    queue_members,
    queue_waiting,
)
from labelhub.labeling.services import task_claim_next
from labelhub.recordings.models import Recording
from tests.factories import UserFactory
from tests.labeling.helpers import labeler_user, reviewer_user
from tests.labeling.queue_helpers import in_minutes, queue_campaign, task_in

pytestmark = pytest.mark.django_db

Status = Task.Status


def a_campaign_in_every_state(labeler: User, reviewer: User):
    campaign = queue_campaign()
    task_in(campaign)  # open
    task_in(campaign)  # open
    task_in(campaign, assignee=labeler, lease_expires_at=in_minutes(-5))  # open, lapsed lease
    task_in(campaign, times_returned=1, labeler=labeler)  # returned
    held = task_in(campaign, assignee=labeler, lease_expires_at=in_minutes(20))
    # As task_submit leaves it: the labeler stays the assignee, with no lease.
    task_in(campaign, status=Status.SUBMITTED, labeler=labeler, assignee=labeler)
    in_review = task_in(
        campaign, status=Status.SUBMITTED, assignee=reviewer, lease_expires_at=in_minutes(10)
    )
    task_in(
        campaign,
        status=Status.APPROVED,
        labeler=labeler,
        double_status=Task.DoubleStatus.PENDING,
        double_assignee=reviewer,
        double_lease_expires_at=in_minutes(15),
    )
    task_in(campaign, status=Status.APPROVED, double_status=Task.DoubleStatus.DONE)
    task_in(campaign, status=Status.SKIPPED, skip_reason=Task.SkipReason.NOISE)
    return campaign, held, in_review


def test_every_task_is_counted_in_exactly_one_state(labeler) -> None:
    reviewer = reviewer_user()
    campaign, _held, _in_review = a_campaign_in_every_state(labeler, reviewer)
    task_in(queue_campaign(), assignee=labeler, lease_expires_at=in_minutes(5))  # elsewhere

    counts = queue_counts(campaign=campaign)

    assert {name: counts[name] for name in STATES} == {
        "open": 3,
        "returned": 1,
        "held": 1,
        "submitted": 1,
        "in_review": 1,
        "approved": 2,
        "skipped": 1,
    }
    assert sum(counts[name] for name in STATES) == counts["total"] == 10
    assert (counts["double_waiting"], counts["double_held"], counts["double_done"]) == (0, 1, 1)
    assert (counts["expired_leases"], counts["expired_double_leases"]) == (1, 0)


def test_counts_take_one_query_whatever_the_campaign_size(labeler) -> None:
    campaign, _held, _in_review = a_campaign_in_every_state(labeler, reviewer_user())
    for _ in range(20):
        task_in(campaign)

    with CaptureQueriesContext(connection) as queries:
        counts = queue_counts(campaign=campaign)

    assert len(queries) == 1
    assert counts["open"] == 23


def test_a_withdrawn_or_removed_clip_is_no_longer_counted(labeler) -> None:
    campaign = queue_campaign()
    task_in(campaign)
    withdrawn, removed = task_in(campaign), task_in(campaign)
    Recording.objects.filter(pk=withdrawn.recording_id).update(status=Recording.Status.WITHDRAWN)
    Recording.objects.filter(pk=removed.recording_id).update(status=Recording.Status.REMOVED)

    assert queue_counts(campaign=campaign)["open"] == 1


def test_the_oldest_open_task_says_how_long_it_has_waited(labeler) -> None:
    campaign = queue_campaign()
    old = task_in(campaign)
    Task.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=3))
    task_in(campaign)
    task_in(campaign, status=Status.SUBMITTED)  # older ones in other states do not count
    Task.objects.filter(status=Status.SUBMITTED).update(
        created_at=timezone.now() - timedelta(days=2)
    )

    counts = queue_counts(campaign=campaign)

    assert 3 * 3600 - 5 < counts["oldest_open_seconds"] < 3 * 3600 + 60
    assert [task.pk for task in queue_waiting(campaign=campaign)][0] == old.pk


def test_an_empty_queue_has_no_oldest_task() -> None:
    counts = queue_counts(campaign=queue_campaign())

    assert counts["total"] == 0 and counts["oldest_open_at"] is None
    assert counts["oldest_open_seconds"] is None


def test_holdings_name_who_holds_what_and_since_when(labeler) -> None:
    reviewer = reviewer_user()
    campaign, held, in_review = a_campaign_in_every_state(labeler, reviewer)
    Task.objects.filter(pk=held.pk).update(updated_at=timezone.now() - timedelta(minutes=12))

    holdings = queue_holdings(campaign=campaign)

    rows = {(h.task_id, h.lease): h for h in holdings}
    assert len(holdings) == 3
    label = rows[(held.pk, PRIMARY)]
    assert (label.username, label.kind, label.recording_id) == (
        labeler.username,
        "label",
        held.recording_id,
    )
    assert label.held_minutes == 12
    assert rows[(in_review.pk, PRIMARY)].kind == "review"
    double = next(h for h in holdings if h.lease == DOUBLE)
    assert (double.username, double.kind, double.since) == (reviewer.username, "double", None)


def test_a_real_claim_shows_up_as_held_from_the_moment_it_was_made(labeler) -> None:
    campaign = queue_campaign()
    task = task_in(campaign)

    claimed = task_claim_next(labeler=labeler)

    [holding] = queue_holdings(campaign=campaign)
    assert (
        (holding.task_id, holding.username)
        == (claimed.pk, labeler.username)
        == (
            task.pk,
            labeler.username,
        )
    )
    assert holding.held_minutes == 0
    assert abs((holding.since - timezone.now()).total_seconds()) < 60
    assert queue_counts(campaign=campaign)["held"] == 1


def test_members_are_the_listed_labelers_or_all_labeling_staff() -> None:
    open_campaign, listed_campaign = queue_campaign(), queue_campaign()
    first, second, reviewer = labeler_user(), labeler_user(), reviewer_user()
    UserFactory(role=User.Role.PM)
    UserFactory(role=User.Role.LABELER, is_active=False)
    listed_campaign.labelers.set([second])

    assert set(queue_members(campaign=open_campaign)) == {first, second, reviewer}
    assert list(queue_members(campaign=listed_campaign)) == [second]
