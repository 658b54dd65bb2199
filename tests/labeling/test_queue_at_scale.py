"""What keeps the claim fast over a million tasks: tasks know their campaign, the queue is read
on it by value, and a submit locks no campaign row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from labelhub.labeling.models import Task
from labelhub.labeling.services import task_claim_next, task_submit
from labelhub.recordings.models import Recording
from tests.factories import RecordingFactory
from tests.labeling.helpers import campaign, task_with_draft

pytestmark = pytest.mark.django_db


def locking(queries: CaptureQueriesContext) -> list[str]:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    return [query["sql"] for query in queries.captured_queries if "FOR UPDATE" in query["sql"]]


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
    assert lock.rstrip().endswith("FOR UPDATE OF t, r"), lock  # the aliases of these two:
    assert f"FROM {Task._meta.db_table} t " in lock, lock
    assert f"JOIN {Recording._meta.db_table} r " in lock, lock
