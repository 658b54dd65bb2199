"""A real long-form source with segments, drafts and tasks, for segment tests and browser tests.

The source's normalised WAV is real 16 kHz mono PCM: each segment's text is spoken by espeak-ng
inside its span, with digital silence between spans, and its peaks are computed by the same code
ingest uses. Each segment is saved through segment_new and gets an ASR draft (words timed
RELATIVE to the segment start, as the segmentation worker stores them) and an open Task.

Stable signature (other helpers import it):
    make_source_with_segments(*, campaign=None, spans=..., texts=None, duration=None,
                              speakers=None, confidence=0.8) -> (source, segments)
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from django.db import transaction

from labelhub.campaigns.models import Campaign
from labelhub.labeling.draft_common import task_priority
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.recordings.peaks import peaks_attach
from labelhub.recordings.segments import segment_new
from labelhub.speakers.models import Speaker
from labelhub.storage import store_file
from tests.factories import CampaignFactory, ConsentRecordFactory

SAMPLE_RATE = 16000
DEFAULT_SPANS = ((0.5, 4.0), (4.5, 8.0), (8.5, 12.0))
DEFAULT_TEXTS = (
    "turn on the kitchen lights",
    "set the thermostat to twenty degrees",
    "play some quiet music please",
    "open the living room curtains",
    "what is the weather tomorrow",
    "call my sister at six",
)


def long_form_campaign(**fields) -> Campaign:
    return CampaignFactory(collection_mode=Campaign.CollectionMode.LONG_FORM, **fields)


def consented_speaker_of(campaign: Campaign, **fields) -> Speaker:
    """A speaker of the campaign with an active consent (what a segment's speaker must be)."""
    return ConsentRecordFactory(speaker__campaign=campaign, **fields).speaker


def _spoken(text: str, folder: Path, index: int) -> np.ndarray:
    """espeak-ng's voice for `text`, resampled by ffmpeg to 16 kHz mono int16 samples."""
    raw, wav = folder / f"say{index}.wav", folder / f"say{index}-16k.wav"
    voices = ("en-us", "en-gb", "en-us+f3")
    for command in (
        ["espeak-ng", "-v", voices[index % len(voices)], "-w", str(raw), "--", text],
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(raw)]
        + ["-ar", str(SAMPLE_RATE), "-ac", "1", "-c:a", "pcm_s16le", str(wav)],
    ):
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    with wave.open(str(wav), "rb") as audio:
        return np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")


def _write_source_wav(path: Path, duration: float, spans, texts, folder: Path) -> None:
    samples = np.zeros(round(duration * SAMPLE_RATE), dtype=np.int16)
    for index, ((start, end), text) in enumerate(zip(spans, texts, strict=True)):
        first, stop = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
        voice = _spoken(text or "hello", folder, index)[: stop - first]
        samples[first : first + len(voice)] = voice
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())


def _draft_segments(text: str, length: float) -> list[dict]:
    """Whisper-shaped JSON: one segment of evenly timed words, relative to the segment start."""
    words = text.split()
    step = length / max(len(words), 1)
    timed = [
        {
            "start": round(i * step, 3),
            "end": round((i + 1) * step, 3),
            "text": (" " if i else "") + word,
            "probability": 0.3 if i == 0 else 0.95,
        }
        for i, word in enumerate(words)
    ]
    return [{"start": 0.0, "end": round(length, 3), "text": text, "words": timed}]


def make_source(
    *, campaign: Campaign | None = None, duration: float, spans=(), texts=(), speaker=None
) -> Recording:
    """A READY long-form source (no segments): real WAV, raw copy, peaks; ASR done, no task."""
    campaign = campaign or long_form_campaign()
    speaker = speaker or consented_speaker_of(campaign)
    source = Recording(
        kind=Recording.Kind.SOURCE,
        campaign=campaign,
        speaker=speaker,
        raw_sha256="1" * 64,
        raw_size_bytes=0,
        original_filename="session.wav",
        original_suffix=".wav",
        format_name="wav",
        codec="pcm_s16le",
        status=Recording.Status.READY,
        asr_status=Recording.AsrStatus.DONE,
        asr_progress=100,
        sample_rate=SAMPLE_RATE,
        channels=1,
        duration_seconds=round(duration, 3),
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wav = folder / "source.wav"
        _write_source_wav(wav, duration, spans, texts, folder)
        source.raw_size_bytes = wav.stat().st_size
        source.raw_file.name = store_file(path=wav, name=f"raw/{campaign.pk}/{source.uid}.wav")
        source.normalised_file.name = store_file(
            path=wav, name=f"normalised/{campaign.pk}/{source.uid}.wav"
        )
        peaks_attach(recording=source, wav_path=wav)
    source.save()
    return source


@transaction.atomic
def add_segment(
    source: Recording,
    start: float,
    end: float,
    *,
    text: str = "",
    speaker: Speaker | None = None,
    confidence: float | None = 0.8,
) -> Recording:
    """One segment of `source` with its ASR draft and open task, as segmentation leaves it."""
    segment = segment_new(source=source, start_seconds=start, end_seconds=end, speaker=speaker)
    draft = TranscriptRevision.objects.create(
        recording=segment,
        number=1,
        kind=TranscriptRevision.Kind.ASR_DRAFT,
        source=TranscriptRevision.Source.ASR,
        text=text,
        segments=_draft_segments(text, end - start) if text else [],
        language="en",
        engine="test",
        model_name="espeak-draft",
        confidence=confidence,
        low_confidence=confidence is not None and confidence < 0.5,
        flags=[] if text else ["no_words"],
    )
    Recording.objects.filter(pk=segment.pk).update(asr_status=Recording.AsrStatus.DONE)
    segment.asr_status = Recording.AsrStatus.DONE
    Task.objects.create(recording=segment, priority=task_priority(draft))
    return segment


def make_source_with_segments(
    *,
    campaign: Campaign | None = None,
    spans: Sequence[tuple[float, float]] = DEFAULT_SPANS,
    texts: Sequence[str] | None = None,
    duration: float | None = None,
    speakers: Sequence[Speaker | None] | None = None,
    confidence: float | None = 0.8,
) -> tuple[Recording, list[Recording]]:
    """A real source whose spans are spoken segments, each with a draft and an open task.

    `texts` default to short home-assistant sentences; `duration` to the last span's end plus
    one second; `speakers` (one per span, None = the source's speaker) must be consented
    speakers of the campaign. Returns (source, segments in time order).
    """
    spans = [(float(a), float(b)) for a, b in spans]
    texts = (
        list(texts)
        if texts is not None
        else [DEFAULT_TEXTS[i % len(DEFAULT_TEXTS)] for i in range(len(spans))]
    )
    duration = duration if duration is not None else (spans[-1][1] + 1.0 if spans else 5.0)
    source = make_source(campaign=campaign, duration=duration, spans=spans, texts=texts)
    speakers = list(speakers) if speakers is not None else [None] * len(spans)
    segments = [
        add_segment(source, start, end, text=text, speaker=who, confidence=confidence)
        for (start, end), text, who in zip(spans, texts, speakers, strict=True)
    ]
    return source, segments
