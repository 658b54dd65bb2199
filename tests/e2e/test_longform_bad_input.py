"""Bad long-form sources through the real upload API and a real Celery worker process.

Each gets a clear reason (refused at upload, or rejected by the worker), leaves no derived file,
no segment and no task, and the worker keeps working: a good source after them still ingests.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from labelhub.labeling.models import Task
from labelhub.recordings.models import Recording
from tests.longform_audio import (
    make_silence,
    make_source,
    make_ten_hours,
    make_truncated,
    make_video_without_audio,
)
from tests.longform_setup import Api, derived_files, longform_campaign

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# What each reason must speak of, so "ingest failed: Traceback ..." never passes for one.
BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "ten_hours": (lambda d: make_ten_hours(d / "broadcast.opus"), r"long|duration|hour|limit"),
    "video_without_audio": (
        lambda d: make_video_without_audio(d / "screen.mp4"),
        r"audio",
    ),
    "truncated_mp4": (
        lambda d: make_truncated(d / "meeting.mp4"),
        r"truncat|corrupt|incomplete|damaged|partial|cut off|broken|unreadable",
    ),
    "truncated_wav": (
        lambda d: make_truncated(d / "session.wav", container="wav"),
        r"truncat|corrupt|incomplete|damaged|partial|cut off|broken|unreadable",
    ),
    "silence": (lambda d: make_silence(d / "silence.mp4"), r"speech|silen"),
}
FINISH_TIMEOUT_S = 180


def _rejection(api: Api, path: Path, speaker) -> tuple[str, str, int | None]:
    """(code, reason, recording id or None) for an upload that must not become a source."""
    response = api.upload(path, speaker)
    if response.status_code != 201:
        assert 400 <= response.status_code < 500, response.text
        error = response.json()["error"]
        return error["code"], error["message"], None
    body = api.finished_source(response.json()["id"], timeout=FINISH_TIMEOUT_S)
    # Accepted for ingest, then refused: the reason is on the source, however it was refused.
    if body["status"] == Recording.Status.REJECTED:
        return body["rejection_code"], body["rejection_reason"], body["id"]
    return "asr_" + body["asr_status"], body["asr_error"], body["id"]


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_a_bad_source_gets_a_clear_reason_and_leaves_nothing(
    name: str, live_server, celery_worker_process, media_root: Path, tmp_path: Path
) -> None:
    make, spoken_of = BAD_INPUTS[name]
    campaign, (speaker,) = longform_campaign()
    api = Api(live_server.url, campaign.created_by)

    code, reason, recording_id = _rejection(api, make(tmp_path), speaker)
    print(f"\n{name}: {code} ({'worker' if recording_id else 'upload'}): {reason}")

    assert code and code != "ingest_failed", (code, reason)  # ingest_failed: a crash, not a reason
    assert re.search(spoken_of, reason, re.IGNORECASE), (code, reason)
    if recording_id is not None:
        recording = Recording.objects.get(pk=recording_id)
        assert recording.status == Recording.Status.REJECTED, (code, reason)
        assert not recording.normalised_file and not recording.peaks_file
    assert derived_files(media_root) == []
    assert not Recording.objects.filter(kind=Recording.Kind.SEGMENT).exists()
    assert not Task.objects.exists()
    assert celery_worker_process.poll() is None, "the worker died"


def test_the_worker_still_ingests_a_good_source_after_bad_ones(
    live_server, celery_worker_process, media_root: Path, tmp_path: Path
) -> None:
    campaign, (speaker,) = longform_campaign()
    api = Api(live_server.url, campaign.created_by)
    for name in ("truncated_mp4", "silence"):  # the two that get past upload to the worker
        make, _spoken_of = BAD_INPUTS[name]
        _rejection(api, make(tmp_path), speaker)

    good = make_source(tmp_path / "good.mp4", minutes=1)
    response = api.upload(good.path, speaker)
    assert response.status_code == 201, response.text
    body = api.finished_source(response.json()["id"], timeout=FINISH_TIMEOUT_S)

    assert (body["status"], body["asr_status"]) == ("ready", "done"), body
    assert abs(body["duration_seconds"] - good.seconds) < 0.1
    spans = Recording.objects.filter(source_id=body["id"], kind=Recording.Kind.SEGMENT)
    spans = list(spans.values_list("start_seconds", "end_seconds"))
    assert all(2.0 <= end - start <= 15.0 for start, end in spans), spans
    speech = sum(u.end - u.start for u in good.utterances)
    covered = sum(
        max(0.0, min(end, u.end) - max(start, u.start))
        for u in good.utterances
        for start, end in spans
    )
    assert covered > 0.8 * speech, (covered, speech, spans)
    assert celery_worker_process.poll() is None, "the worker died"
