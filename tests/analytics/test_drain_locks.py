"""A labeler's submit or a reviewer's decision that marks a clip while a facts drain holds that
clip's mark: the change waits for the drain, and the drain never waits for the change.

The drain deletes the marks it took and then writes ClipFact rows, whose foreign keys take
FOR KEY SHARE on the recording, the campaign and the speaker. A change that had locked those
rows FOR UPDATE and then waited on the deleted mark made a cycle, which PostgreSQL broke by
failing one of them (a 500 on a review decision in tests/e2e/test_multihost.py). Changes lock
FOR NO KEY UPDATE, which key-share locks pass.
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections

from labelhub.analytics import facts
from labelhub.analytics.models import ClipFact, StaleClipFact
from labelhub.dispatch import clip_facts_mark
from labelhub.labeling.models import Task
from labelhub.labeling.review import review_claim_next, review_decide
from labelhub.labeling.services import task_claim_next, task_submit
from tests.analytics.test_clip_facts import rollup_rows
from tests.factories import RevisionFactory
from tests.labeling.helpers import labeler_user, reviewer_user, submitted_task, task_with_draft

WAIT_SECONDS = 20


def backend_waits_on_a_lock(pid: int) -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", [pid]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def a_submit() -> tuple[Task, Callable[[], object]]:
    task, draft = task_with_draft(text="turn on the tv")
    labeler = labeler_user()
    assert task_claim_next(labeler=labeler).pk == task.pk
    return task, lambda: task_submit(
        task_id=task.pk, labeler=labeler, text="turn on the TV", base_revision_id=draft.pk
    )


def a_review() -> tuple[Task, Callable[[], object]]:
    task, revision = submitted_task(labeler=labeler_user())
    reviewer = reviewer_user()
    assert review_claim_next(reviewer=reviewer).pk == task.pk
    return task, lambda: review_decide(
        task_id=task.pk,
        reviewer=reviewer,
        decision="approve",
        text=revision.text,
        base_revision_id=revision.pk,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prepare", [a_submit, a_review], ids=["submit", "review"])
def test_a_change_that_waits_on_a_drain_does_not_deadlock_it(monkeypatch, prepare) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what this test is about")
    task, change = prepare()
    StaleClipFact.objects.all().delete()
    clip_facts_mark([task.recording_id])
    change_pid: list[int] = []
    drain_holds_the_mark = threading.Event()
    errors: list[BaseException] = []
    refresh = facts.clip_fact_refresh

    def refresh_once_the_change_waits(ids: list[int]) -> int:
        # The drain has deleted the mark (uncommitted): the change's mark now waits on it.
        drain_holds_the_mark.set()
        deadline = time.monotonic() + WAIT_SECONDS
        while not (change_pid and backend_waits_on_a_lock(change_pid[0])):
            assert time.monotonic() < deadline, "the change never waited on the drain's mark"
            time.sleep(0.02)
        return refresh(ids)

    monkeypatch.setattr(facts, "clip_fact_refresh", refresh_once_the_change_waits)

    def run_drain() -> None:
        try:
            facts.stale_facts_drain()
        except BaseException as error:  # reported by the main thread below
            errors.append(error)
        finally:
            drain_holds_the_mark.set()
            connections.close_all()

    def run_change() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                change_pid.append(cursor.fetchone()[0])
            assert drain_holds_the_mark.wait(WAIT_SECONDS)
            change()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_drain), threading.Thread(target=run_change)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS * 2)

    assert errors == []
    # The drain wrote the facts it read; the change, committed after it, left a mark of its own.
    assert ClipFact.objects.filter(recording_id=task.recording_id).exists()
    assert StaleClipFact.objects.filter(recording_id=task.recording_id).exists()
    task.refresh_from_db()
    assert task.status in {Task.Status.SUBMITTED, Task.Status.APPROVED}


@pytest.mark.django_db(transaction=True)
def test_two_drains_that_share_a_speaker_count_each_of_its_clips_once(monkeypatch) -> None:
    """Drain A rewrites the speaker's rollups and holds them; drain B, with the speaker's other
    clip, deletes the rollups after A commits. B's delete must see A's rows (else both sets
    stay and every figure of the speaker counts twice)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions are what this test is about")
    first, _ = task_with_draft(text="turn on the tv")
    second = RevisionFactory(
        text="mute", recording__speaker=first.recording.speaker,
        recording__campaign=first.recording.campaign,
    ).recording  # fmt: skip
    speaker = first.recording.speaker_id
    facts.clip_fact_refresh([first.recording_id, second.pk])
    expected = rollup_rows(first.recording.campaign)
    StaleClipFact.objects.all().delete()
    clip_facts_mark([first.recording_id, second.pk])
    monkeypatch.setattr(facts, "DRAIN_BATCH", 1)  # A takes one mark, B (skipping it) the other
    pids: dict[str, int] = {}
    a_holds_the_rollups = threading.Event()
    errors: list[BaseException] = []
    refresh = facts.clip_fact_refresh

    def refresh_then_hold(ids: list[int]) -> int:
        written = refresh(ids)
        if threading.current_thread().name == "drain-a" and not a_holds_the_rollups.is_set():
            a_holds_the_rollups.set()
            deadline = time.monotonic() + WAIT_SECONDS
            while not ("drain-b" in pids and backend_waits_on_a_lock(pids["drain-b"])):
                if time.monotonic() > deadline:
                    break  # B did not wait on A (the fix may serialise earlier): go on
                time.sleep(0.02)
        return written

    monkeypatch.setattr(facts, "clip_fact_refresh", refresh_then_hold)

    def run_drain() -> None:
        name = threading.current_thread().name
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids[name] = cursor.fetchone()[0]
            if name == "drain-b":
                assert a_holds_the_rollups.wait(WAIT_SECONDS)
            facts.stale_facts_drain()
        except BaseException as error:
            errors.append(error)
        finally:
            a_holds_the_rollups.set()
            connections.close_all()

    threads = [threading.Thread(target=run_drain, name=name) for name in ("drain-a", "drain-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS * 2)

    assert errors == []
    assert not StaleClipFact.objects.exists()
    assert ClipFact.objects.filter(speaker_id=speaker).count() == 2
    assert rollup_rows(first.recording.campaign) == expected
