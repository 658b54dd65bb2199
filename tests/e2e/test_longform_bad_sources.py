"""A real Celery worker ingests long-form sources: the bad ones end rejected with a reason and
nothing derived, and the same worker process goes on to ingest a good one."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_collect
from tests.audio_samples import silence
from tests.conftest import stored_files
from tests.e2e.conftest import StartWorker
from tests.e2e.test_faults import NO_ASR, wait_until
from tests.factories import ConsentRecordFactory
from tests.recordings import longform_audio as media

pytestmark = pytest.mark.e2e


def test_one_worker_rejects_a_cut_and_a_silent_source_then_ingests_a_good_one(
    start_worker: StartWorker, media_root: Path, tmp_path: Path
) -> None:
    speaker = ConsentRecordFactory(
        speaker__campaign__collection_mode=Campaign.CollectionMode.LONG_FORM,
        speaker__campaign__status=Campaign.Status.ACTIVE,
    ).speaker
    source = media.speech_source(tmp_path / "audio")
    whole = media.encode(source, tmp_path / "whole.mkv", "-c:a", "libopus")
    files = [
        media.cut_in_half(whole, tmp_path / "cut.mkv"),
        silence(tmp_path / "silent.wav", seconds=20),
        media.encode(source, tmp_path / "good.mp3", "-c:a", "libmp3lame"),
    ]
    worker = start_worker(**NO_ASR)

    recordings = [
        recording_collect(
            speaker=speaker,
            uploaded_file=SimpleUploadedFile(path.name, path.read_bytes()),
            uploaded_by=None,
        )
        for path in files
    ]  # each queues its ingest on commit, for the worker

    def settled() -> bool:
        waiting = Recording.Status.RECEIVED
        return not Recording.objects.filter(pk__in=[r.pk for r in recordings], status=waiting)

    wait_until(settled, timeout=120, what="the worker to ingest all three sources")
    cut, silent, good = (Recording.objects.get(pk=r.pk) for r in recordings)
    assert (cut.status, cut.rejection_code) == ("rejected", "truncated")
    assert (silent.status, silent.rejection_code) == ("rejected", "silent")
    assert good.status == "ready" and good.kind == "source" and good.peaks_file
    assert worker.poll() is None  # still running
    derived = [p for p in stored_files(media_root) if "/raw/" not in str(p)]
    assert sorted(p.parent.name for p in derived) == [str(good.campaign_id)] * 2
    assert {p.stem for p in derived} == {str(good.uid)}
