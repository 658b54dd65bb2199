"""Engine-neutral transcription types shared by the ASR workers and the web app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class AsrError(Exception):
    """A transcription could not be produced; the message is shown to operators."""


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: tuple[Word, ...]


def _r(value: float) -> float:
    # Millisecond precision is plenty for timings and keeps stored JSON small.
    return round(float(value), 3)


@dataclass(frozen=True)
class Transcription:
    text: str
    language: str
    language_probability: float
    duration: float
    segments: tuple[Segment, ...]
    engine: str
    model: str

    def segments_as_json(self) -> list[dict]:
        return [
            {
                "start": _r(s.start),
                "end": _r(s.end),
                "text": s.text,
                "avg_logprob": _r(s.avg_logprob),
                "no_speech_prob": _r(s.no_speech_prob),
                "words": [
                    {
                        "start": _r(w.start),
                        "end": _r(w.end),
                        "text": w.text,
                        "probability": _r(w.probability),
                    }
                    for w in s.words
                ],
            }
            for s in self.segments
        ]


class AsrEngine(Protocol):
    name: str
    model: str

    def transcribe(
        self, audio_path: str | Path, *, language: str | None = None
    ) -> Transcription: ...
