"""task_text (which revision the workbench opens) and transcript_submit (which submit runs)."""

import pytest

from labelhub.labeling.models import TranscriptRevision
from labelhub.labeling.review import transcript_submit
from labelhub.labeling.selectors import task_text
from labelhub.labeling.services import task_claim_next, task_for_submit
from tests.labeling.helpers import campaign, labeler_user, submitted_task, task_with_draft

Kind = TranscriptRevision.Kind
pytestmark = pytest.mark.django_db


def doubled_campaign():
    return campaign(double_transcription_share=1.0, review_share=1.0)


def test_a_labeler_edits_the_head_of_the_chain(labeler) -> None:
    task, first = submitted_task(labeler=labeler, campaign=campaign(review_share=1.0))

    text = task_text(task=task, double=False)

    assert text.editing == first
    assert text.asr_draft.kind == Kind.ASR_DRAFT


def test_a_second_transcriber_edits_the_asr_draft_not_the_first_labelers_text(labeler) -> None:
    task, first = submitted_task(labeler=labeler, campaign=doubled_campaign(), text="turn on tv")

    text = task_text(task=task, double=True)

    assert text.editing == text.asr_draft
    assert text.editing.kind == Kind.ASR_DRAFT and text.editing != first


def test_a_clip_with_no_revision_opens_with_nothing_to_edit() -> None:
    task, draft = task_with_draft()
    draft.delete()

    assert task_text(task=task, double=False).editing is None


def test_transcript_submit_stores_the_labelers_transcript_on_the_chain(labeler) -> None:
    task, draft = task_with_draft()
    task_claim_next(labeler=labeler)

    target = task_for_submit(task_id=task.pk, user=labeler)

    revision = transcript_submit(
        target=target, labeler=labeler, text="turn on the TV", base_revision_id=draft.pk
    )

    assert (revision.kind, revision.parent, revision.number) == (Kind.LABELER_EDIT, draft, 2)


def test_transcript_submit_stores_a_second_transcription_beside_the_chain(labeler) -> None:
    task, first = submitted_task(labeler=labeler, campaign=doubled_campaign(), text="turn on tv")
    second = labeler_user()
    claimed = task_claim_next(labeler=second)
    target = task_for_submit(task_id=claimed.pk, user=second)

    # The base the page sends is ignored: a second transcription stands beside the chain.
    revision = transcript_submit(
        target=target, labeler=second, text="turn on the tv", base_revision_id=first.pk
    )

    assert revision.kind == Kind.DOUBLE
    assert revision.parent.kind == Kind.ASR_DRAFT
