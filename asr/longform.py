"""Long-form drafts: a whole source through faster-whisper's BatchedInferencePipeline, cut into
segments that each carry their own draft, confidence and flags. No Django here.

The speech VAD found (speech.py) is packed into clips of at most 30 s and decoded a batch of
clips at a time, one batch per CTranslate2 replica at once, so only the batches in flight are
in memory. Every clip is placed at a multiple of 30 s of the pipeline's input, so the
pipeline's own time offsets name the clip exactly. The words then go to the cut planner
(cuts.py); each segment's draft is the words inside it, with times relative to its start, and
the same guards as a clip's draft (base.assess): token cap, repetition, no-speech, confidence.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import (
    COMPRESSION_RATIO_THRESHOLD,
    LOGPROB_THRESHOLD,
    NO_SPEECH_THRESHOLD,
    AsrError,
    DecodeOptions,
    Segment,
    Transcription,
    Word,
    assess,
    compression_ratio,
    max_new_tokens_for,
)
from .cuts import Bounds, PlannedSegment, TimedWord, plan_cuts
from .speech import (
    CLIP_SECONDS,
    SAMPLE_RATE,
    Region,
    clips_for,
    read_span,
    speech_regions,
    wav_frames,
)

if TYPE_CHECKING:
    from .faster import FasterWhisperEngine

# Share of the progress bar for the VAD pass; decoding takes nearly all the rest.
VAD_SHARE = 0.1
DECODE_SHARE = 0.88
# Clips per batch on CPU. CTranslate2 keeps every beam's cross-attention keys and values, so
# memory grows with batch x beam: tiny.en, beam 5, 2 replicas, a 10-minute source peaked at
# 1581 MB RSS with 8 clips a batch, 1022 MB with 4 and 682 MB with 2; 4 was the fastest.
CPU_BATCH = 4
# On segments with speech VAD heard but no draft word covers (see cuts.UNCOVERED_MIN).
UNTRANSCRIBED = "untranscribed_speech"


@dataclass(frozen=True)
class SegmentDraft:
    start: float
    end: float
    transcription: Transcription  # times relative to `start`, as a clip's draft has them


@dataclass(frozen=True)
class SourceDraft:
    duration: float
    language: str
    language_probability: float
    speech_seconds: float  # what VAD found; 0 means the source has no speech at all
    clips: int
    segments: tuple[SegmentDraft, ...]
    seconds: float  # wall time of VAD, decoding and planning


@dataclass
class _Decoded:
    """One clip's decoding."""

    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    limit_hit: bool = False
    words: list[TimedWord] = field(default_factory=list)


def source_draft(
    engine: FasterWhisperEngine,
    path: Path,
    *,
    options: DecodeOptions,
    bounds: Bounds,
    batch_size: int = 8,
    progress: Callable[[float], None] | None = None,
) -> SourceDraft:
    """Segments and their drafts for a normalised source WAV. `progress` (0..1) is called from
    this thread only, after each window of VAD and each batch of clips."""
    started = time.perf_counter()
    report = progress or (lambda _fraction: None)
    duration = wav_frames(path) / SAMPLE_RATE
    regions = speech_regions(path, progress=lambda f: report(VAD_SHARE * f))
    speech = sum(end - start for start, end in regions)
    if not regions:
        return SourceDraft(duration, "", 0.0, 0.0, 0, (), time.perf_counter() - started)
    clips = clips_for(regions, duration=duration)
    language, probability = _language(engine, path, clips[0], options)
    decoded = _decode(
        engine,
        path,
        clips,
        language,
        options,
        max(batch_size, 1),
        done=lambda n: report(VAD_SHARE + DECODE_SHARE * n / len(clips)),
    )
    words = [replace(w, ref=k) for k, clip in enumerate(decoded) for w in clip.words]
    planned = plan_cuts(regions=regions, words=words, duration=duration, bounds=bounds)
    seconds = time.perf_counter() - started
    spoken = sum(p.duration for p in planned) or 1.0
    segments = tuple(
        SegmentDraft(
            p.start,
            p.end,
            _draft(p, words, decoded, engine, language, probability, seconds * p.duration / spoken),
        )
        for p in planned
    )
    return SourceDraft(duration, language, probability, speech, len(clips), segments, seconds)


def _language(
    engine: FasterWhisperEngine, path: Path, first_clip: Region, options: DecodeOptions
) -> tuple[str, float]:
    """One language for the whole source: the campaign's, or detected on its first speech."""
    whisper = engine.whisper
    if engine.model.endswith(".en") or not whisper.model.is_multilingual:
        return "en", 1.0
    if options.language:
        return options.language.replace("_", "-").split("-")[0].lower(), 1.0
    try:
        language, probability, _all = whisper.detect_language(audio=read_span(path, *first_clip))
    except Exception as exc:
        raise AsrError(f"cannot detect the language of {path.name}: {exc}") from exc
    return language, float(probability)


def _decode(
    engine: FasterWhisperEngine,
    path: Path,
    clips: list[Region],
    language: str,
    options: DecodeOptions,
    batch_size: int,
    *,
    done: Callable[[int], None],
) -> list[_Decoded]:
    """Every clip's decoding, in order. Batches run one per replica at once; `done` is told
    the clips finished so far, from this thread (it may use the database)."""
    replicas = max(engine.replicas, 1)
    if getattr(engine.whisper.model, "device", "cpu") == "cpu":
        batch_size = min(batch_size, CPU_BATCH)
    # Smaller batches rather than a replica left idle: on CPU a batch costs about its size.
    size = max(1, min(batch_size, math.ceil(len(clips) / replicas)))
    batches = iter([clips[k : k + size] for k in range(0, len(clips), size)])
    decoded: list[_Decoded] = []
    pool = ThreadPoolExecutor(max_workers=replicas)
    try:
        # A bounded queue: only the batches in flight hold audio, and a time limit or an
        # error stops the work after them rather than after the whole source.
        pending = deque(
            pool.submit(_decode_batch, engine, path, batch, language, options)
            for batch in itertools.islice(batches, replicas + 1)
        )
        while pending:
            decoded.extend(pending.popleft().result())
            batch = next(batches, None)
            if batch is not None:
                pending.append(pool.submit(_decode_batch, engine, path, batch, language, options))
            done(len(decoded))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return decoded


