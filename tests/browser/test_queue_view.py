"""The PM's queue view in Chromium: a labeler's claim shows up as held, the PM releases it,
the counts move, and the labeler's late submit is refused."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.labeling.models import Task
from labelhub.labeling.services import task_claim_next, task_skip
from tests.browser.screenshots import save_doc_screenshot
from tests.factories import CampaignFactory, ConsentRecordFactory, RevisionFactory, UserFactory
from tests.labeling.audio import ingested_recording, store_draft
from tests.labeling.queue_helpers import in_minutes, task_in

pytestmark = pytest.mark.django_db(transaction=True)

Status = Task.Status


def ago(**delta) -> object:
    return timezone.now() - timedelta(**delta)


def a_busy_campaign(reviewer: User, labeler: User):
    """A campaign mid-way: some waiting, some returned, some in review, most approved."""
    campaign = CampaignFactory(name="Smart speaker commands (ko-KR)", review_share=0.3)
    for hours in (26, 20, 9, 5, 3, 2, 1, 1, 0):
        old = task_in(campaign)
        Task.objects.filter(pk=old.pk).update(created_at=ago(hours=hours, minutes=17))
    task_in(campaign, assignee=labeler, lease_expires_at=in_minutes(-40))  # a lapsed lease
    for _ in range(2):
        task_in(campaign, times_returned=1, labeler=labeler)
    for _ in range(3):
        task_in(campaign, status=Status.SUBMITTED, labeler=labeler, assignee=labeler)
    review = task_in(
        campaign, status=Status.SUBMITTED, assignee=reviewer, lease_expires_at=in_minutes(21)
    )
    Task.objects.filter(pk=review.pk).update(updated_at=ago(minutes=9))
    for _ in range(14):
        task_in(campaign, status=Status.APPROVED, labeler=labeler)
    task_in(campaign, status=Status.SKIPPED, skip_reason=Task.SkipReason.NOISE)
    return campaign


def count(page, state: str) -> int:
    return int(page.locator(f'#state-counts tr[data-state="{state}"] td').inner_text())


def test_the_pm_releases_a_labelers_lease_and_their_late_submit_is_refused(page, login_as) -> None:
    pm = UserFactory(username="hana.pm", role=User.Role.PM)
    labeler = UserFactory(username="jiwoo.kim", role=User.Role.LABELER)
    reviewer = UserFactory(username="seoyeon.park", role=User.Role.REVIEWER)
    colleague = UserFactory(username="minho.lee", role=User.Role.LABELER)
    campaign = a_busy_campaign(reviewer, colleague)
    wanted = task_in(campaign, priority=100)
    draft = RevisionFactory(recording=wanted.recording, text="거실 불 좀 꺼 줘")

    # The labeler claims over the API, as the workbench does.
    labeler_api = Client()
    labeler_api.force_login(labeler)
    claimed = labeler_api.post("/api/tasks/claim/").json()
    assert claimed["id"] == wanted.pk

    login_as(pm)
    page.goto(f"/work/queue/{campaign.pk}/")
    row = page.locator(f"#holding-{wanted.pk}-primary")
    assert row.locator(".holder").inner_text() == "jiwoo.kim"
    assert page.locator(f"#holding-{wanted.pk}-primary td").nth(2).inner_text() == "labeling"
    held, waiting = count(page, "held"), count(page, "open")
    assert (held, waiting, count(page, "in_review"), count(page, "total")) == (1, 10, 1, 32)
    assert "waiting for 1\xa0day" in page.locator("#oldest-open").inner_text()
    save_doc_screenshot(page, "queue_view")

    row.get_by_role("button", name="Release").click()
    page.locator(".messages li").wait_for()

    assert "no longer held by jiwoo.kim" in page.locator(".messages").inner_text()
    assert (count(page, "held"), count(page, "open")) == (0, waiting + 1)
    assert page.locator(f"#holding-{wanted.pk}-primary").count() == 0
    late = labeler_api.post(
        f"/api/tasks/{wanted.pk}/submit/",
        {"text": "거실 불 꺼 줘", "base_revision": draft.pk},
        content_type="application/json",
    )
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "lease_expired"
    assert Task.objects.get(pk=wanted.pk).status == Status.OPEN


def test_triage_plays_the_skipped_clip_inline_and_names_the_skipper(
    page, login_as, tmp_path
) -> None:
    recording = ingested_recording(ConsentRecordFactory().speaker, tmp_path, text="open the door")
    store_draft(recording, "open the door")
    labeler = UserFactory(username="jiwoo.kim", role=User.Role.LABELER)
    task = task_claim_next(labeler=labeler)
    task_skip(task_id=task.pk, labeler=labeler, reason=Task.SkipReason.NOISE)

    login_as(UserFactory(role=User.Role.PM))
    page.goto("/work/triage/")
    row = page.locator(f"#triage-{task.pk}")
    row.locator("audio").evaluate("audio => audio.play()")
    page.wait_for_function(
        "id => document.querySelector(`#triage-${id} audio`).currentTime > 0.3", arg=task.pk
    )

    assert row.locator(".skipped-by").inner_text() == "jiwoo.kim"
