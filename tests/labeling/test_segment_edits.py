"""Segment edits through the API: boundary drags, speaker, split, merge, add and delete, with
versions, holders, neighbours and bounds enforced, and nothing stored harmed by a refusal."""

import pytest

from labelhub.labeling.models import SegmentEdit, Task, TranscriptRevision
from labelhub.labeling.services import task_claim_next, task_submit
from labelhub.recordings.models import Recording
from tests.factories import CampaignFactory, ConsentRecordFactory
from tests.labeling.helpers import labeler_user
from tests.labeling.segment_helpers import consented_speaker_of, make_source_with_segments

pytestmark = pytest.mark.django_db

SPANS = [(0.5, 3.0), (3.5, 6.0), (6.5, 9.0)]
TEXTS = ["turn on the kitchen lights", "set the thermostat to twenty", "play quiet music"]


@pytest.fixture
def held(api_for):
    """A source of three segments, all claimed by one labeler; (source, segments, user, api)."""
    source, segments = make_source_with_segments(spans=SPANS, texts=TEXTS)
    user = labeler_user()
    task_claim_next(labeler=user)
    return source, segments, user, api_for(user)


def _segments(api, source) -> list[dict]:
    response = api.get(f"/api/sources/{source.pk}/segments/")
    assert response.status_code == 200
    return response.json()["segments"]


def _span(segment) -> tuple[float, float, int]:
    segment.refresh_from_db()
    return segment.start_seconds, segment.end_seconds, segment.segment_version


def test_segments_list_in_time_order_with_absolute_draft_words(held):
    source, segments, _user, api = held
    body = api.get(f"/api/sources/{source.pk}/segments/").json()
    assert body["source"]["id"] == source.pk
    listed = body["segments"]
    assert [s["id"] for s in listed] == [s.pk for s in segments]
    first = listed[0]
    assert first["start"] == 0.5 and first["end"] == 3.0 and first["version"] == 0
    assert first["status"] == "ready" and first["task_status"] == "open"
    assert first["held_by_me"] and first["editable"]
    assert first["text"] == TEXTS[0] and first["revision_kind"] == "asr_draft"
    assert first["base_revision_id"] == segments[0].revisions.get().pk
    words = first["draft"]["words"]
    assert [w[2].strip() for w in words] == TEXTS[0].split()
    assert words[0][0] == 0.5 and words[-1][1] == 3.0  # source time, not segment time
    assert first["draft"]["text"] == TEXTS[0] and first["draft"]["confidence"] == 0.8
    window = api.get(f"/api/sources/{source.pk}/segments/?start=3.2&end=6.2").json()
    assert [s["id"] for s in window["segments"]] == [segments[1].pk]


def test_dragging_a_boundary_bumps_the_version_and_keeps_the_words_in_place(held):
    source, segments, user, api = held
    response = api.patch(f"/api/segments/{segments[1].pk}/", {"version": 0, "start": 3.2})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["start"] == 3.2 and body["version"] == 1
    assert _span(segments[1]) == (3.2, 6.0, 1)
    edit = SegmentEdit.objects.get(segment=segments[1])
    assert (edit.from_start, edit.to_start, edit.author_id) == (3.5, 3.2, user.pk)
    # The draft words were said where they were said: they do not move with the boundary.
    assert body["draft"]["words"][0][0] == 3.5


def test_a_stale_version_gets_409_with_the_current_segment(held):
    _source, segments, _user, api = held
    api.patch(f"/api/segments/{segments[0].pk}/", {"version": 0, "end": 3.1})
    response = api.patch(f"/api/segments/{segments[0].pk}/", {"version": 0, "end": 2.5})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "stale_segment"
    assert error["current"]["version"] == 1 and error["current"]["end"] == 3.1
    assert _span(segments[0]) == (0.5, 3.1, 1)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"end": 3.6}, "segment_overlap"),  # into the next segment
        ({"start": 0.0, "end": 99.0}, "segment_out_of_bounds"),  # past the source's end
        ({"end": 0.55}, "segment_too_short"),
    ],
)
def test_overlap_bounds_and_length_are_refused_with_nothing_changed(held, change, code):
    _source, segments, _user, api = held
    response = api.patch(f"/api/segments/{segments[0].pk}/", {"version": 0, **change})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert _span(segments[0]) == (0.5, 3.0, 0)
    assert not SegmentEdit.objects.exists()


