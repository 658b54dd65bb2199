"""Tasks are leased to one labeler at a time; every submission is a new revision."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.services import (
    LeaseExpired,
    StaleRevision,
    task_claim_next,
    task_submit,
)
from tests.factories import RevisionFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def task_with_draft(**task_fields) -> tuple[Task, TranscriptRevision]:
    draft = RevisionFactory()
    return TaskFactory(recording=draft.recording, **task_fields), draft


def test_claim_never_hands_the_same_task_twice() -> None:
    task_with_draft()
    task_with_draft()
    first, second, third = (UserFactory(role=User.Role.LABELER) for _ in range(3))

    claimed = [task_claim_next(labeler=labeler) for labeler in (first, second, third)]

    assert claimed[0] is not None and claimed[1] is not None
    assert claimed[0].pk != claimed[1].pk
    assert claimed[2] is None


def test_claiming_again_returns_the_task_already_held(labeler) -> None:
    task_with_draft()
    task_with_draft()

    first = task_claim_next(labeler=labeler)
    again = task_claim_next(labeler=labeler)

    assert again.pk == first.pk


def test_an_expired_lease_frees_the_task_for_someone_else(labeler) -> None:
    other = UserFactory(role=User.Role.LABELER)
    task, _draft = task_with_draft(
        assignee=other, lease_expires_at=timezone.now() - timedelta(minutes=1)
    )

    claimed = task_claim_next(labeler=labeler)

    assert claimed.pk == task.pk
    assert claimed.assignee == labeler


def test_submit_adds_a_revision_and_keeps_the_draft(labeler) -> None:
    task_with_draft()
    task = task_claim_next(labeler=labeler)
    draft = task.recording.revisions.get()

    revision = task_submit(
        task_id=task.pk, labeler=labeler, text=" Turn on the TV. ", base_revision_id=draft.pk
    )

    assert revision.number == 2
    assert revision.parent == draft
    assert revision.text == "Turn on the TV."
    assert revision.author == labeler
    draft.refresh_from_db()
    assert draft.text == "turn on the tv"
    task.refresh_from_db()
    assert task.status == Task.Status.SUBMITTED


def test_a_stale_save_is_refused_with_a_conflict(labeler) -> None:
    task, draft = task_with_draft()
    task_claim_next(labeler=labeler)
    RevisionFactory(recording=task.recording, number=2, kind=TranscriptRevision.Kind.REVIEW)

    with pytest.raises(StaleRevision, match="latest is"):
        task_submit(task_id=task.pk, labeler=labeler, text="x", base_revision_id=draft.pk)

    assert task.recording.revisions.count() == 2


def test_a_labeler_without_the_lease_cannot_submit(labeler) -> None:
    holder = UserFactory(role=User.Role.LABELER)
    task, draft = task_with_draft()
    task_claim_next(labeler=holder)

    with pytest.raises(LeaseExpired):
        task_submit(task_id=task.pk, labeler=labeler, text="x", base_revision_id=draft.pk)


def test_submit_over_http_answers_409_for_a_stale_base(api_for, labeler) -> None:
    task, draft = task_with_draft()
    client = api_for(labeler)
    claimed = client.post("/api/tasks/claim/").json()
    RevisionFactory(recording=task.recording, number=2, kind=TranscriptRevision.Kind.REVIEW)

    response = client.post(
        f"/api/tasks/{claimed['id']}/submit/",
        {"text": "turn on the TV", "base_revision": draft.pk},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_revision"


def test_claim_answers_204_when_the_queue_is_empty(api_for, labeler) -> None:
    assert api_for(labeler).post("/api/tasks/claim/").status_code == 204


def test_a_client_cannot_claim_tasks(api_for) -> None:
    client_user = UserFactory(role=User.Role.CLIENT)

    response = api_for(client_user).post("/api/tasks/claim/")

    assert response.status_code == 403
