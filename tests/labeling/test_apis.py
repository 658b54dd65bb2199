"""The labeling API as the workbench and review pages use it."""

import json
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from labelhub.accounts.models import User
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.review import double_submit
from labelhub.labeling.services import task_claim_next
from tests.factories import RevisionFactory, UserFactory
from tests.labeling.audio import ingested_recording, store_draft
from tests.labeling.helpers import (
    campaign,
    labeler_user,
    reviewer_user,
    submitted_task,
    task_with_draft,
)

pytestmark = pytest.mark.django_db


def test_claim_gives_everything_the_page_needs(api_for, labeler) -> None:
    task, draft = task_with_draft()

    body = api_for(labeler).post("/api/tasks/claim/").json()

    assert body["id"] == task.pk
    assert (body["mode"], body["base_revision"], body["draft"]["text"]) == (
        "label",
        draft.pk,
        draft.text,
    )
    assert body["peaks_url"].endswith(f"/api/recordings/{task.recording_id}/peaks/")
    assert body["asr"]["segments"][0]["words"][0]["probability"] == 0.42
    assert body["convention"] == "plain"


def test_a_stale_save_answers_409_with_the_newer_text(api_for, labeler) -> None:
    task, draft = task_with_draft()
    client = api_for(labeler)
    client.post("/api/tasks/claim/")
    newer = RevisionFactory(
        recording=task.recording,
        number=2,
        kind=TranscriptRevision.Kind.REVIEW,
        text="turn off the TV",
        author=UserFactory(username="yuna"),
    )

    response = client.post(
        f"/api/tasks/{task.pk}/submit/", {"text": "x", "base_revision": draft.pk}, format="json"
    )

    assert response.status_code == 409
    latest = response.json()["error"]["latest"]
    assert (latest["id"], latest["text"], latest["author"]) == (newer.pk, "turn off the TV", "yuna")
    assert latest["created_at"]


def test_a_convention_error_answers_400_with_every_span(api_for, labeler) -> None:
    task, draft = task_with_draft(campaign=campaign(convention="kspon", language="ko"))
    client = api_for(labeler)
    client.post("/api/tasks/claim/")

    response = client.post(
        f"/api/tasks/{task.pk}/submit/",
        {"text": "오늘 3시 #", "base_revision": draft.pk},
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "convention_error"
    assert [(i["code"], i["start"], i["end"]) for i in error["issues"]] == [
        ("digit", 3, 4),
        ("stray_symbol", 6, 7),
    ]


def test_the_check_endpoint_answers_as_the_labeler_types(api_for, labeler) -> None:
    response = api_for(labeler).post(
        "/api/conventions/check/", {"text": "b/ 5개", "convention": "kspon"}, format="json"
    )

    assert response.status_code == 200
    assert [(i["code"], i["start"]) for i in response.json()["issues"]] == [("digit", 3)]


def test_a_session_submit_is_recorded_as_workbench_and_a_token_one_as_api(labeler) -> None:
    first, first_draft = task_with_draft()
    session = APIClient()
    session.force_login(labeler)
    session.post("/api/tasks/claim/")
    session.post(
        f"/api/tasks/{first.pk}/submit/",
        {"text": "a", "base_revision": first_draft.pk, "work_seconds": 7.5},
        format="json",
    )
    second, second_draft = task_with_draft()
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=labeler).key}")
    token.post("/api/tasks/claim/")
    token.post(
        f"/api/tasks/{second.pk}/submit/",
        {"text": "b", "base_revision": second_draft.pk},
        format="json",
    )

    sources = TranscriptRevision.objects.filter(author=labeler).order_by("pk")
    assert [(r.source, r.work_seconds) for r in sources] == [("workbench", 7.5), ("api", None)]


def test_the_lease_endpoint_renews_and_refuses_strangers(api_for, labeler) -> None:
    task, _draft = task_with_draft()
    api_for(labeler).post("/api/tasks/claim/")

    mine = api_for(labeler).post(f"/api/tasks/{task.pk}/lease/")
    theirs = api_for(labeler_user()).post(f"/api/tasks/{task.pk}/lease/")

    assert mine.status_code == 200 and mine.json()["lease_expires_at"]
    assert theirs.status_code == 409
    assert theirs.json()["error"]["code"] == "lease_expired"


