"""What one claim and one submit cost in SQL through the API, and that the lease takes one task.

The budget of issue 15: a claim is the token, claim_sql.standing, claim_sql.lease_next (or the
held task's read) and the task's text; a submit is the token, the transaction, its locked read
and its one write. A query added to either path fails these tests.
"""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from labelhub.accounts.models import User
from labelhub.campaigns.models import Prompt
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.services import task_claim_next
from tests.factories import UserFactory
from tests.labeling.helpers import campaign, labeler_user, submitted_task, task_with_draft

pytestmark = pytest.mark.django_db


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_a_token_claim_costs_at_most_four_queries(labeler, django_assert_max_num_queries):
    task, draft = task_with_draft()
    recording = task.recording
    recording.prompt = Prompt.objects.create(
        campaign=recording.campaign, external_id="p1", text="turn on the tv"
    )
    recording.save()
    client = _token_client(labeler)

    with django_assert_max_num_queries(4):
        body = client.post("/api/tasks/claim/").json()

    assert body["id"] == task.pk and body["base_revision"] == draft.pk
    assert body["campaign"] == task.recording.campaign.name
    assert body["prompt_text"] == "turn on the tv"
    task.refresh_from_db()
    assert task.assignee == labeler and task.lease_expires_at is not None


def test_claiming_the_task_already_held_costs_at_most_four_queries(
    labeler, django_assert_max_num_queries
):
    task, _draft = task_with_draft()
    client = _token_client(labeler)
    client.post("/api/tasks/claim/")

    with django_assert_max_num_queries(4):
        body = client.post("/api/tasks/claim/").json()

    assert body["id"] == task.pk


def test_a_returned_task_comes_back_in_at_most_four_queries(labeler, django_assert_max_num_queries):
    task, _revision = submitted_task(labeler=labeler)
    Task.objects.filter(pk=task.pk).update(
        status=Task.Status.OPEN, times_returned=1, assignee=None, lease_expires_at=None
    )
    task_with_draft()  # an open task that must wait behind the returned one
    client = _token_client(labeler)

    with django_assert_max_num_queries(4):
        body = client.post("/api/tasks/claim/").json()

    assert body["id"] == task.pk and body["times_returned"] == 1


def test_a_token_submit_costs_at_most_five_queries(labeler, django_assert_max_num_queries):
    task, draft = task_with_draft()
    client = _token_client(labeler)
    client.post("/api/tasks/claim/")

    with django_assert_max_num_queries(5):
        response = client.post(
            f"/api/tasks/{task.pk}/submit/",
            {"text": "turn on the tv", "base_revision": draft.pk},
            format="json",
        )

    assert response.status_code == 201, response.content
    revision = TranscriptRevision.objects.get(pk=response.json()["id"])
    assert (revision.number, revision.parent_id, revision.author) == (2, draft.pk, labeler)
    assert revision.kind == TranscriptRevision.Kind.LABELER_EDIT
    assert revision.language == draft.language
    task.refresh_from_db()
    assert task.status in {Task.Status.SUBMITTED, Task.Status.APPROVED}
    assert task.labeler == labeler and task.lease_expires_at is None


def test_a_submit_of_a_task_outside_the_labelers_campaigns_is_not_found(labeler):
    task, draft = task_with_draft()
    task.recording.campaign.labelers.add(labeler)
    outsider = _token_client(labeler_user())

    response = outsider.post(
        f"/api/tasks/{task.pk}/submit/", {"text": "x", "base_revision": draft.pk}, format="json"
    )

    assert response.status_code == 404
    assert not TranscriptRevision.objects.filter(recording=task.recording, number=2).exists()


def test_a_claim_leases_one_task_of_many(labeler):
    # The lease is one UPDATE over a subquery: it must take the first task, not every match.
    tasks = [task_with_draft()[0] for _ in range(4)]

    claimed = task_claim_next(labeler=labeler)

    assert claimed.pk == tasks[0].pk
    assert claimed.assignee == labeler and claimed.lease_expires_at is not None
    assert list(Task.objects.filter(assignee=labeler).values_list("pk", flat=True)) == [claimed.pk]


def test_someone_outside_the_labeling_staff_is_handed_no_task():
    # The SQL's membership matches campaigns_open_to, which opens none to a client.
    task_with_draft()

    assert task_claim_next(labeler=UserFactory(role=User.Role.CLIENT)) is None
    assert not Task.objects.filter(assignee__isnull=False).exists()


def test_a_pm_claims_from_any_campaign(pm, labeler):
    listing = campaign()
    listing.labelers.set([labeler])
    task, _draft = task_with_draft(campaign=listing)

    assert task_claim_next(labeler=pm).pk == task.pk
