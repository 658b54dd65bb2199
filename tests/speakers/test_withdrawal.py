"""Withdrawal: consent marked at once; a worker deletes the audio; no release picks it up again."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.erasure import speaker_audio_delete
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_collect, recording_ingest
from labelhub.releases.selectors import release_recordings
from labelhub.releases.spec import spec_parse
from labelhub.speakers.invites import withdrawal_path
from labelhub.speakers.models import ConsentAuditEvent
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw
from tests.audio_samples import speak
from tests.conftest import stored_files
from tests.factories import CampaignFactory, ConsentRecordFactory, RevisionFactory, TaskFactory
from workers.tasks.withdrawal import speaker_audio_delete_task

pytestmark = pytest.mark.django_db


def corrected_take(speaker, text: str, tmp_path: Path) -> Recording:
    """A real upload, ingested, with peaks, a labeler's text and an approved task."""
    clip = speak(text, tmp_path / f"{speaker.code}.wav")
    recording = recording_collect(
        speaker=speaker,
        uploaded_file=SimpleUploadedFile("take.wav", clip.read_bytes()),
        uploaded_by=None,
    )
    recording = recording_ingest(recording_id=recording.pk)
    if not recording.peaks_file:  # ingest computes peaks once the workbench's step is in
        recording.peaks_file.save(f"peaks/{recording.uid}.json", ContentFile(b"[0, 1]"))
    draft = RevisionFactory(recording=recording, text="draft")
    RevisionFactory(
        recording=recording,
        number=2,
        parent=draft,
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        text=text,
    )
    TaskFactory(recording=recording, status=Task.Status.APPROVED)
    return recording


def release_candidates(*, campaign) -> set[Recording]:
    """What a release built now would ship (the releases app's own selection)."""
    spec = spec_parse({}, campaign=campaign)
    return set(release_recordings(campaign_ids=[campaign.pk], spec=spec))


@pytest.fixture
def campaign():
    return CampaignFactory(status="active")


def test_a_speaker_withdraws_from_the_link_and_their_audio_leaves_storage_and_releases(
    client, campaign, media_root: Path, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    leaving = ConsentRecordFactory(speaker__campaign=campaign).speaker
    staying = ConsentRecordFactory(speaker__campaign=campaign).speaker
    gone = corrected_take(leaving, "turn on the television", tmp_path)
    kept = corrected_take(staying, "switch off the lights", tmp_path)
    gone_files = [Path(f.path) for f in (gone.raw_file, gone.normalised_file, gone.peaks_file)]
    assert release_candidates(campaign=campaign) == {gone, kept}

    with django_capture_on_commit_callbacks() as queued:
        page = client.post(withdrawal_path(speaker=leaving))
    assert page.status_code == 200
    assert "withdrawn" in page.content.decode()
    assert len(queued) == 1  # the deletion is queued for the worker
    speaker_audio_delete_task.apply(args=[leaving.pk])  # what the worker runs

    remaining = stored_files(media_root)
    assert all(path not in remaining for path in gone_files)
    assert [path for path in remaining if str(gone.uid) in str(path)] == []
    assert Path(kept.raw_file.path) in remaining
    gone.refresh_from_db()
    assert gone.status == Recording.Status.WITHDRAWN
    assert not gone.raw_file and not gone.normalised_file and not gone.peaks_file
    assert release_candidates(campaign=campaign) == {kept}
    leaving.refresh_from_db()
    assert leaving.withdrawn_at is not None
    consent = leaving.consents.get()
    assert consent.withdrawn_at is not None and consent.withdrawal_method == "speaker_link"


def test_the_audit_trail_keeps_counts_without_audio(campaign, pm, tmp_path: Path) -> None:
    speaker = ConsentRecordFactory(speaker__campaign=campaign).speaker
    corrected_take(speaker, "play some music", tmp_path)

    consent_withdraw(speaker=speaker, method=BY_PM, by=pm)
    speaker_audio_delete(speaker_id=speaker.pk)

    events = {event.action: event for event in ConsentAuditEvent.objects.filter(speaker=speaker)}
    assert events["withdrawn"].actor == pm
    assert events["withdrawn"].counts == {"consent_records": 1}
    assert events["audio_deleted"].counts == {"recordings": 1, "files_deleted": 3}
    field_names = {f.name for f in ConsentAuditEvent._meta.get_fields()}
    assert not field_names & {"audio", "file", "name", "email", "phone"}


def test_deleting_twice_is_harmless(campaign, tmp_path: Path) -> None:
    speaker = ConsentRecordFactory(speaker__campaign=campaign).speaker
    corrected_take(speaker, "what time is it", tmp_path)
    consent_withdraw(speaker=speaker, method=BY_PM)
    speaker_audio_delete(speaker_id=speaker.pk)

    assert speaker_audio_delete(speaker_id=speaker.pk) is None
    assert ConsentAuditEvent.objects.filter(action="audio_deleted").count() == 1


def test_a_pm_withdraws_through_the_api(api_for, pm, campaign) -> None:
    speaker = ConsentRecordFactory(speaker__campaign=campaign).speaker

    response = api_for(pm).post(f"/api/speakers/{speaker.pk}/withdraw/")

    assert response.status_code == 202
    consent = speaker.consents.get()
    assert consent.withdrawn_by == pm and consent.withdrawal_method == "pm"


def test_a_withdrawn_speaker_cannot_record_again(client, campaign, tmp_path: Path) -> None:
    speaker = ConsentRecordFactory(speaker__campaign=campaign).speaker
    consent_withdraw(speaker=speaker, method=BY_PM)
    clip = speak("volume down", tmp_path / "a.wav")

    from labelhub.errors import Conflict

    with pytest.raises(Conflict) as refused:
        recording_collect(
            speaker=speaker,
            uploaded_file=SimpleUploadedFile("a.wav", clip.read_bytes()),
            uploaded_by=None,
        )
    assert refused.value.code == "consent_withdrawn"


def test_a_forged_withdrawal_link_is_refused(client) -> None:
    response = client.post("/record/withdraw/eyJzIjoxfQ:forged:signature/")

    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_the_worker_loads_the_audio_deletion_task() -> None:
    # A worker only runs tasks from the modules workers/celery.py imports; a withdrawal queued
    # for a task it does not know would never delete anything. A fresh interpreter, because
    # this test module has imported the task itself.
    script = (
        "from workers.celery import app; app.loader.import_default_modules(); "
        "print('workers.tasks.withdrawal.speaker_audio_delete' in app.tasks)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )

    assert result.stdout.strip().splitlines()[-1:] == ["True"], result.stderr[-2000:]
