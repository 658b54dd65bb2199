"""What keeps the claim fast over a million tasks: tasks know their campaign, the queue is read
on it by value, and a submit locks no campaign row."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from labelhub.labeling.models import Task
from labelhub.labeling.review import review_claim_next, review_decide
from labelhub.labeling.services import task_claim_next, task_submit
from labelhub.recordings.models import Recording
from tests.factories import RecordingFactory
from tests.labeling.helpers import campaign, reviewer_user, submitted_task, task_with_draft

pytestmark = pytest.mark.django_db


def locking(queries: CaptureQueriesContext) -> list[str]:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    # FOR UPDATE as well, so that a lock that went back to it is seen (and refused) below.
    return [
        q["sql"] for q in queries.captured_queries if re.search(r"FOR (NO KEY )?UPDATE", q["sql"])
    ]


def test_a_saved_task_takes_its_recordings_campaign() -> None:
    task, _draft = task_with_draft()

    assert task.campaign_id == task.recording.campaign_id
    assert Task.objects.get(pk=task.pk).campaign_id == task.recording.campaign_id


def test_bulk_created_tasks_take_their_recordings_campaign() -> None:
    recordings = [RecordingFactory(), RecordingFactory()]

    Task.objects.bulk_create(Task(recording=recording) for recording in recordings)

    stored = Task.objects.filter(recording__in=recordings).values_list("campaign_id", flat=True)
    assert sorted(stored) == sorted(recording.campaign_id for recording in recordings)


def test_the_claim_reads_the_queue_on_the_tasks_campaign_by_value(labeler) -> None:
    # A membership subquery hides how few campaigns match; the planner then walks the whole
    # queue in priority order instead of the campaign's index (15.8 s at 1M tasks).
    listing = campaign()
    listing.labelers.set([labeler])
    task_with_draft(campaign=listing)

    with CaptureQueriesContext(connection) as queries:
        assert task_claim_next(labeler=labeler) is not None

    queue = locking(queries)[-1]
    assert f"t.campaign_id IN ({listing.pk})" in queue, queue
    assert "campaigns_campaign_labelers" not in queue, queue


def test_a_submit_locks_the_task_and_recording_rows_only(labeler) -> None:
    task, draft = task_with_draft()
    assert task_claim_next(labeler=labeler) is not None

    with CaptureQueriesContext(connection) as queries:
        task_submit(
            task_id=task.pk, labeler=labeler, text="turn on the tv", base_revision_id=draft.pk
        )

    (lock,) = locking(queries)
    assert lock.rstrip().endswith("FOR NO KEY UPDATE OF t, r"), lock  # the aliases of these two:
    assert f"FROM {Task._meta.db_table} t " in lock, lock
    assert f"JOIN {Recording._meta.db_table} r " in lock, lock


def test_a_review_decision_locks_the_task_and_recording_rows_only(labeler) -> None:
    # Not the campaign's row (every decision in a campaign waited for the one before), and
    # FOR NO KEY UPDATE: a facts drain's foreign-key checks pass it (tests/analytics/
    # test_drain_locks.py).
    task, revision = submitted_task(labeler=labeler)
    reviewer = reviewer_user()
    assert review_claim_next(reviewer=reviewer).pk == task.pk

    with CaptureQueriesContext(connection) as queries:
        review_decide(
            task_id=task.pk,
            reviewer=reviewer,
            decision="approve",
            text=revision.text,
            base_revision_id=revision.pk,
        )

    (lock,) = locking(queries)
    tables = f'"{Task._meta.db_table}", "{Recording._meta.db_table}"'
    assert lock.rstrip().endswith(f"FOR NO KEY UPDATE OF {tables}"), lock
