"""Whisper drafts: stored once per engine and model, batched across waiting clips, prioritised."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from asr import AsrError
from labelhub.campaigns.models import Prompt
from labelhub.labeling.draft_common import DraftInProgress, decode_options_for, task_priority
from labelhub.labeling.drafts import recording_pretranscribe
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_ingest, recording_upload
from labelhub.text_metrics import prompt_error_rates
from tests.audio_samples import speak
from tests.factories import CampaignFactory, ConsentRecordFactory, RevisionFactory

pytestmark = pytest.mark.django_db


def ready_recording(speaker, text: str, tmp_path: Path, *, prompt: Prompt | None = None):
    path = speak(text, tmp_path / f"{abs(hash(text))}.wav")
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    recording = recording_upload(
        speaker=speaker, uploaded_file=upload, uploaded_by=None, prompt=prompt
    )
    return recording_ingest(recording_id=recording.pk)


def test_decode_options_follow_the_campaign() -> None:
    campaign = CampaignFactory(language="ko-KR", asr_beam_size=3, asr_vad_filter=True)
    Prompt.objects.create(campaign=campaign, text="거실 텔레비전 켜 줘")
    Prompt.objects.create(campaign=campaign, text="소리 꺼 줘.")

    options = decode_options_for(campaign)

    assert options.language == "ko"
    assert options.beam_size == 3
    assert options.vad_filter is True
    assert options.initial_prompt == "거실 텔레비전 켜 줘. 소리 꺼 줘."


def test_language_detection_and_an_explicit_vocabulary() -> None:
    campaign = CampaignFactory(asr_detect_language=True, asr_initial_prompt="LabelHub, OLED")

    options = decode_options_for(campaign)

    assert options.language is None
    assert options.initial_prompt == "LabelHub, OLED"


def test_prompt_error_rates_compare_normalised_words() -> None:
    assert prompt_error_rates("Turn on the TV.", "turn on the tv") == (0.0, 0.0)
    wer, cer = prompt_error_rates("turn on the tv", "turn off the tv")
    assert wer == 0.25 and 0 < cer < 0.25
    assert prompt_error_rates("turn on the tv", "") == (1.0, 1.0)
    assert prompt_error_rates("", "anything") == (None, None)


def test_low_confidence_drafts_come_first(settings) -> None:
    unsure = RevisionFactory(confidence=0.2)
    sure = RevisionFactory(confidence=0.9)

    assert task_priority(unsure) > task_priority(sure)
    settings.LABELING_PRIORITY = "fifo"
    assert task_priority(unsure) == task_priority(sure) == 0


@pytest.mark.slow
def test_a_draft_is_stored_with_its_measures_and_opens_a_task(tmp_path: Path) -> None:
    speaker = ConsentRecordFactory().speaker
    prompt = Prompt.objects.create(campaign=speaker.campaign, text="turn on the television")
    recording = ready_recording(speaker, "turn on the television", tmp_path, prompt=prompt)

    [draft] = recording_pretranscribe(recording_id=recording.pk)

    assert draft.number == 1 and draft.kind == TranscriptRevision.Kind.ASR_DRAFT
    assert "television" in draft.text.lower()
    assert draft.model_name == "tiny.en" and draft.engine == "faster-whisper"
    assert "ctranslate2" in draft.engine_version
    assert 0 < draft.confidence <= 1 and draft.decode_seconds > 0
    assert draft.prompt_wer is not None and draft.prompt_wer < 0.5, draft.text
    assert draft.segments[0]["words"]
    task = Task.objects.get(recording=recording)
    assert task.priority == task_priority(draft)
    recording.refresh_from_db()
    assert recording.asr_status == Recording.AsrStatus.DONE


@pytest.mark.slow
def test_one_run_drafts_waiting_neighbours_in_a_batch_and_reruns_add_nothing(
    tmp_path: Path,
) -> None:
    speaker = ConsentRecordFactory().speaker
    texts = ["open the movie app", "mute the sound", "switch to channel eleven"]
    recordings = [ready_recording(speaker, text, tmp_path) for text in texts]

    drafts = recording_pretranscribe(recording_id=recordings[0].pk)

    assert sorted(d.recording_id for d in drafts) == sorted(r.pk for r in recordings)
    for recording in recordings:
        assert recording_pretranscribe(recording_id=recording.pk) == []
        assert recording.revisions.count() == 1
    assert Task.objects.count() == 3


@pytest.mark.slow
def test_a_clip_that_cannot_be_read_fails_alone_and_its_batch_mates_get_drafts(
    tmp_path: Path,
) -> None:
    speaker = ConsentRecordFactory().speaker
    broken, *healthy = [
        ready_recording(speaker, text, tmp_path)
        for text in ["play the news", "mute the sound", "open the movie app"]
    ]
    Path(broken.normalised_file.path).unlink()  # storage lost the derived file

    drafts = recording_pretranscribe(recording_id=healthy[0].pk)

    assert sorted(d.recording_id for d in drafts) == sorted(r.pk for r in healthy)
    broken.refresh_from_db()
    assert broken.asr_status == Recording.AsrStatus.FAILED
    assert broken.normalised_file.name in broken.asr_error
    assert broken.revisions.count() == 0
    assert {d.source for d in drafts} == {TranscriptRevision.Source.ASR}


@pytest.mark.slow
def test_a_fresh_claim_by_another_worker_is_respected(tmp_path: Path) -> None:
    recording = ready_recording(ConsentRecordFactory().speaker, "play the news", tmp_path)
    Recording.objects.filter(pk=recording.pk).update(
        asr_status=Recording.AsrStatus.RUNNING, asr_claimed_at=timezone.now()
    )

    with pytest.raises(DraftInProgress):
        recording_pretranscribe(recording_id=recording.pk)


@pytest.mark.slow
def test_an_unknown_model_fails_the_recording_with_a_readable_reason(tmp_path: Path) -> None:
    recording = ready_recording(ConsentRecordFactory().speaker, "play the news", tmp_path)

    with pytest.raises(AsrError):
        recording_pretranscribe(recording_id=recording.pk, model="large-v9")

    recording.refresh_from_db()
    assert recording.asr_status == Recording.AsrStatus.FAILED
    assert "large-v9" in recording.asr_error
    assert recording.revisions.count() == 0


@pytest.mark.slow
def test_retranscribing_with_another_model_keeps_the_old_draft(tmp_path: Path) -> None:
    recording = ready_recording(ConsentRecordFactory().speaker, "turn the volume up", tmp_path)
    recording_pretranscribe(recording_id=recording.pk)
    out = StringIO()

    call_command(
        "asr_retranscribe", str(recording.campaign_id), "--model", "base", "--inline", stdout=out
    )
    call_command(
        "asr_retranscribe", str(recording.campaign_id), "--model", "base", "--inline", stdout=out
    )

    kinds = list(recording.revisions.values_list("number", "model_name"))
    assert kinds == [(1, "tiny.en"), (2, "base")]
    assert "1/1 drafted" in out.getvalue()
    assert "0 recordings to draft" in out.getvalue()


def test_retranscribe_names_an_unknown_campaign() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no campaign with id 999999"):
        call_command("asr_retranscribe", "999999", "--inline")
