"""Engine-neutral transcription types shared by the ASR workers and the web app."""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

# Below this a draft is flagged for people to look at first. Calibrated on real drafts
# (benchmarks/asr_calibration.py: Korean espeak with base, English espeak with tiny.en):
# drafts people rewrite entirely (edit rate >= 0.5) reached 0.58, good ones (<= 0.2) started
# at 0.62; the former threshold, 0.4 (exp(-1.0), Whisper's fallback log-prob), missed them.
LOW_CONFIDENCE = 0.6
# Per language where its drafts measured worse: every Korean espeak draft of the base model up
# to 0.74 was rewritten (CER vs reference >= 0.5; issue 15's unflagged garbage drafts scored
# 0.72 and 0.74). Synthetic speech only: re-measure on real recordings.
LOW_CONFIDENCE_BY_LANGUAGE = {"ko": 0.8}


def low_confidence_threshold(language: str) -> float:
    return LOW_CONFIDENCE_BY_LANGUAGE.get(language.split("-")[0].lower(), LOW_CONFIDENCE)


# Whisper's own fallback thresholds (openai/whisper transcribe.py): above 2.4 the text is
# repetitive enough to be a decoding loop; above 0.6 no-speech with a poor log-prob is silence.
COMPRESSION_RATIO_THRESHOLD = 2.4
NO_SPEECH_THRESHOLD = 0.6
LOGPROB_THRESHOLD = -1.0
# Fast read speech runs at about 5 tokens per second of audio; 10 leaves room for any language.
TOKENS_PER_SECOND = 10
MIN_NEW_TOKENS = 16
MAX_NEW_TOKENS = 224  # Whisper's decoder limit for one 30 s window (448 context, half for text)

# faster-whisper's batches by default: one clip per window, the window encoded at its content
# plus 3 s and never under this floor (ASR_PACK_CLIPS, ASR_WINDOW_FLOOR_SECONDS). Packing several
# clips into full 30 s windows cost about twice the CPU on the base model: the encoder's
# self-attention and the decoder's cross-attention run over ~550 instead of 1500 positions.
PACK_CLIPS = False
WINDOW_FLOOR_SECONDS = 10.0


class AsrError(Exception):
    """A transcription could not be produced; the message is shown to operators."""


@dataclass(frozen=True)
class DecodeOptions:
    language: str | None = None  # ISO 639-1 ("ko"); None asks the model to detect it
    beam_size: int = 5
    vad_filter: bool = False
    initial_prompt: str | None = None  # campaign vocabulary and hot words
    word_timestamps: bool = True


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
    compression_ratio: float = 0.0


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
    engine_version: str = ""
    decode_seconds: float = 0.0
    confidence: float = 0.0
    flags: tuple[str, ...] = field(default=())

    @property
    def low_confidence(self) -> bool:
        return bool(self.flags) or self.confidence < low_confidence_threshold(self.language)

    def segments_as_json(self) -> list[dict[str, Any]]:
        return [
            {
                "start": _r(s.start),
                "end": _r(s.end),
                "text": s.text,
                "avg_logprob": _r(s.avg_logprob),
                "no_speech_prob": _r(s.no_speech_prob),
                "compression_ratio": _r(s.compression_ratio),
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
    version: str

    def transcribe(
        self, audio_path: str | Path, *, options: DecodeOptions = DecodeOptions()
    ) -> Transcription: ...

    def transcribe_batch(
        self, audio_paths: Sequence[str | Path], *, options: DecodeOptions, batch_size: int = 8
    ) -> list[Transcription]: ...


def compression_ratio(text: str) -> float:
    encoded = text.encode("utf-8")
    return len(encoded) / len(zlib.compress(encoded)) if encoded else 0.0


def max_new_tokens_for(duration: float) -> int:
    """A token budget proportional to the audio, so a decoding loop stops early."""
    return max(MIN_NEW_TOKENS, min(MAX_NEW_TOKENS, math.ceil(duration * TOKENS_PER_SECOND)))


def assess(
    transcription: Transcription,
    *,
    token_limit_hit: bool = False,
    budget_cut: bool = False,
    sampled: bool = False,
) -> Transcription:
    """Adds confidence and quality flags, the same way for every engine. `budget_cut`: the
    decoding budget stopped Whisper's temperature fallback before a decoding passed its tests.
    `sampled`: the beam decoding failed Whisper's own tests and the text is a random sample
    from a fallback temperature, whatever its log-prob says."""
    flags = []
    text = transcription.text
    if not text.strip():
        flags.append("empty")
    if compression_ratio(text) > COMPRESSION_RATIO_THRESHOLD or _repeats(text):
        flags.append("repetition")
    if any(
        s.no_speech_prob > NO_SPEECH_THRESHOLD and s.avg_logprob < LOGPROB_THRESHOLD
        for s in transcription.segments
    ):
        flags.append("no_speech")
    if token_limit_hit:
        flags.append("token_limit")
    if budget_cut:
        flags.append("decode_budget")
    if sampled:
        flags.append("sampled")
    return replace(transcription, confidence=_confidence(transcription), flags=tuple(flags))


def _confidence(transcription: Transcription) -> float:
    # Duration-weighted mean of exp(avg_logprob): a per-token probability, 0..1.
    weighted = total = 0.0
    for segment in transcription.segments:
        span = max(segment.end - segment.start, 0.01)
        weighted += math.exp(min(segment.avg_logprob, 0.0)) * span
        total += span
    return round(weighted / total, 4) if total else 0.0


# "뇌다다다다다다", "R.T.R.T.R.T.": a unit of 1-4 characters, a letter among them (so not
# "1000000"), five times in a row within one word, where the word test below sees one word.
_CHARACTER_LOOP = re.compile(r"((?=\S{0,3}[^\W\d_])\S{1,4}?)\1{4,}")


def _repeats(text: str, *, times: int = 4) -> bool:
    # "러마, 러, 러, 러": the same short token again and again, even where zlib sees little.
    if _CHARACTER_LOOP.search(text):
        return True
    tokens = [t.strip(",.!?") for t in text.split()]
    run = 1
    for previous, current in zip(tokens, tokens[1:], strict=False):
        run = run + 1 if current and current == previous else 1
        if run >= times:
            return True
    return False
