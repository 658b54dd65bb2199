"""Ingest: decoding, normalisation, and stored reasons for audio that cannot be used."""

import wave
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_ingest, recording_upload
from tests.audio_samples import convert, silence, speak

pytestmark = pytest.mark.django_db


def uploaded(speaker, path: Path) -> Recording:
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    return recording_upload(speaker=speaker, uploaded_file=upload, uploaded_by=None)


def test_ingest_normalises_to_16k_mono_and_keeps_the_raw_file(consented_speaker, tmp_path):
    source = convert(speak("switch off the lights", tmp_path / "a.wav"), tmp_path / "a.mp3")
    recording = uploaded(consented_speaker, source)

    recording = recording_ingest(recording_id=recording.pk)

    assert recording.status == Recording.Status.READY
    assert Path(recording.raw_file.path).read_bytes() == source.read_bytes()
    with wave.open(recording.normalised_file.path) as normalised:
        assert normalised.getframerate() == 16000
        assert normalised.getnchannels() == 1
    assert recording.sample_rate == 22050  # espeak-ng speaks at 22.05 kHz; MP3 keeps it
    assert recording.duration_seconds == pytest.approx(1.3, abs=0.8)


def test_ingest_is_safe_to_run_twice(consented_speaker, tmp_path):
    recording = uploaded(consented_speaker, speak("volume up", tmp_path / "a.wav"))
    first = recording_ingest(recording_id=recording.pk)

    second = recording_ingest(recording_id=recording.pk)

    assert second.normalised_file.name == first.normalised_file.name
    assert second.ingested_at == first.ingested_at


def test_silent_audio_is_rejected_with_a_stored_reason(consented_speaker, tmp_path):
    recording = uploaded(consented_speaker, silence(tmp_path / "silence.wav", seconds=2))

    recording = recording_ingest(recording_id=recording.pk)

    recording.refresh_from_db()
    assert recording.status == Recording.Status.REJECTED
    assert recording.rejection_code == "silent"
    assert "silen" in recording.rejection_reason
    assert not recording.normalised_file
    assert Path(recording.raw_file.path).exists()  # the raw upload is evidence; it stays