def _decode_batch(
    engine: FasterWhisperEngine,
    path: Path,
    clips: list[Region],
    language: str,
    options: DecodeOptions,
) -> list[_Decoded]:
    from faster_whisper import BatchedInferencePipeline

    from .whisper_internals import ct2_max_length

    whisper = engine.whisper
    slot = round(CLIP_SECONDS * SAMPLE_RATE)
    audio = np.zeros(slot * len(clips), dtype=np.float32)
    stamps = []
    for k, (start, end) in enumerate(clips):
        samples = read_span(path, start, end)
        audio[k * slot : k * slot + len(samples)] = samples
        stamps.append(
            {"start": k * CLIP_SECONDS, "end": k * CLIP_SECONDS + len(samples) / SAMPLE_RATE}
        )
    budgets = [max_new_tokens_for(min(end - start, CLIP_SECONDS)) for start, end in clips]
    prompt = _prompt_length(whisper, language, options.initial_prompt)
    try:
        segments, _info = BatchedInferencePipeline(whisper).transcribe(
            audio,
            language=language,
            clip_timestamps=stamps,
            batch_size=len(clips),
            beam_size=options.beam_size,
            temperature=0.0,
            word_timestamps=True,
            without_timestamps=True,
            initial_prompt=options.initial_prompt or None,
            # CTranslate2 decodes about half of faster-whisper's max_new_tokens (batching.py).
            max_new_tokens=ct2_max_length(max(budgets), prompt) - prompt,
            compression_ratio_threshold=COMPRESSION_RATIO_THRESHOLD,
            log_prob_threshold=LOGPROB_THRESHOLD,
            no_speech_threshold=NO_SPEECH_THRESHOLD,
        )
        raw = list(segments)  # the generator does the decoding
    except Exception as exc:
        raise AsrError(f"cannot transcribe {path.name} with {engine.model!r}: {exc}") from exc
    decoded = [_Decoded() for _ in clips]
    frames_per_clip = CLIP_SECONDS * whisper.frames_per_second
    for segment in raw:
        k = round(segment.seek / frames_per_clip)
        clip = decoded[k]
        clip.avg_logprob, clip.no_speech_prob = segment.avg_logprob, segment.no_speech_prob
        clip.limit_hit = clip.limit_hit or len(segment.tokens) >= budgets[k]
        if segment.no_speech_prob > NO_SPEECH_THRESHOLD and segment.avg_logprob < LOGPROB_THRESHOLD:
            continue  # what Whisper's per-file decoding drops as silence ("Thank you.")
        start, end = clips[k]
        shift = start - k * CLIP_SECONDS
        for word in segment.words or ():
            w_start = min(max(word.start + shift, start), end)
            w_end = min(max(word.end + shift, w_start), end)
            clip.words.append(TimedWord(w_start, w_end, word.word, word.probability))
    return decoded


def _prompt_length(whisper: Any, language: str, initial_prompt: str | None) -> int:
    from faster_whisper.tokenizer import Tokenizer

    tokenizer = Tokenizer(
        whisper.hf_tokenizer, whisper.model.is_multilingual, task="transcribe", language=language
    )
    previous = tokenizer.encode(initial_prompt) if initial_prompt else []
    return len(whisper.get_prompt(tokenizer, previous, without_timestamps=True))


def _draft(
    planned: PlannedSegment,
    words: list[TimedWord],
    decoded: list[_Decoded],
    engine: FasterWhisperEngine,
    language: str,
    probability: float,
    seconds: float,
) -> Transcription:
    by_clip: dict[int, list[TimedWord]] = {}
    for k in planned.words:
        by_clip.setdefault(words[k].ref, []).append(words[k])
    parts = []
    for ref, inside in by_clip.items():
        clip = decoded[ref]
        relative = tuple(
            Word(w.start - planned.start, w.end - planned.start, w.text, w.probability)
            for w in inside
        )
        text = "".join(w.text for w in inside)
        # The clip's log-prob (Whisper's scale), moved by how much less or more sure the model
        # was of these words than of the whole clip's (as batching.py does for packed clips).
        spread = _mean_logprob(inside) - _mean_logprob(clip.words)
        parts.append(
            Segment(
                start=relative[0].start,
                end=relative[-1].end,
                text=text,
                avg_logprob=clip.avg_logprob + spread,
                no_speech_prob=clip.no_speech_prob,
                words=relative,
                compression_ratio=compression_ratio(text),
            )
        )
    transcription = assess(
        Transcription(
            text="".join(p.text for p in parts).strip(),
            language=language,
            language_probability=probability,
            duration=planned.duration,
            segments=tuple(parts),
            engine=engine.name,
            model=engine.model,
            engine_version=engine.version,
            decode_seconds=round(seconds, 3),
        ),
        token_limit_hit=any(decoded[ref].limit_hit for ref in by_clip),
    )
    if planned.wordless > 0:
        transcription = replace(transcription, flags=(*transcription.flags, UNTRANSCRIBED))
    return transcription


def _mean_logprob(words: list[TimedWord]) -> float:
    if not words:
        return 0.0
    return sum(math.log(max(w.probability, 1e-6)) for w in words) / len(words)
