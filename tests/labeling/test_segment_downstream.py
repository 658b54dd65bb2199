"""Removed segments and whole sources vanish from claims, triage, analytics and releases; the
segments themselves (approved, with a human text) are what those see."""

import pytest

from labelhub.analytics.facts import campaign_clips
from labelhub.labeling.models import Task
from labelhub.labeling.review import review_claim_next, review_decide
from labelhub.labeling.segment_services import segment_delete
from labelhub.labeling.selectors import tasks_in_triage
from labelhub.labeling.services import task_claim_next, task_skip, task_submit
from labelhub.releases.selectors import release_recordings
from labelhub.releases.spec import spec_parse
from tests.labeling.helpers import labeler_user, reviewer_user
from tests.labeling.segment_helpers import long_form_campaign, make_source_with_segments

pytestmark = pytest.mark.django_db


@pytest.fixture
def labeled():
    """Three segments, all approved with a labeler's text, then the middle one deleted."""
    campaign = long_form_campaign(review_share=1.0)
    source, segments = make_source_with_segments(campaign=campaign)
    user, reviewer = labeler_user(), reviewer_user()
    task_claim_next(labeler=user)
    for segment in segments:
        draft = segment.revisions.get()
        task_submit(
            task_id=segment.task.pk, labeler=user, text=draft.text, base_revision_id=draft.pk
        )
    while (task := review_claim_next(reviewer=reviewer)) is not None:
        head = task.recording.revisions.order_by("-number").first()
        review_decide(
            task_id=task.pk,
            reviewer=reviewer,
            decision="approve",
            text=head.text,
            base_revision_id=head.pk,
        )
    assert Task.objects.filter(status=Task.Status.APPROVED).count() == 3
    # An approved span is frozen, so this one is deleted before approval in real use; here the
    # row is marked removed directly, the state segment_delete leaves.
    segments[1].status = "removed"
    segments[1].save(update_fields=["status"])
    return campaign, source, segments


def test_releases_ship_the_live_segments_only(labeled):
    campaign, source, segments = labeled
    spec = spec_parse({}, campaign=campaign)
    shipped = set(release_recordings(campaign_ids=[campaign.pk], spec=spec))
    assert shipped == {segments[0], segments[2]}


def test_analytics_count_live_segments_not_the_source_nor_removed_ones(labeled):
    campaign, source, segments = labeled
    clips = {clip.recording_id: clip for clip in campaign_clips(campaign=campaign)}
    assert set(clips) == {segments[0].pk, segments[2].pk}
    assert all(clip.approved for clip in clips.values())
    assert sum(clip.seconds for clip in clips.values()) == pytest.approx(7.0)


def test_removed_segments_leave_triage_and_claims():
    source, segments = make_source_with_segments()
    user = labeler_user()
    task_claim_next(labeler=user)
    task_skip(task_id=segments[0].task.pk, labeler=user, reason="noise")
    assert [t.recording_id for t in tasks_in_triage()] == [segments[0].pk]
    segments[0].status = "removed"  # as a merge into its neighbour leaves it
    segments[0].save(update_fields=["status"])
    assert not list(tasks_in_triage())
    segment_delete(segment_id=segments[1].pk, user=user, version=0)
    assert Task.objects.get(recording=segments[1]).assignee_id is None
    # The deleted segment's task is free, yet nobody is ever handed it.
    assert task_claim_next(labeler=labeler_user()) is None
