"""The claim's and the submit's hand-written SQL: how many queries each step costs, and that
what it reads is what the ORM read (tests/labeling/test_claim_queries.py pins the API's totals).
"""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from labelhub.labeling import claim_sql
from labelhub.labeling.models import TranscriptRevision
from labelhub.labeling.selectors import task_text
from labelhub.labeling.services import revision_append, task_claim_next, task_submit
from tests.labeling.helpers import (
    campaign,
    labeler_user,
    reviewer_user,
    submitted_task,
    task_with_draft,
)

Kind = TranscriptRevision.Kind
pytestmark = pytest.mark.django_db


def _long_chain(labeler):
    """A clip with an ASR draft, a labeler's edit, a review on top and a second transcription."""
    task, edit = submitted_task(labeler=labeler)
    review = revision_append(
        recording=task.recording, kind=Kind.REVIEW, parent=edit, text="Turn on the TV",
        author=reviewer_user(username="rita"),
    )  # fmt: skip
    revision_append(
        recording=task.recording, kind=Kind.DOUBLE, parent=None, text="second",
        author=labeler_user(),
    )  # fmt: skip
    return task, review


def test_the_workbench_text_of_a_long_chain_is_one_query(labeler, django_assert_num_queries):
    task, review = _long_chain(labeler)

    with django_assert_num_queries(1):
        text = task_text(task=task, double=False)
        author = text.editing.author.username  # loaded with it: no query of its own

    assert text.editing == review and author == "rita"
    assert text.asr_draft.kind == Kind.ASR_DRAFT and text.asr_draft.number == 1


def test_a_second_transcription_is_never_the_head_of_the_chain(labeler):
    task, review = _long_chain(labeler)

    chain = claim_sql.transcript_chain(recording_id=task.recording_id)

    assert chain.head == review and chain.head.kind == Kind.REVIEW


def test_the_head_and_the_draft_are_one_instance_on_a_fresh_clip():
    task, draft = task_with_draft()

    chain = claim_sql.transcript_chain(recording_id=task.recording_id)

    assert chain.head is chain.asr_draft and chain.head == draft
    assert chain.head.segments == draft.segments and chain.head.author is None


def test_the_latest_asr_draft_is_the_one_a_second_transcriber_opens(labeler):
    task, _edit = submitted_task(labeler=labeler)
    redraft = revision_append(recording=task.recording, kind=Kind.ASR_DRAFT, parent=None, text="x")

    text = task_text(task=task, double=True)

    assert text.editing == redraft == text.asr_draft


def _prepared_statements() -> dict[str, int]:
    """This connection's prepared statements: their SQL and how often each ran."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def _runs(statements: dict[str, int], marker: str) -> list[int]:
    return [runs for sql, runs in statements.items() if marker in sql]


@pytest.mark.skipif(not settings.DATABASE_PREPARED_STATEMENTS, reason="prepared statements off")
def test_the_claims_and_submits_statements_are_prepared_once_and_run_again(labeler):
    one = campaign()
    submitted_task(labeler=labeler, campaign=one)
    submitted_task(labeler=labeler, campaign=one)

    statements = _prepared_statements()

    # One prepared statement each, run by both claims and both submits; not planned anew.
    assert _runs(statements, "q_open AS") == [2]  # the lease
    assert _runs(statements, "WITH closed AS") == [2]  # the submit's write
    assert _runs(statements, "r.kind = 'segment'") == [2]  # what the labeler holds


def test_a_prepared_statement_is_logged_with_its_values(labeler):
    task, draft = task_with_draft()

    with CaptureQueriesContext(connection) as queries:
        task_claim_next(labeler=labeler)
        task_submit(task_id=task.pk, labeler=labeler, text="turn it on", base_revision_id=draft.pk)

    (lease,) = [q["sql"] for q in queries.captured_queries if "q_open AS" in q["sql"]]
    (write,) = [q["sql"] for q in queries.captured_queries if "WITH closed AS" in q["sql"]]
    assert f"t.labeler_id = {labeler.pk} " in lease and "%(" not in lease
    assert "'turn it on'" in write and "%(" not in write
    edit = TranscriptRevision.objects.get(recording=task.recording, kind=Kind.LABELER_EDIT)
    assert edit.text == "turn it on"
