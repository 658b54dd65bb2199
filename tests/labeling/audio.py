"""Real recordings for labeling tests: espeak speech, the real upload and ingest services, and a
Whisper-shaped draft stored through the ASR pipeline's own draft_store (no model needed)."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from asr.base import Segment, Transcription, Word
from labelhub.labeling.drafts import draft_store
from labelhub.labeling.models import TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_ingest, recording_upload
from tests.audio_samples import speak

TEN_SECONDS = (
    "please turn on the living room lights and set the thermostat to twenty degrees, "
    "then play some quiet music in the kitchen until dinner is ready"
)


def ingested_recording(speaker, folder: Path, *, text: str = "turn on the kitchen lights"):
    wav = speak(text, folder / f"{abs(hash(text))}.wav")
    upload = SimpleUploadedFile("take.wav", wav.read_bytes())
    recording = recording_upload(speaker=speaker, uploaded_file=upload, uploaded_by=None)
    return recording_ingest(recording_id=recording.pk)


def store_draft(recording: Recording, text: str) -> TranscriptRevision:
    """A draft whose words share the clip's length evenly; the first word is low-confidence."""
    words = text.split()
    step = (recording.duration_seconds or 1.0) / max(len(words), 1)
    timed = tuple(
        Word(start=i * step, end=(i + 1) * step, text=w, probability=0.3 if i == 0 else 0.95)
        for i, w in enumerate(words)
    )
    half = max(len(timed) // 2, 1)
    segments = (
        (
            Segment(
                timed[0].start,
                timed[half - 1].end,
                " ".join(words[:half]),
                -0.2,
                0.01,
                timed[:half],
            ),
            Segment(
                timed[half].start, timed[-1].end, " ".join(words[half:]), -0.2, 0.01, timed[half:]
            ),
        )
        if len(timed) > 1
        else (Segment(0.0, step, text, -0.2, 0.01, timed),)
    )
    result = Transcription(
        text=text,
        language="en",
        language_probability=0.99,
        duration=recording.duration_seconds or 0.0,
        segments=segments,
        engine="test",
        model="espeak-draft",
        confidence=0.8,
    )
    return draft_store(recording_id=recording.pk, result=result)