def test_skip_and_triage_over_http(api_for, labeler, pm) -> None:
    task, _draft = task_with_draft()
    api_for(labeler).post("/api/tasks/claim/")

    skipped = api_for(labeler).post(
        f"/api/tasks/{task.pk}/skip/", {"reason": "not_a_prompt", "note": "reads a menu"}
    )
    listed = api_for(pm).get("/api/triage/").json()["results"]
    labeler_listing = api_for(labeler).get("/api/triage/")
    requeued = api_for(pm).post(f"/api/tasks/{task.pk}/requeue/")

    assert skipped.json()["status"] == "skipped"
    assert [(t["id"], t["skip_reason"], t["skip_note"]) for t in listed] == [
        (task.pk, "not_a_prompt", "reads a menu")
    ]
    assert labeler_listing.status_code == 403
    assert requeued.json()["status"] == "open"


def test_a_skip_with_an_unknown_reason_is_refused(api_for, labeler) -> None:
    task, _draft = task_with_draft()
    api_for(labeler).post("/api/tasks/claim/")

    response = api_for(labeler).post(f"/api/tasks/{task.pk}/skip/", {"reason": "bored"})

    assert response.status_code == 400
    assert Task.objects.get(pk=task.pk).status == Task.Status.OPEN


def test_review_over_http_returns_with_a_comment(api_for, labeler) -> None:
    task, revision = submitted_task(labeler=labeler)
    reviewer = reviewer_user()
    client = api_for(reviewer)

    claimed = client.post("/api/reviews/claim/").json()
    decided = client.post(
        f"/api/reviews/{task.pk}/decide/",
        {
            "decision": "return",
            "text": claimed["submitted"]["text"],
            "comment": "missing word",
            "base_revision": claimed["base_revision"],
        },
        format="json",
    )

    assert (claimed["labeler"], claimed["asr"]["text"]) == (labeler.username, "turn on the tv")
    assert claimed["base_revision"] == revision.pk
    assert decided.status_code == 201 and decided.json()["decision"] == "returned"
    back = api_for(labeler).post("/api/tasks/claim/").json()
    assert (back["id"], back["return_comment"]) == (task.pk, "missing word")


def test_a_labeler_cannot_claim_reviews(api_for, labeler) -> None:
    assert api_for(labeler).post("/api/reviews/claim/").status_code == 403


def test_the_history_lists_every_step(api_for, labeler) -> None:
    task, revision = submitted_task(labeler=labeler)

    body = api_for(labeler).get(f"/api/recordings/{task.recording_id}/history/").json()

    assert [(r["kind"], r["author"]) for r in body["revisions"]] == [
        ("asr_draft", None),
        ("labeler_edit", labeler.username),
    ]
    assert set(body["revisions"][1]) >= {"source", "decision", "comment", "created_at", "text"}


def test_the_history_page_shows_the_revisions(client, labeler) -> None:
    task, _revision = submitted_task(labeler=labeler, text="turn on the radio")
    client.force_login(labeler)

    page = client.get(f"/work/history/{task.recording_id}/").content.decode()

    assert "turn on the radio" in page and "Labeler edit" in page


def test_stats_count_todays_clips_minutes_and_median(api_for, labeler) -> None:
    task, draft = task_with_draft()
    client = api_for(labeler)
    client.post("/api/tasks/claim/")
    client.post(
        f"/api/tasks/{task.pk}/submit/",
        {"text": "a", "base_revision": draft.pk, "work_seconds": 30},
        format="json",
    )

    stats = client.get("/api/workbench/stats/").json()

    assert stats == {
        "clips_today": 1,
        "audio_minutes_today": round(2.5 / 60, 2),
        "median_seconds_per_clip": 30.0,
    }


