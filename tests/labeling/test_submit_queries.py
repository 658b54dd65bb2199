"""What one submit costs in SQL, and the one-query read of the chain's head and next number."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from labelhub.labeling.models import TranscriptRevision
from labelhub.labeling.services import revision_latest_and_next, task_claim_next
from tests.factories import RecordingFactory, RevisionFactory
from tests.labeling.helpers import task_with_draft

Kind = TranscriptRevision.Kind
pytestmark = pytest.mark.django_db


def test_a_token_submit_costs_at_most_eight_queries(labeler, django_assert_max_num_queries):
    # token, the view's visibility read, BEGIN, the locked task, the chain's head with the
    # next number, INSERT, UPDATE, COMMIT: the next number is no longer a query of its own.
    task, draft = task_with_draft()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=labeler).key}")
    assert task_claim_next(labeler=labeler).pk == task.pk

    with django_assert_max_num_queries(8):
        response = client.post(
            f"/api/tasks/{task.pk}/submit/",
            {"text": "turn on the TV", "base_revision": draft.pk},
            format="json",
        )

    assert response.status_code == 201, response.content
    assert response.json()["number"] == 2


def test_the_head_and_next_number_of_a_recording_without_revisions():
    assert revision_latest_and_next(recording=RecordingFactory()) == (None, 1)


def test_the_head_is_the_newest_revision_and_the_next_number_follows_it():
    draft = RevisionFactory(number=1)
    edit = RevisionFactory(recording=draft.recording, number=2, kind=Kind.LABELER_EDIT)
    assert revision_latest_and_next(recording=draft.recording) == (edit, 3)


def test_a_second_transcription_on_top_is_not_the_head_but_still_holds_its_number():
    draft = RevisionFactory(number=1)
    RevisionFactory(recording=draft.recording, number=2, kind=Kind.DOUBLE, parent=draft)
    assert revision_latest_and_next(recording=draft.recording) == (draft, 3)
