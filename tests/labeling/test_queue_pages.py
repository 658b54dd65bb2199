"""The queue page and its API, the triage page's skipper and players, curation's players."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from labelhub.analytics.services import exclusion_add
from labelhub.labeling.models import Task
from labelhub.labeling.services import task_claim_next, task_requeue, task_skip
from labelhub.labeling.templatetags.clip_audio import audio_src
from labelhub.recordings.models import Recording
from labelhub.recordings.segments import segment_new
from tests.factories import RecordingFactory
from tests.labeling.helpers import (
    campaign,
    labeler_user,
    reviewer_user,
    submitted_task,
    task_with_draft,
)
from tests.labeling.queue_helpers import in_minutes, queue_campaign, task_in

pytestmark = pytest.mark.django_db


def state_count(page: str, state: str) -> int:
    row = re.search(rf'data-state="{state}"><th[^>]*>[^<]*</th><td class="num">(\d+)<', page)
    assert row, f"no {state} row"
    return int(row.group(1))


def test_the_queue_page_counts_tasks_and_names_the_holder(client, pm) -> None:
    alice = labeler_user(username="alice")
    shown = queue_campaign()
    task_in(shown)
    held = task_in(shown, assignee=alice, lease_expires_at=in_minutes(20))
    task_in(shown, status=Task.Status.APPROVED)
    task_in(queue_campaign())  # another campaign's task is not counted
    client.force_login(pm)

    page = client.get(f"/work/queue/{shown.pk}/").content.decode()

    assert (state_count(page, "open"), state_count(page, "held")) == (1, 1)
    assert (state_count(page, "approved"), state_count(page, "total")) == (1, 3)
    assert f'id="holding-{held.pk}-primary"' in page and "alice" in page
    assert f"/work/queue/{shown.pk}/tasks/{held.pk}/release/" in page


def test_the_campaign_page_links_to_its_queue(client, pm) -> None:
    shown = queue_campaign()
    client.force_login(pm)
    page = client.get(f"/campaigns/{shown.pk}/").content.decode()

    assert f'href="/work/queue/{shown.pk}/"' in page


def test_release_on_the_page_flashes_the_outcome(client, pm, labeler) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)
    campaign_id = task.recording.campaign_id
    client.force_login(pm)

    released = client.post(f"/work/queue/{campaign_id}/tasks/{task.pk}/release/", follow=True)
    again = client.post(f"/work/queue/{campaign_id}/tasks/{task.pk}/release/", follow=True)

    assert f"is no longer held by {labeler.username}" in released.content.decode()
    assert state_count(released.content.decode(), "held") == 0
    assert "Nobody holds this task." in again.content.decode()
    assert Task.objects.get(pk=task.pk).assignee is None


def test_reassign_on_the_page_refuses_a_non_member_readably(client, pm, labeler) -> None:
    listed = campaign()
    listed.labelers.set([labeler])
    task, _draft = task_with_draft(campaign=listed)
    outsider = labeler_user(username="outsider")
    client.force_login(pm)
    url = f"/work/queue/{listed.pk}/tasks/{task.pk}/reassign/"

    refused = client.post(url, {"labeler": outsider.pk}, follow=True).content.decode()
    nobody = client.post(url, {"labeler": ""}, follow=True).content.decode()
    given = client.post(url, {"labeler": labeler.pk}, follow=True).content.decode()

    assert "outsider does not work on this campaign." in refused
    assert "Choose who should get the task." in nobody
    assert f"is now held by {labeler.username}" in given
    assert Task.objects.get(pk=task.pk).assignee == labeler


def test_a_task_of_another_campaign_is_not_found_under_this_one(client, pm, labeler) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)
    other = queue_campaign()
    client.force_login(pm)

    response = client.post(f"/work/queue/{other.pk}/tasks/{task.pk}/release/")

    assert response.status_code == 404
    assert Task.objects.get(pk=task.pk).assignee == labeler


def test_the_queue_page_is_the_pms_alone(client, labeler) -> None:
    shown = queue_campaign()
    client.force_login(labeler)

    assert client.get(f"/work/queue/{shown.pk}/").status_code == 403


def test_the_queue_over_the_api(api_for, pm, labeler) -> None:
    task, draft = task_with_draft()
    task_claim_next(labeler=labeler)
    campaign_id = task.recording.campaign_id
    client = api_for(pm)

    before = client.get(f"/api/campaigns/{campaign_id}/queue/").json()
    released = client.post(f"/api/tasks/{task.pk}/release/")
    twice = client.post(f"/api/tasks/{task.pk}/release/")
    after = client.get(f"/api/campaigns/{campaign_id}/queue/").json()
    late = api_for(labeler).post(
        f"/api/tasks/{task.pk}/submit/", {"text": "late", "base_revision": draft.pk}
    )

    assert (before["counts"]["held"], before["counts"]["open"]) == (1, 0)
    assert before["holdings"][0]["username"] == labeler.username
    assert released.json()["released"] == labeler.username
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "not_held"
    assert (after["counts"]["held"], after["counts"]["open"], after["holdings"]) == (0, 1, [])
    assert late.status_code == 409 and late.json()["error"]["code"] == "lease_expired"


def test_reassign_over_the_api_refuses_in_the_documented_shape(api_for, pm) -> None:
    task, _draft = task_with_draft()
    client = api_for(pm)

    not_staff = client.post(f"/api/tasks/{task.pk}/reassign/", {"labeler": pm.pk})
    unknown = client.post(f"/api/tasks/{task.pk}/reassign/", {"labeler": 999999})
    bad_lease = client.post(f"/api/tasks/{task.pk}/reassign/", {"labeler": pm.pk, "lease": "x"})
    chosen = labeler_user()
    given = client.post(f"/api/tasks/{task.pk}/reassign/", {"labeler": chosen.pk})

    assert not_staff.status_code == 400
    assert not_staff.json()["error"]["code"] == "not_labeling_staff"
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid"
    assert bad_lease.status_code == 400 and "lease" in bad_lease.json()["error"]["message"]
    assert given.json()["assignee"] == chosen.username and given.json()["lease_expires_at"]
    assert api_for(chosen).post(f"/api/tasks/{task.pk}/release/").status_code == 403


def test_triage_names_the_labeler_who_skipped_and_plays_the_clip(client, api_for, pm) -> None:
    skipper = labeler_user(username="skipper")
    task, _draft = task_with_draft()
    task_claim_next(labeler=skipper)
    task_skip(task_id=task.pk, labeler=skipper, reason=Task.SkipReason.NOISE)
    client.force_login(pm)

    page = client.get("/work/triage/").content.decode()
    listed = api_for(pm).get("/api/triage/").json()["results"]

    row = page[page.index(f'id="triage-{task.pk}"') :]
    assert '<td class="skipped-by">skipper</td>' in row
    audio = f"/api/recordings/{task.recording_id}/audio/"
    player = f'<audio class="clip-audio" controls preload="none" src="{audio}"'
    assert player in row
    assert listed[0]["skipped_by"] == "skipper"


def test_a_requeued_clip_forgets_its_skipper(pm, labeler) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)
    task_skip(task_id=task.pk, labeler=labeler, reason=Task.SkipReason.NOISE)

    task_requeue(task_id=task.pk, pm=pm)

    assert Task.objects.get(pk=task.pk).skipped_by is None


def test_a_segment_plays_its_span_of_the_source_and_a_withdrawn_clip_nothing() -> None:
    source = RecordingFactory(kind=Recording.Kind.SOURCE, duration_seconds=60.0)
    segment = segment_new(source=source, start_seconds=12.25, end_seconds=15.5)
    withdrawn = RecordingFactory(status=Recording.Status.WITHDRAWN)

    assert audio_src(segment) == f"/api/recordings/{source.pk}/audio/#t=12.250,15.500"
    assert audio_src(withdrawn) == ""


def test_curation_plays_each_clip_and_each_excluded_one(client, pm, labeler) -> None:
    approved, _revision = submitted_task(
        labeler=labeler, campaign=campaign(review_share=0.0), text="turn on the TV please"
    )
    campaign_id = approved.recording.campaign_id
    exclusion_add(by=pm, reason="bad_audio", recording_ids=[approved.recording_id])
    client.force_login(pm)
    player = f'preload="none" src="/api/recordings/{approved.recording_id}/audio/"'

    clips = client.get(f"/analytics/{campaign_id}/clips/").content.decode()
    exclusions = client.get(f"/analytics/{campaign_id}/exclusions/").content.decode()

    assert player in clips
    assert player in exclusions
    audio = client.get(f"/api/recordings/{approved.recording_id}/audio/")
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"


def test_the_queue_page_speaks_korean(client, pm, labeler) -> None:
    task, _draft = task_with_draft()
    task_claim_next(labeler=labeler)
    client.force_login(pm)

    page = client.get(
        f"/work/queue/{task.recording.campaign_id}/", HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()

    assert "라벨링 대기열" in page and "라벨러가 작업 중" in page and "점유 해제" in page


def test_the_queue_page_costs_the_same_queries_for_ten_times_the_tasks(client, pm) -> None:
    small, large = queue_campaign(), queue_campaign()
    for shown, size in ((small, 3), (large, 30)):
        for index in range(size):
            holder = labeler_user() if index % 3 == 0 else None
            task_in(shown, assignee=holder, lease_expires_at=in_minutes(10) if holder else None)
    client.force_login(pm)
    client.get(f"/work/queue/{small.pk}/")  # session and first-use queries out of the way

    def queries(shown) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/work/queue/{shown.pk}/").status_code == 200
        return len(captured)

    assert queries(large) == queries(small)


def test_a_review_lease_offers_only_reviewers_to_hand_it_to(client, pm) -> None:
    shown = queue_campaign()
    reviewer = reviewer_user(username="rev.one")
    reviewer_user(username="rev.two")
    labeler_user(username="lab.one")
    review = task_in(
        shown, status=Task.Status.SUBMITTED, assignee=reviewer, lease_expires_at=in_minutes(9)
    )
    task_in(shown)
    client.force_login(pm)

    page = client.get(f"/work/queue/{shown.pk}/").content.decode()

    review_row = page[page.index(f'id="holding-{review.pk}-primary"') :].split("</tr>")[0]
    waiting_rows = page[page.index('id="waiting-tasks"') :]
    assert "rev.two" in review_row and "rev.one" in review_row and "lab.one" not in review_row
    assert "lab.one" in waiting_rows