@pytest.mark.parametrize(
    "payload", [{"version": "x"}, {"start": 1.0}, {"version": 0, "end": "nan"}]
)
def test_bad_input_is_a_clear_400(held, payload):
    _source, segments, _user, api = held
    response = api.patch(f"/api/segments/{segments[0].pk}/", payload, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"


def test_someone_elses_segment_is_never_edited(held, api_for):
    _source, segments, _user, _api = held
    other = api_for(labeler_user())
    response = other.patch(f"/api/segments/{segments[0].pk}/", {"version": 0, "end": 2.0})
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_held"
    for path, body in [
        ("split/", {"version": 0, "at": 1.5}),
        ("merge-next/", {"version": 0, "next_version": 0}),
        ("delete/", {"version": 0}),
    ]:
        response = other.post(f"/api/segments/{segments[0].pk}/{path}", body)
        assert response.json()["error"]["code"] == "not_held", path
    assert _span(segments[0]) == (0.5, 3.0, 0)


def test_a_segment_of_a_campaign_closed_to_the_user_is_404(held, api_for):
    _source, segments, _user, _api = held
    segments[0].campaign.labelers.set([labeler_user()])
    outsider = api_for(labeler_user())
    assert outsider.patch(f"/api/segments/{segments[2].pk}/", {"version": 0}).status_code == 404
    source_id = segments[0].source_id
    assert outsider.get(f"/api/sources/{source_id}/segments/").status_code == 404


def test_an_approved_segment_is_frozen(held):
    _source, segments, user, api = held
    draft = segments[0].revisions.get()
    task_submit(task_id=segments[0].task.pk, labeler=user, text="x y", base_revision_id=draft.pk)
    Task.objects.filter(pk=segments[0].task.pk).update(status=Task.Status.APPROVED)
    response = api.patch(f"/api/segments/{segments[0].pk}/", {"version": 0, "end": 2.0})
    assert response.status_code == 409 and response.json()["error"]["code"] == "segment_frozen"


def test_speaker_must_be_a_consenting_speaker_of_the_campaign(held):
    source, segments, _user, api = held
    guest = consented_speaker_of(source.campaign)
    response = api.patch(f"/api/segments/{segments[0].pk}/", {"version": 0, "speaker": guest.pk})
    assert response.status_code == 200
    assert response.json()["speaker"] == {"id": guest.pk, "code": guest.code}
    assert response.json()["version"] == 1
    listed = api.get(f"/api/sources/{source.pk}/segments/").json()["source"]["speakers"]
    assert {s["id"] for s in listed} == {source.speaker_id, guest.pk}
    stranger = ConsentRecordFactory(speaker__campaign=CampaignFactory()).speaker
    withdrawn = consented_speaker_of(source.campaign)
    withdrawn.consents.update(withdrawn_at=segments[0].created_at)
    for speaker in (stranger, withdrawn):
        response = api.patch(
            f"/api/segments/{segments[0].pk}/", {"version": 1, "speaker": speaker.pk}
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_speaker"
    segments[0].refresh_from_db()
    assert segments[0].speaker_id == guest.pk


def test_split_keeps_the_text_left_and_gives_the_right_its_words_and_a_leased_task(held):
    source, segments, user, api = held
    words = _segments(api, source)[0]["draft"]["words"]
    at = words[2][0]  # the start of "the"
    response = api.post(f"/api/segments/{segments[0].pk}/split/", {"version": 0, "at": at})
    assert response.status_code == 201, response.json()
    left, right = response.json()["left"], response.json()["right"]
    assert (left["start"], left["end"], left["version"]) == (0.5, at, 1)
    assert (right["start"], right["end"]) == (at, 3.0)
    assert left["text"] == TEXTS[0]  # the text stays on the left
    assert left["draft"]["text"] == "turn on"
    assert right["draft"]["text"] == "the kitchen lights" == right["text"]
    assert right["held_by_me"] and right["editable"]
    right_task = Task.objects.get(pk=right["task_id"])
    assert right_task.assignee_id == user.pk and right_task.status == Task.Status.OPEN
    assert [s["id"] for s in _segments(api, source)][:2] == [segments[0].pk, right["id"]]
    # The right half's words stay put when its start is dragged later.
    moved = api.patch(f"/api/segments/{right['id']}/", {"version": 0, "start": at + 0.02})
    assert moved.json()["draft"]["words"][0][0] == right["draft"]["words"][0][0]


def test_split_too_close_to_an_edge_is_refused(held):
    _source, segments, _user, api = held
    for at, code in [
        (0.55, "segment_too_short"),
        (2.95, "segment_too_short"),
        (5.0, "segment_out_of_bounds"),
    ]:
        response = api.post(f"/api/segments/{segments[0].pk}/split/", {"version": 0, "at": at})
        assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert Recording.objects.filter(kind=Recording.Kind.SEGMENT).count() == 3


def test_merge_joins_texts_and_removes_the_next(held):
    source, segments, user, api = held
    response = api.post(
        f"/api/segments/{segments[0].pk}/merge-next/", {"version": 0, "next_version": 0}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["start"], body["end"], body["version"]) == (0.5, 6.0, 1)
    assert body["text"] == f"{TEXTS[0]} {TEXTS[1]}"
    assert body["draft"]["text"] == f"{TEXTS[0]} {TEXTS[1]}"
    segments[1].refresh_from_db()
    assert segments[1].status == Recording.Status.REMOVED
    assert Task.objects.get(recording=segments[1]).assignee_id is None
    assert [s["id"] for s in _segments(api, source)] == [segments[0].pk, segments[2].pk]
    # The removed segment never comes back through a claim.
    other = labeler_user()
    assert task_claim_next(labeler=other) is None


def test_merge_keeps_a_labelers_text_as_a_labeler_edit(held):
    _source, segments, user, api = held
    draft = segments[1].revisions.get()
    TranscriptRevision.objects.create(
        recording=segments[1],
        number=2,
        parent=draft,
        text="Set it to 20.",
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        author=user,
    )
    response = api.post(
        f"/api/segments/{segments[0].pk}/merge-next/", {"version": 0, "next_version": 0}
    )
    head = segments[0].revisions.order_by("-number").first()
    assert head.kind == TranscriptRevision.Kind.LABELER_EDIT and head.author_id == user.pk
    assert response.json()["text"] == head.text == f"{TEXTS[0]} Set it to 20."


def test_merge_with_a_stale_next_version_is_409(held):
    _source, segments, _user, api = held
    api.patch(f"/api/segments/{segments[1].pk}/", {"version": 0, "end": 5.9})
    response = api.post(
        f"/api/segments/{segments[0].pk}/merge-next/", {"version": 0, "next_version": 0}
    )
    assert response.status_code == 409
    assert response.json()["error"]["current"]["id"] == segments[1].pk
    assert _span(segments[0]) == (0.5, 3.0, 0)


def test_add_fills_a_gap_and_delete_removes(held):
    source, segments, user, api = held
    response = api.post(f"/api/sources/{source.pk}/segments/", {"start": 9.2, "end": 9.9})
    assert response.status_code == 201, response.json()
    added = response.json()
    assert added["held_by_me"] and added["start"] == 9.2
    assert Task.objects.get(pk=added["task_id"]).assignee_id == user.pk
    clash = api.post(f"/api/sources/{source.pk}/segments/", {"start": 8.0, "end": 9.1})
    assert clash.json()["error"]["code"] == "segment_overlap"
    gone = api.post(f"/api/segments/{segments[1].pk}/delete/", {"version": 0})
    assert gone.status_code == 200 and gone.json() == {"id": segments[1].pk, "status": "removed"}
    listed = [s["id"] for s in _segments(api, source)]
    assert listed == [segments[0].pk, segments[2].pk, added["id"]]
    assert SegmentEdit.objects.filter(segment=segments[1], action="delete").exists()


def test_adding_needs_a_held_segment_of_the_source(api_for):
    source, _segments = make_source_with_segments(spans=SPANS)
    api = api_for(labeler_user())
    response = api.post(f"/api/sources/{source.pk}/segments/", {"start": 9.2, "end": 9.9})
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_held"
    assert Recording.objects.filter(kind=Recording.Kind.SEGMENT).count() == 3


def test_refusals_speak_korean_when_asked(held, api_for):
    _source, segments, _user, _api = held
    other = api_for(labeler_user())
    response = other.patch(
        f"/api/segments/{segments[0].pk}/",
        {"version": 0, "end": 2.0},
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert "맡고 있지 않습니다" in response.json()["error"]["message"]