def test_the_pm_reads_double_transcription_agreement(api_for, labeler, pm) -> None:
    doubled = campaign(double_transcription_share=1.0)
    task, _first = submitted_task(labeler=labeler, campaign=doubled, text="abcd")
    second = labeler_user()
    task_claim_next(labeler=second)
    double_submit(task_id=task.pk, labeler=second, text="abcd")

    body = api_for(pm).get(f"/api/agreement/?campaign={doubled.pk}").json()

    assert (body["pairs"], body["cer"]) == (1, 0.0)
    assert api_for(labeler).get(f"/api/agreement/?campaign={doubled.pk}").status_code == 403


def test_a_second_transcriber_sees_the_asr_draft_and_submits_a_double(api_for, labeler) -> None:
    task, first = submitted_task(labeler=labeler, campaign=campaign(double_transcription_share=1.0))
    second = api_for(labeler_user())

    claimed = second.post("/api/tasks/claim/").json()
    stored = second.post(
        f"/api/tasks/{task.pk}/submit/", {"text": "turn on the tv"}, format="json"
    ).json()

    assert claimed["mode"] == "double"
    assert claimed["draft"]["kind"] == "asr_draft"
    assert claimed["draft"]["text"] != first.text
    assert stored["kind"] == "double"


def test_peaks_are_stored_at_ingest_and_served(api_for, labeler, consented_speaker, tmp_path):
    recording = ingested_recording(consented_speaker, tmp_path)

    response = api_for(labeler).get(f"/api/recordings/{recording.pk}/peaks/")

    assert recording.peaks_file.name.endswith(".json")
    peaks = json.loads(b"".join(response.streaming_content))
    assert peaks["samples_per_peak"] == 160
    assert len(peaks["data"]) == 2 * round(recording.duration_seconds * 100)
    assert max(peaks["data"]) > 10  # speech, not silence
    assert min(peaks["data"]) >= -127 and max(peaks["data"]) <= 127


def test_peaks_are_computed_once_for_an_older_recording(
    api_for, labeler, consented_speaker, tmp_path
):
    recording = ingested_recording(consented_speaker, tmp_path)
    Path(recording.peaks_file.path).unlink()
    recording.peaks_file = ""
    recording.save(update_fields=["peaks_file"])

    first = api_for(labeler).get(f"/api/recordings/{recording.pk}/peaks/")
    recording.refresh_from_db()

    assert first.status_code == 200
    assert recording.peaks_file and Path(recording.peaks_file.path).exists()


def test_the_claimed_draft_keeps_whisper_words_for_highlighting(
    api_for, labeler, consented_speaker, tmp_path
):
    recording = ingested_recording(consented_speaker, tmp_path)
    store_draft(recording, "turn on the kitchen lights")

    body = api_for(labeler).post("/api/tasks/claim/").json()

    words = [w for s in body["asr"]["segments"] for w in s["words"]]
    assert [w["text"] for w in words] == ["turn", "on", "the", "kitchen", "lights"]
    assert words[0]["probability"] < 0.5


def test_pages_are_for_labeling_staff(client, labeler, pm) -> None:
    client_user = UserFactory(role=User.Role.CLIENT)
    client.force_login(client_user)
    assert client.get("/work/").status_code == 403
    client.force_login(labeler)
    assert client.get("/work/").status_code == 200
    assert client.get("/work/review/").status_code == 403
    assert client.get("/work/triage/").status_code == 403
    client.force_login(pm)
    assert client.get("/work/triage/").status_code == 200


def test_the_triage_page_returns_a_clip_to_the_queue(client, pm) -> None:
    task, _draft = task_with_draft(status=Task.Status.SKIPPED, skip_reason="noise")
    client.force_login(pm)

    page = client.get("/work/triage/").content.decode()
    response = client.post(f"/work/triage/{task.pk}/requeue/")

    assert "Noise only" in page
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == Task.Status.OPEN


def test_requeueing_a_clip_already_back_in_the_queue_says_so_on_the_page(client, pm) -> None:
    task, _draft = task_with_draft(status=Task.Status.OPEN)
    client.force_login(pm)

    response = client.post(f"/work/triage/{task.pk}/requeue/", follow=True)

    assert response.status_code == 200
    assert "only a skipped task can go back to the queue" in response.content.decode()
    assert Task.objects.get(pk=task.pk).status == Task.Status.OPEN
