"""The claim and the submit on SQLite, `make demo`'s database when DATABASE_URL is unset.

claim_sql's statements are PostgreSQL's; on other databases claim_orm answers instead. The
whole suite runs on PostgreSQL, so the ORM path is tested twice: forced on PostgreSQL (the
queue's guarantees), and end to end on a real SQLite file in a process of its own.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labelhub.labeling import claim_orm, claim_sql
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.services import task_claim_next, task_submit
from tests.labeling.helpers import campaign, labeler_user, submitted_task, task_with_draft

SCRIPT = Path(__file__).with_name("sqlite_claim_script.py")


@pytest.fixture
def portable(monkeypatch):
    """claim_sql answers through claim_orm, as on SQLite."""
    monkeypatch.setattr(claim_sql, "_orm", lambda: claim_orm)


def test_a_claim_and_a_submit_go_through_on_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["LABELHUB_DATA_DIR"] = str(tmp_path)

    result = subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300
    )

    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "vendor": "sqlite",
        "claim": [200, True],
        "base_revision": True,
        "again": True,
        "submit": [201, 2],
        "after": 204,
    }


@pytest.mark.django_db
def test_the_orm_path_leases_one_task_and_hands_it_back_while_held(portable, labeler) -> None:
    first, _ = task_with_draft(priority=1)
    task_with_draft()

    claimed = task_claim_next(labeler=labeler)

    assert claimed.pk == first.pk and claimed.recording.campaign is not None
    assert list(Task.objects.filter(assignee=labeler).values_list("pk", flat=True)) == [first.pk]
    assert task_claim_next(labeler=labeler).pk == first.pk
    assert task_claim_next(labeler=labeler_user()).pk != first.pk


@pytest.mark.django_db
def test_the_orm_path_gives_a_returned_task_back_to_its_labeler(portable, labeler) -> None:
    task, _revision = submitted_task(labeler=labeler)
    Task.objects.filter(pk=task.pk).update(
        status=Task.Status.OPEN, times_returned=1, assignee=None, lease_expires_at=None
    )
    task_with_draft(priority=5)  # higher priority, but the returned task comes first

    assert task_claim_next(labeler=labeler_user()).pk != task.pk
    assert task_claim_next(labeler=labeler).pk == task.pk


@pytest.mark.django_db
def test_the_orm_path_keeps_to_the_campaigns_open_to_the_labeler(portable, labeler) -> None:
    listing = campaign()
    listing.labelers.set([labeler_user()])
    task_with_draft(campaign=listing)

    assert task_claim_next(labeler=labeler) is None


@pytest.mark.django_db
def test_the_orm_path_hands_a_doubled_clip_to_a_second_labeler(portable, labeler) -> None:
    doubled = campaign(double_transcription_share=1.0, review_share=0.0)
    task, first = submitted_task(labeler=labeler, campaign=doubled)
    second = labeler_user()

    claimed = task_claim_next(labeler=second)

    assert claimed.pk == task.pk and claimed.double_assignee == second
    assert task_claim_next(labeler=labeler) is None  # never their own clip a second time


@pytest.mark.django_db
def test_the_orm_path_submits_on_top_of_the_head(portable, labeler) -> None:
    task, draft = task_with_draft()
    task_claim_next(labeler=labeler)

    revision = task_submit(task_id=task.pk, labeler=labeler, text="turn on the tv",
                           base_revision_id=draft.pk)  # fmt: skip

    assert (revision.number, revision.parent_id, revision.kind) == (
        2, draft.pk, TranscriptRevision.Kind.LABELER_EDIT,
    )  # fmt: skip
    task.refresh_from_db()
    assert task.status != Task.Status.OPEN and task.labeler == labeler
