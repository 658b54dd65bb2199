"""Stale-fact marks: written in the transaction that changed a clip, drained in batches by one
task for many changes, and never lost to a drain that fails."""

import pytest
import redis
from django.conf import settings
from django.db import transaction

from labelhub.analytics.facts import facts_rebuild, stale_facts_drain
from labelhub.analytics.models import ClipFact, StaleClipFact
from labelhub.dispatch import FACTS_DRAIN_TASK, app, clip_facts_refresh_on_commit
from labelhub.labeling.services import task_claim_next, task_submit
from tests.analytics.test_clip_facts import figures, history, rollup_rows
from tests.factories import CampaignFactory, QuotaCellFactory
from tests.labeling.helpers import labeler_user, task_with_draft
from workers.tasks.analytics import clip_facts_drain_task

pytestmark = pytest.mark.django_db


def marked() -> set[int]:
    return set(StaleClipFact.objects.values_list("pk", flat=True))


def queued_drains() -> int:
    """Drain messages waiting in the real broker's default queue."""
    broker = redis.Redis.from_url(settings.REDIS_URL)
    return sum(FACTS_DRAIN_TASK.encode() in message for message in broker.lrange("celery", 0, -1))


@pytest.fixture
def empty_queue() -> None:
    if not settings.REDIS_URL:
        pytest.fail("these tests read the Redis broker: set REDIS_URL")
    app.control.purge()


def test_a_change_marks_its_clip_and_a_rollback_takes_the_mark_back() -> None:
    task, _draft = task_with_draft()
    StaleClipFact.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        clip_facts_refresh_on_commit(task.campaign_id, [task.recording_id])
        assert marked() == {task.recording_id}
        raise RuntimeError("the change fails")

    assert marked() == set()
    clip_facts_refresh_on_commit(task.campaign_id, [task.recording_id, task.recording_id])
    clip_facts_refresh_on_commit(task.campaign_id, [task.recording_id])  # marked once
    assert marked() == {task.recording_id}


def test_a_burst_of_submits_queues_one_drain(
    empty_queue: None, django_capture_on_commit_callbacks
) -> None:
    campaign = CampaignFactory(language="en")
    labeler = labeler_user()
    tasks = [task_with_draft(campaign=campaign, text=f"clip {n}") for n in range(12)]

    for task, draft in tasks:
        with django_capture_on_commit_callbacks(execute=True):
            task_claim_next(labeler=labeler)
            task_submit(task_id=task.pk, labeler=labeler, text="edited", base_revision_id=draft.pk)

    # One message for the twelve commits (a message per submit before), and every clip marked.
    assert queued_drains() == 1
    assert {task.recording_id for task, _draft in tasks} <= marked()


def test_once_a_drain_has_started_the_next_mark_queues_another(
    empty_queue: None, django_capture_on_commit_callbacks
) -> None:
    first, _ = task_with_draft()
    with django_capture_on_commit_callbacks(execute=True):
        clip_facts_refresh_on_commit(first.campaign_id, [first.recording_id])
    clip_facts_drain_task()  # as the worker runs it
    second, _ = task_with_draft()

    with django_capture_on_commit_callbacks(execute=True):
        clip_facts_refresh_on_commit(second.campaign_id, [second.recording_id])

    assert queued_drains() == 2  # the second mark is not left to a drain that already read
    assert ClipFact.objects.filter(recording_id=first.recording_id).exists()


def test_the_drain_writes_the_figures_a_rebuild_writes(django_capture_on_commit_callbacks) -> None:
    # No worker and no eager mode: the services only mark their clips.
    campaign = CampaignFactory(language="en", review_share=1.0)
    QuotaCellFactory(campaign=campaign, age_band="", gender="")
    history(campaign, django_capture_on_commit_callbacks)
    assert marked()

    stale_facts_drain()

    assert marked() == set()
    drained, drained_rollups = figures(campaign), rollup_rows(campaign)
    assert drained["coverage"] and all(drained_rollups.values())
    facts_rebuild(campaign=campaign)
    assert figures(campaign) == drained
    assert rollup_rows(campaign) == drained_rollups


def marked_tasks(count: int) -> list:
    """Tasks whose clips are marked, as a service marks them (the factories do not)."""
    tasks = [task_with_draft()[0] for _ in range(count)]
    for task in tasks:
        clip_facts_refresh_on_commit(task.campaign_id, [task.recording_id])
    return tasks


def test_a_drain_that_fails_midway_leaves_its_marks(monkeypatch) -> None:
    tasks = marked_tasks(3)
    before = marked()
    assert {task.recording_id for task in tasks} == before

    def fail(ids: list[int]) -> int:
        raise ConnectionError("the database went away mid-drain")

    monkeypatch.setattr("labelhub.analytics.facts.clip_fact_refresh", fail)
    with pytest.raises(ConnectionError):
        stale_facts_drain()

    assert marked() == before
    assert not ClipFact.objects.filter(recording_id__in=before).exists()


def test_beat_drains_the_marks_whose_drain_was_lost() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE["facts-drain"]
    assert schedule["task"] == FACTS_DRAIN_TASK and schedule["schedule"] <= 60
    (task,) = marked_tasks(1)  # its on-commit drain never runs: the test never commits

    app.loader.import_default_modules()
    app.tasks[schedule["task"]].apply()

    assert marked() == set()
    assert ClipFact.objects.filter(recording_id=task.recording_id).exists()
