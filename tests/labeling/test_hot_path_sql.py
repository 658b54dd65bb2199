"""The claim's and the submit's hand-written SQL: how many queries each step costs, and that
what it reads is what the ORM read (tests/labeling/test_claim_queries.py pins the API's totals).
"""

import pytest

from labelhub.labeling import claim_sql
from labelhub.labeling.models import TranscriptRevision
from labelhub.labeling.selectors import task_text
from labelhub.labeling.services import revision_append
from tests.labeling.helpers import labeler_user, reviewer_user, submitted_task, task_with_draft

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
