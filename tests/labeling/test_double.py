"""Double transcription: a sampled clip is transcribed again, independently, by someone else."""

import pytest

from labelhub.labeling.claim_rules import revision_latest
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.review import double_submit
from labelhub.labeling.selectors import double_agreement
from labelhub.labeling.services import (
    LeaseExpired,
    sampled,
    task_claim_next,
    task_is_double_for,
)
from tests.labeling.helpers import campaign, labeler_user, submitted_task, task_with_draft

pytestmark = pytest.mark.django_db


def doubled_campaign():
    return campaign(double_transcription_share=1.0, review_share=1.0)


def test_a_sampled_clip_opens_for_a_second_transcription_on_submit(labeler) -> None:
    task, _revision = submitted_task(labeler=labeler, campaign=doubled_campaign())

    assert task.double_status == Task.DoubleStatus.PENDING


def test_a_clip_outside_the_sample_is_transcribed_once(labeler) -> None:
    task, _revision = submitted_task(labeler=labeler, campaign=campaign())

    assert task.double_status == ""


def test_the_first_labeler_never_gets_their_own_clip_to_transcribe_again(labeler) -> None:
    submitted_task(labeler=labeler, campaign=doubled_campaign())

    assert task_claim_next(labeler=labeler) is None


def test_a_second_labeler_transcribes_it_beside_the_chain(labeler) -> None:
    task, first = submitted_task(labeler=labeler, campaign=doubled_campaign(), text="turn on tv")
    second = labeler_user()

    claimed = task_claim_next(labeler=second)
    double = double_submit(task_id=task.pk, labeler=second, text="turn on the tv")

    assert claimed.pk == task.pk and task_is_double_for(task=claimed, user=second)
    assert double.kind == TranscriptRevision.Kind.DOUBLE
    assert double.parent.kind == TranscriptRevision.Kind.ASR_DRAFT
    assert revision_latest(recording=task.recording) == first  # the chain's head is unchanged
    task.refresh_from_db()
    assert (task.double_status, task.status) == (Task.DoubleStatus.DONE, Task.Status.SUBMITTED)


def test_only_the_holder_stores_a_second_transcription(labeler) -> None:
    task, _first = submitted_task(labeler=labeler, campaign=doubled_campaign())
    task_claim_next(labeler=labeler_user())

    with pytest.raises(LeaseExpired):
        double_submit(task_id=task.pk, labeler=labeler_user(), text="x")


def test_the_agreement_is_the_cer_between_the_two_transcripts(labeler) -> None:
    task, _first = submitted_task(labeler=labeler, campaign=doubled_campaign(), text="abcd")
    second = labeler_user()
    task_claim_next(labeler=second)
    double_submit(task_id=task.pk, labeler=second, text="abce")

    agreement = double_agreement(campaign=task.recording.campaign)

    assert agreement["pairs"] == 1
    assert agreement["cer"] == 0.25
    assert agreement["items"][0]["second_author"] == second.username


def test_agreement_ignores_spacing_and_punctuation_and_pools_characters(labeler) -> None:
    doubled = doubled_campaign()
    pairs = [("안녕 하세요.", "안녕하세요"), ("가나다라", "가나다마"), ("가나", "바사")]
    for first, second in pairs:
        task, _revision = submitted_task(labeler=labeler, campaign=doubled, text=first)
        task_claim_next(labeler=(other := labeler_user()))
        double_submit(task_id=task.pk, labeler=other, text=second)

    agreement = double_agreement(campaign=doubled)

    assert [item["cer"] for item in agreement["items"]] == [0.0, 0.25, 1.0]
    assert agreement["cer"] == round(3 / 11, 4)  # 3 edits over 5 + 4 + 2 characters


def test_sampling_is_the_same_every_time_for_a_recording(labeler) -> None:
    task, _draft = submitted_task(labeler=labeler, campaign=campaign())
    answers = {sampled(recording=task.recording, share=0.5, purpose="review") for _ in range(5)}

    assert len(answers) == 1


def test_a_main_task_is_still_handed_out_before_second_transcriptions(labeler) -> None:
    submitted_task(labeler=labeler, campaign=doubled_campaign())
    fresh, _draft = task_with_draft()

    assert task_claim_next(labeler=labeler_user()).pk == fresh.pk
