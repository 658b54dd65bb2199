"""Campaign membership: labelers and reviewers only get work from the campaigns they are on.

A campaign that lists nobody stays open to the whole labeling staff.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.selectors import campaigns_open_to
from labelhub.campaigns.services import campaign_labelers_set
from labelhub.errors import Conflict, DomainError
from labelhub.labeling.models import Task
from labelhub.labeling.review import review_claim_next
from labelhub.labeling.services import task_claim_next, task_submit
from labelhub.recordings.selectors import recordings_visible_to
from tests.factories import UserFactory
from tests.labeling.helpers import (
    campaign,
    labeler_user,
    reviewer_user,
    submitted_task,
    task_with_draft,
)

pytestmark = pytest.mark.django_db


def staffed(*users: User, **fields):
    """A campaign that lists exactly these users."""
    staffed_campaign = campaign(**fields)
    staffed_campaign.labelers.set(users)
    return staffed_campaign


def test_a_labeler_never_gets_a_task_of_a_campaign_that_lists_others_only(labeler) -> None:
    task_with_draft(campaign=staffed(labeler_user()), priority=999)

    assert task_claim_next(labeler=labeler) is None


def test_a_campaign_that_lists_nobody_is_open_to_every_labeler(labeler) -> None:
    task, _draft = task_with_draft(campaign=campaign())

    assert task_claim_next(labeler=labeler).pk == task.pk


def test_next_task_is_the_highest_priority_one_of_the_labelers_own_campaigns(labeler) -> None:
    task_with_draft(campaign=staffed(labeler_user()), priority=999)
    task_with_draft(campaign=campaign(), priority=10)
    mine, _draft = task_with_draft(campaign=staffed(labeler, labeler_user()), priority=500)

    assert task_claim_next(labeler=labeler).pk == mine.pk


def test_a_listed_labeler_still_gets_work_from_open_campaigns(labeler) -> None:
    staffed(labeler)
    open_task, _draft = task_with_draft(campaign=campaign())

    assert task_claim_next(labeler=labeler).pk == open_task.pk


def test_a_returned_task_does_not_go_back_to_a_labeler_taken_off_the_campaign(labeler) -> None:
    moved_on = campaign()
    task_with_draft(campaign=moved_on, labeler=labeler, times_returned=1)
    campaign_labelers_set(campaign=moved_on, labelers=[labeler_user()])

    assert task_claim_next(labeler=labeler) is None


def test_a_task_already_held_stays_with_a_labeler_taken_off_the_campaign(labeler) -> None:
    moved_on = campaign()
    task, draft = task_with_draft(campaign=moved_on)
    assert task_claim_next(labeler=labeler).pk == task.pk

    campaign_labelers_set(campaign=moved_on, labelers=[labeler_user()])

    assert task_claim_next(labeler=labeler).pk == task.pk
    task_submit(task_id=task.pk, labeler=labeler, text="turn on the TV", base_revision_id=draft.pk)
    assert Task.objects.get(pk=task.pk).status != Task.Status.OPEN


def test_a_second_transcription_only_goes_to_someone_on_the_campaign(labeler) -> None:
    first = labeler_user()
    doubled = staffed(first, labeler, double_transcription_share=1.0, review_share=1.0)
    task, _revision = submitted_task(labeler=first, campaign=doubled)
    outsider = labeler_user()

    assert task_claim_next(labeler=outsider) is None
    claimed = task_claim_next(labeler=labeler)
    assert claimed.pk == task.pk and claimed.double_assignee == labeler


def test_a_reviewer_only_reviews_the_campaigns_they_are_on(labeler) -> None:
    reviewer, outsider = reviewer_user(), reviewer_user()
    task, _revision = submitted_task(labeler=labeler, campaign=staffed(labeler, reviewer))

    assert review_claim_next(reviewer=outsider) is None
    assert review_claim_next(reviewer=reviewer).pk == task.pk


def test_a_pm_reviews_every_campaign_without_being_listed(labeler) -> None:
    pm = UserFactory(role=User.Role.PM)
    task, _revision = submitted_task(labeler=labeler, campaign=staffed(labeler))

    assert review_claim_next(reviewer=pm).pk == task.pk


def test_campaigns_open_to_a_labeler_are_theirs_and_the_unstaffed_ones(labeler) -> None:
    mine, unstaffed, others = staffed(labeler), campaign(), staffed(labeler_user())

    open_to = set(campaigns_open_to(user=labeler))

    assert mine in open_to and unstaffed in open_to and others not in open_to


def test_only_labelers_and_reviewers_can_be_listed_on_a_campaign(labeler) -> None:
    target = campaign()
    client = UserFactory(role=User.Role.CLIENT, username="acme-buyer")

    with pytest.raises(DomainError) as refused:
        campaign_labelers_set(campaign=target, labelers=[labeler, client])

    assert "acme-buyer" in refused.value.message
    assert not target.labelers.exists()


def test_an_empty_list_opens_the_campaign_to_everyone_again(labeler) -> None:
    reopened = staffed(labeler_user())
    task, _draft = task_with_draft(campaign=reopened)

    campaign_labelers_set(campaign=reopened, labelers=[])

    assert task_claim_next(labeler=labeler).pk == task.pk


def test_a_closed_campaign_keeps_its_labelers(labeler) -> None:
    closed = staffed(labeler, status="closed")

    with pytest.raises(Conflict):
        campaign_labelers_set(campaign=closed, labelers=[])

    assert list(closed.labelers.all()) == [labeler]


def test_the_claim_locks_task_rows_only(labeler) -> None:
    # A join under SELECT ... FOR UPDATE would lock the campaign and membership rows too, and
    # every claim would queue behind every other one on the same campaign.
    task_with_draft(campaign=staffed(labeler))

    with CaptureQueriesContext(connection) as queries:
        assert task_claim_next(labeler=labeler) is not None

    locking = [
        q["sql"] for q in queries.captured_queries if re.search(r"FOR (NO KEY )?UPDATE", q["sql"])
    ]
    assert locking
    for sql in locking:  # the queues that lock are read on the task table alone, OF t
        queues = sql.split("picked AS", 1)[0]
        assert " JOIN " not in queues, sql
        assert set(re.findall(r"FOR NO KEY UPDATE OF (\w+)", sql)) == {"t"}, sql
        assert "FROM labeling_task t" in queues, sql


# Reads follow the same membership as claims: a clip of a campaign that lists others only is
# not there at all (404) for a labeler, on the API and on the history page alike.
RECORDING_READS = [
    "recording-detail",
    "recording-audio",
    "recording-peaks",
    "recording-history",
    "labeling-history",
]


@pytest.mark.parametrize("route", RECORDING_READS)
def test_a_labeler_not_listed_on_a_campaign_reads_none_of_its_clips(client, route) -> None:
    task, _draft = task_with_draft(campaign=staffed(labeler_user()))
    client.force_login(labeler_user())

    answer = client.get(reverse(route, args=[task.recording_id]))

    assert answer.status_code == 404


@pytest.mark.parametrize("route", ["recording-detail", "recording-history", "labeling-history"])
def test_a_listed_labeler_reads_the_clips_of_their_campaign(client, labeler, route) -> None:
    task, _draft = task_with_draft(campaign=staffed(labeler))
    client.force_login(labeler)

    assert client.get(reverse(route, args=[task.recording_id])).status_code == 200


def test_a_reviewer_not_listed_on_a_campaign_reads_none_of_its_clips(client) -> None:
    task, _draft = task_with_draft(campaign=staffed(reviewer_user()))
    client.force_login(reviewer_user())

    assert client.get(reverse("recording-history", args=[task.recording_id])).status_code == 404


def test_a_labeler_taken_off_a_campaign_still_plays_the_task_they_hold(client, labeler) -> None:
    listed = staffed(labeler)
    task, _draft = task_with_draft(campaign=listed)
    assert task_claim_next(labeler=labeler).pk == task.pk
    campaign_labelers_set(campaign=listed, labelers=[labeler_user()])
    client.force_login(labeler)

    assert client.get(reverse("recording-audio", args=[task.recording_id])).status_code == 200


def test_the_held_task_grants_nothing_once_its_lease_runs_out(client, labeler) -> None:
    listed = staffed(labeler)
    task, _draft = task_with_draft(campaign=listed)
    task_claim_next(labeler=labeler)
    campaign_labelers_set(campaign=listed, labelers=[labeler_user()])
    Task.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(labeler)

    assert client.get(reverse("recording-audio", args=[task.recording_id])).status_code == 404


def test_recordings_visible_to_a_labeler_are_those_of_campaigns_open_to_them(labeler) -> None:
    mine, _ = task_with_draft(campaign=staffed(labeler))
    unstaffed, _ = task_with_draft(campaign=campaign())
    task_with_draft(campaign=staffed(labeler_user()))

    visible = set(recordings_visible_to(user=labeler).values_list("pk", flat=True))

    assert visible == {mine.recording_id, unstaffed.recording_id}


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("task-submit", {"text": "turn on the tv", "base_revision": None}),
        ("task-lease", {}),
        ("task-skip", {"reason": "noise"}),
        ("review-decide", {"decision": "approve", "text": "turn on the tv"}),
    ],
)
def test_a_task_of_a_campaign_that_lists_others_is_not_there_for_a_stranger(
    api_for, route, body
) -> None:
    task, _draft = task_with_draft(campaign=staffed(labeler_user(), reviewer_user()))
    stranger = reviewer_user() if route == "review-decide" else labeler_user()

    answer = api_for(stranger).post(reverse(route, args=[task.pk]), body, format="json")

    assert answer.status_code == 404
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN and task.assignee is None


def test_a_labeler_taken_off_a_campaign_still_submits_the_task_they_hold(api_for, labeler):
    listed = staffed(labeler)
    task, draft = task_with_draft(campaign=listed)
    task_claim_next(labeler=labeler)
    campaign_labelers_set(campaign=listed, labelers=[labeler_user()])

    answer = api_for(labeler).post(
        reverse("task-submit", args=[task.pk]),
        {"text": "turn on the tv", "base_revision": draft.pk},
        format="json",
    )

    assert answer.status_code == 201
