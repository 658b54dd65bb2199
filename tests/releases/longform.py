"""Building blocks for long-form release tests: a real source, its segments, approved texts.

The source is made from espeak-ng speech (two voices) resampled by ffmpeg to 16 kHz mono,
joined with pauses and a faint, seeded noise floor, so no sample is zero by chance and a cut
from the wrong place never matches.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import Recording
from labelhub.recordings.segments import segment_new
from tests.audio_samples import speak
from tests.factories import CampaignFactory, ConsentRecordFactory, RecordingFactory
from tests.releases.helpers import approve

RATE = 16000
# (voice, text) spoken in turn, with a pause of PAUSE seconds before each.
TURNS = [
    ("en-us", "turn on the television"),
    ("en-gb", "what is the weather like today"),
    ("en-us", "play some quiet music please"),
    ("en-gb", "set an alarm for seven"),
]
PAUSE = 0.7


@dataclass
class LongForm:
    campaign: Campaign
    source: Recording
    samples: np.ndarray  # the source's normalised samples, int16
    segments: list[Recording]  # one per turn, each approved with its turn's text
    texts: dict[int, str]  # segment pk -> final text


def source_samples(tmp_path: Path) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The source's 16 kHz samples and each turn's (start, end) in seconds."""
    pieces, spans, position = [], [], 0
    rng = np.random.default_rng(12)
    for number, (voice, text) in enumerate(TURNS):
        spoken = speak(text, tmp_path / f"turn{number}.wav", voice=voice)
        resampled = tmp_path / f"turn{number}-16k.wav"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(spoken), "-ar", str(RATE), "-ac", "1",
             "-c:a", "pcm_s16le", str(resampled)],
            check=True,
        )  # fmt: skip
        speech, rate = soundfile.read(resampled, dtype="int16")
        assert rate == RATE
        pause = np.zeros(int(PAUSE * RATE), dtype=np.int16)
        pieces += [pause, speech]
        start = position + len(pause)
        spans.append((start / RATE, (start + len(speech)) / RATE))
        position = start + len(speech)
    pieces.append(np.zeros(int(PAUSE * RATE), dtype=np.int16))
    samples = np.concatenate(pieces).astype(np.int32)
    noise = rng.integers(1, 40, size=len(samples)) * rng.choice([-1, 1], size=len(samples))
    return np.clip(samples + noise, -32768, 32767).astype(np.int16), spans


def wav_bytes(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def long_form(tmp_path: Path, *, campaign: Campaign | None = None) -> LongForm:
    """A ready source, two consenting speakers taking turns, and one approved segment per turn.

    Each segment's bounds are the turn's, moved off whole samples (as a dragged boundary is),
    so the one rounding rule is exercised.
    """
    campaign = campaign or CampaignFactory(collection_mode="long_form")
    speakers = [
        ConsentRecordFactory(speaker__campaign=campaign, speaker__gender=gender).speaker
        for gender in ("female", "male")
    ]
    samples, spans = source_samples(tmp_path)
    source = RecordingFactory(
        kind=Recording.Kind.SOURCE,
        speaker=speakers[0],
        normalised_file__data=wav_bytes(samples),
        duration_seconds=len(samples) / RATE,
        sample_rate=RATE,
        channels=1,
    )
    segments, texts = [], {}
    for number, ((_voice, text), (start, end)) in enumerate(zip(TURNS, spans, strict=True)):
        segment = segment_new(
            source=source,
            start_seconds=start - 0.10037,
            end_seconds=end + 0.12341,
            speaker=speakers[number % 2],
        )
        approve(segment, text, draft=text.upper())
        segments.append(segment)
        texts[segment.pk] = text
    return LongForm(campaign, source, samples, segments, texts)
