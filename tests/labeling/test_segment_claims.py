"""Long-form claims: a run of consecutive segments of one source under one lease, with the
source and span blocks; renewals and submits keep the rest of the run."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labelhub.labeling.models import Task
from labelhub.labeling.review import review_claim_next, review_decide
from labelhub.labeling.services import task_claim_next, task_submit
from tests.labeling.helpers import labeler_user, reviewer_user, task_with_draft
from tests.labeling.segment_helpers import long_form_campaign, make_source_with_segments

pytestmark = pytest.mark.django_db

FIVE = [(0.5, 2.0), (2.5, 4.0), (4.5, 6.0), (6.5, 8.0), (8.5, 10.0)]


@pytest.fixture
def run_of_three(settings):
    settings.LONGFORM_CLAIM_SEGMENTS = 3


def _held(user, source):
    return list(
        Task.objects.filter(
            recording__source=source, assignee=user, status=Task.Status.OPEN
        ).order_by("recording__start_seconds")
    )


def test_claim_leases_a_run_of_consecutive_segments_with_source_and_span(api_for, run_of_three):
    source, segments = make_source_with_segments(spans=FIVE)
    user = labeler_user()
    response = api_for(user).post("/api/tasks/claim/")
    assert response.status_code == 200
    body = response.json()
    assert body["recording"] == segments[0].pk
    assert body["span"] == {"start": 0.5, "end": 2.0}
    block = body["source"]
    assert block["id"] == source.pk and block["duration"] == 11.0
    assert block["audio_url"].endswith(f"/api/recordings/{source.pk}/audio/")
    assert block["peaks_url"].endswith(f"/api/recordings/{source.pk}/peaks/")
    assert block["spectrogram_url"].endswith(f"/api/recordings/{source.pk}/spectrogram/")
    assert block["segments_url"].endswith(f"/api/sources/{source.pk}/segments/")
    assert block["speakers"] == [{"id": source.speaker_id, "code": source.speaker.code}]
    held = _held(user, source)
    assert [t.recording_id for t in held] == [s.pk for s in segments[:3]]
    assert len({t.lease_expires_at for t in held}) == 1  # one expiry for the run
    # Claiming again answers with the run's first segment, leasing nothing more.
    assert api_for(user).post("/api/tasks/claim/").json()["id"] == held[0].pk
    assert len(_held(user, source)) == 3


def test_a_second_labeler_gets_the_next_run_and_the_first_keeps_theirs(api_for, run_of_three):
    source, segments = make_source_with_segments(spans=FIVE)
    first, second = labeler_user(), labeler_user()
    task_claim_next(labeler=first)
    task = task_claim_next(labeler=second)
    assert task.recording_id == segments[3].pk
    assert [t.recording_id for t in _held(second, source)] == [s.pk for s in segments[3:]]
    assert len(_held(first, source)) == 3


def test_a_run_stops_at_a_segment_someone_else_holds(run_of_three):
    source, segments = make_source_with_segments(spans=FIVE)
    other = labeler_user()
    Task.objects.filter(recording=segments[1]).update(
        assignee=other, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    user = labeler_user()
    task = task_claim_next(labeler=user)
    assert task.recording_id == segments[0].pk
    assert [t.recording_id for t in _held(user, source)] == [segments[0].pk]


def test_a_run_starts_at_the_earliest_open_segment_not_the_lowest_confidence(run_of_three):
    source, segments = make_source_with_segments(spans=FIVE)
    Task.objects.filter(recording=segments[4]).update(priority=900)  # picked first by the queue
    user = labeler_user()
    task_claim_next(labeler=user)
    assert [t.recording_id for t in _held(user, source)] == [s.pk for s in segments[:3]]
    assert Task.objects.get(recording=segments[4]).assignee_id is None  # given back


def test_the_labeler_goes_on_with_the_source_they_worked_on(run_of_three, settings):
    campaign = long_form_campaign()
    first_source, first = make_source_with_segments(campaign=campaign, spans=FIVE)
    other_source, other = make_source_with_segments(campaign=campaign, spans=FIVE[:3])
    Task.objects.filter(recording__source=other_source).update(priority=999)
    user = labeler_user()
    # The queue would pick the other source (higher priority); they worked on the first.
    Task.objects.filter(recording=first[0]).update(
        status=Task.Status.APPROVED, labeler=user, assignee=user
    )
    task = task_claim_next(labeler=user)
    assert task.recording.source_id == first_source.pk
    assert [t.recording_id for t in _held(user, first_source)] == [s.pk for s in first[1:4]]
    assert not _held(user, other_source)


def test_submitting_one_segment_keeps_the_rest_and_the_claim_moves_on(run_of_three):
    source, segments = make_source_with_segments(spans=FIVE)
    user = labeler_user()
    task = task_claim_next(labeler=user)
    draft = segments[0].revisions.get()
    task_submit(task_id=task.pk, labeler=user, text="turn on the lights", base_revision_id=draft.pk)
    assert [t.recording_id for t in _held(user, source)] == [s.pk for s in segments[1:3]]
    assert task_claim_next(labeler=user).recording_id == segments[1].pk


def test_the_heartbeat_of_one_segment_renews_the_whole_run(api_for, run_of_three):
    source, segments = make_source_with_segments(spans=FIVE)
    user = labeler_user()
    task = task_claim_next(labeler=user)
    soon = timezone.now() + timedelta(minutes=1)
    Task.objects.filter(recording__source=source, assignee=user).update(lease_expires_at=soon)
    response = api_for(user).post(f"/api/tasks/{task.pk}/lease/")
    assert response.status_code == 200
    assert all(t.lease_expires_at > soon + timedelta(minutes=10) for t in _held(user, source))


def test_clip_tasks_have_no_source_block(api_for):
    task, _draft = task_with_draft()
    body = api_for(labeler_user()).post("/api/tasks/claim/").json()
    assert body["id"] == task.pk and "source" not in body and "span" not in body


def test_review_of_a_segment_carries_source_and_span(api_for, run_of_three, settings):
    campaign = long_form_campaign(review_share=1.0)
    source, segments = make_source_with_segments(campaign=campaign, spans=FIVE[:2])
    user = labeler_user()
    task = task_claim_next(labeler=user)
    draft = segments[0].revisions.get()
    task_submit(task_id=task.pk, labeler=user, text="turn on the lights", base_revision_id=draft.pk)
    reviewer = reviewer_user()
    body = api_for(reviewer).post("/api/reviews/claim/").json()
    assert body["id"] == task.pk
    assert body["span"] == {"start": 0.5, "end": 2.0} and body["source"]["id"] == source.pk
    assert review_claim_next(reviewer=reviewer).pk == task.pk


def test_double_transcription_hands_the_second_transcriber_the_segment_with_its_span(api_for):
    campaign = long_form_campaign(review_share=0.0, double_transcription_share=1.0)
    source, segments = make_source_with_segments(campaign=campaign, spans=FIVE[:1])
    first, second = labeler_user(), labeler_user()
    task = task_claim_next(labeler=first)
    draft = segments[0].revisions.get()
    task_submit(task_id=task.pk, labeler=first, text="lights on", base_revision_id=draft.pk)
    body = api_for(second).post("/api/tasks/claim/").json()
    assert body["id"] == task.pk and body["mode"] == "double"
    assert body["span"] == {"start": 0.5, "end": 2.0} and body["source"]["id"] == source.pk
    # The second transcription goes through the existing submit path.
    response = api_for(second).post(
        f"/api/tasks/{task.pk}/submit/", {"text": "lights on please"}, format="json"
    )
    assert response.status_code == 201 and response.json()["kind"] == "double"


def test_a_run_holder_taken_off_the_campaign_still_hears_the_source(api_for, run_of_three):
    source, segments = make_source_with_segments(spans=FIVE[:2])
    user = labeler_user()
    task_claim_next(labeler=user)
    source.campaign.labelers.set([labeler_user()])
    api = api_for(user)
    assert api.get(f"/api/recordings/{source.pk}/peaks/").status_code == 200
    assert api.get(f"/api/recordings/{source.pk}/audio/").status_code == 200
    listed = api.get(f"/api/sources/{source.pk}/segments/").json()["segments"]
    assert [s["held_by_me"] for s in listed] == [True, True]
    # Someone with no lease and not on the list hears nothing.
    assert api_for(labeler_user()).get(f"/api/recordings/{source.pk}/audio/").status_code == 404


def test_a_returned_segment_goes_back_to_its_labeler_with_its_span(api_for, run_of_three):
    campaign = long_form_campaign(review_share=1.0)
    source, segments = make_source_with_segments(campaign=campaign, spans=FIVE[:1])
    user, other, reviewer = labeler_user(), labeler_user(), reviewer_user()
    task = task_claim_next(labeler=user)
    draft = segments[0].revisions.get()
    mine = task_submit(task_id=task.pk, labeler=user, text="lights", base_revision_id=draft.pk)
    review_claim_next(reviewer=reviewer)
    review_decide(
        task_id=task.pk,
        reviewer=reviewer,
        decision="return",
        text=mine.text,
        base_revision_id=mine.pk,
        comment="say the whole sentence",
    )
    assert task_claim_next(labeler=other) is None  # reserved for the labeler who wrote it
    body = api_for(user).post("/api/tasks/claim/").json()
    assert body["id"] == task.pk and body["return_comment"] == "say the whole sentence"
    assert body["span"] == {"start": 0.5, "end": 2.0} and body["source"]["id"] == source.pk
