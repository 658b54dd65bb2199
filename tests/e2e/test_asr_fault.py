"""A worker killed with SIGKILL mid-run loses nothing: every clip ends with exactly one draft."""

import signal
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_upload
from tests.audio_samples import speak
from tests.e2e.conftest import StartWorker
from tests.factories import ConsentRecordFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WORDS = ["red", "green", "blue", "seven", "eleven", "music", "volume", "channel", "movie", "news"]
CLIPS = 20


def drafts() -> int:
    return TranscriptRevision.objects.filter(kind=TranscriptRevision.Kind.ASR_DRAFT).count()


def wait_until(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}; drafts={drafts()}")


def test_kill_9_mid_run_then_a_new_worker_drafts_every_clip_exactly_once(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    speaker = ConsentRecordFactory().speaker
    for index in range(CLIPS):
        text = f"play {WORDS[index % 10]} number {index} on the {WORDS[(index + 3) % 10]} screen"
        path = speak(text, tmp_path / f"clip{index}.wav")
        recording_upload(
            speaker=speaker,
            uploaded_file=SimpleUploadedFile(path.name, path.read_bytes()),
            uploaded_by=None,
        )

    # Small batches keep the first worker busy long enough to be killed in the middle.
    first = start_worker(ASR_BATCH_SIZE="2")
    wait_until(lambda: drafts() >= 3, timeout=180, what="the first drafts")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = drafts()
    assert killed_at < CLIPS, "the worker finished before it could be killed"

    # Short timeouts let the new worker take over the dead one's unacknowledged tasks and claims.
    start_worker(CELERY_VISIBILITY_TIMEOUT="5", ASR_CLAIM_TTL_SECONDS="5")
    wait_until(
        lambda: Recording.objects.filter(asr_status=Recording.AsrStatus.DONE).count() == CLIPS,
        timeout=300,
        what="every clip to be drafted",
    )

    for recording in Recording.objects.all():
        assert recording.revisions.filter(kind=TranscriptRevision.Kind.ASR_DRAFT).count() == 1
    assert Task.objects.count() == CLIPS
    assert Recording.objects.filter(status=Recording.Status.READY).count() == CLIPS
