"""What one claim costs in SQL, and that its one-statement lease takes exactly one task."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from labelhub.labeling.models import Task
from labelhub.labeling.services import task_claim_next
from tests.labeling.helpers import task_with_draft

pytestmark = pytest.mark.django_db


def test_a_token_claim_costs_at_most_nine_queries(labeler, django_assert_max_num_queries):
    # token, held-or-returned, BEGIN, campaign ids, recent sources, the leasing UPDATE, its
    # re-read with the page's rows, COMMIT, the task's text: no SELECT before the UPDATE.
    task, _draft = task_with_draft()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=labeler).key}")

    with django_assert_max_num_queries(9):
        body = client.post("/api/tasks/claim/").json()

    assert body["id"] == task.pk


def test_a_claim_leases_one_task_of_many(labeler):
    # The lease is one UPDATE over a subquery: it must take the first task, not every match.
    tasks = [task_with_draft()[0] for _ in range(4)]

    claimed = task_claim_next(labeler=labeler)

    assert claimed.pk == tasks[0].pk
    assert claimed.assignee == labeler and claimed.lease_expires_at is not None
    assert list(Task.objects.filter(assignee=labeler).values_list("pk", flat=True)) == [claimed.pk]
