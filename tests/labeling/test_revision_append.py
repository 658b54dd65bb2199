"""revision_append: the one writer of transcript revisions."""

import pytest

from labelhub.accounts.models import User
from labelhub.labeling.models import TranscriptRevision
from labelhub.labeling.services import revision_append
from tests.factories import RecordingFactory, RevisionFactory, UserFactory

Kind = TranscriptRevision.Kind
pytestmark = pytest.mark.django_db


def test_the_first_revision_of_a_recording_is_number_one_with_no_parent():
    recording = RecordingFactory()
    revision = revision_append(recording=recording, kind=Kind.ASR_DRAFT, parent=None, text="하나")
    revision.refresh_from_db()
    assert (revision.number, revision.parent, revision.text) == (1, None, "하나")


def test_each_append_takes_the_next_number_and_keeps_the_parent_it_was_given():
    draft = RevisionFactory(number=1, language="ko")
    labeler = UserFactory(role=User.Role.LABELER)
    edit = revision_append(
        recording=draft.recording, kind=Kind.LABELER_EDIT, parent=draft, text="둘", author=labeler
    )
    review = revision_append(recording=draft.recording, kind=Kind.REVIEW, parent=edit, text="둘")
    assert [edit.number, review.number] == [2, 3]
    assert (edit.parent, review.parent) == (draft, edit)
    assert edit.author == labeler


def test_the_number_follows_the_highest_on_the_recording_even_past_a_second_transcription():
    # A second transcription stands beside the chain but still holds its number.
    draft = RevisionFactory(number=1)
    RevisionFactory(recording=draft.recording, number=2, kind=Kind.DOUBLE, parent=draft)
    edit = revision_append(recording=draft.recording, kind=Kind.LABELER_EDIT, parent=draft)
    assert (edit.number, edit.parent) == (3, draft)


def test_numbers_count_per_recording():
    RevisionFactory(number=1)
    other = RecordingFactory()
    assert revision_append(recording=other, kind=Kind.ASR_DRAFT, parent=None).number == 1


def test_the_language_is_the_parents_unless_given():
    draft = RevisionFactory(number=1, language="ko")
    inherited = revision_append(recording=draft.recording, kind=Kind.LABELER_EDIT, parent=draft)
    given = revision_append(
        recording=draft.recording, kind=Kind.LABELER_EDIT, parent=inherited, language="en"
    )
    assert (inherited.language, given.language) == ("ko", "en")


def test_the_other_fields_are_stored_as_given():
    draft = RevisionFactory(number=1)
    review = revision_append(
        recording=draft.recording,
        kind=Kind.REVIEW,
        parent=draft,
        decision=TranscriptRevision.Decision.RETURNED,
        comment="다시",
        flags=["prompt_mismatch"],
    )
    review.refresh_from_db()
    assert review.decision == TranscriptRevision.Decision.RETURNED
    assert (review.comment, review.flags) == ("다시", ["prompt_mismatch"])


def test_a_caller_cannot_choose_the_number():
    draft = RevisionFactory(number=1)
    with pytest.raises(TypeError):
        revision_append(recording=draft.recording, kind=Kind.REVIEW, parent=draft, number=1)
