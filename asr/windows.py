"""Whisper's 30 s decoding windows holding one or more clips, and turning decoded windows back
into per-clip results. No CTranslate2 here: the web process may import this module."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .base import (
    COMPRESSION_RATIO_THRESHOLD,
    LOGPROB_THRESHOLD,
    NO_SPEECH_THRESHOLD,
    Segment,
    Word,
    compression_ratio,
    max_new_tokens_for,
)

# Peak level below which a clip carries no signal at all (-60 dBFS). Whisper still "hears"
# something in digital silence ("You", "Thank you.") with a log-prob too good to be skipped.
SILENCE_PEAK = 10 ** (-60 / 20)


def no_signal(audio: np.ndarray) -> bool:
    return audio.size == 0 or float(np.max(np.abs(audio))) < SILENCE_PEAK


@dataclass
class Decoded:
    """One clip's decoding, before engine labels and quality assessment are added."""

    text: str
    segments: tuple[Segment, ...]
    language: str
    language_probability: float
    duration: float
    seconds: float
    limit_hit: bool
    budget_cut: bool = False  # its temperature fallback was stopped by the decoding budget
    sampled: bool = False  # its text is a temperature fallback's sample

    @classmethod
    def nothing(cls, language: str | None, duration: float, seconds: float = 0.0) -> Decoded:
        """The result for audio without signal: no text, nothing decoded."""
        return cls("", (), language or "", 1.0 if language else 0.0, duration, seconds, False)


@dataclass(eq=False)
class Clip:
    index: int
    path: Path
    mel: np.ndarray  # the clip's own log-mel frames, exactly as the per-file path sees them
    duration: float  # of the audio, as the per-file path measures it
    language: str | None
    language_probability: float = 1.0
    seconds: float = 0.0  # decode time charged to this clip so far
    silent: bool = False  # no signal at all: nothing to decode
    spent: int = 0  # fallback cost spent decoding it alone (whisper_internals.attempt_cost)

    @property
    def frames(self) -> int:
        return int(self.mel.shape[-1])

    def speech_after(self, frame: int) -> bool:
        """Whether anything within 40 dB of the clip's peak follows `frame` (log-mel units
        are log10 power / 4, so 40 dB is 1.0): a clip that stops there is complete."""
        if frame <= 0:
            return True
        rest = self.mel[:, frame:]
        return rest.size > 0 and float(rest.max()) > float(self.mel.max()) - 1.0


@dataclass(eq=False)
class Window:
    FRAMES = 3000  # 30 s of 10 ms mel frames: the input size Whisper was trained on
    GAP = 100  # 1 s between packed clips: a pause Whisper reliably ends a segment at
    # Packed clips end this far before the window does: Whisper tends to leave speech near a
    # window's end to the next window, which a packed window does not have.
    TAIL = 300
    SECONDS_PER_FRAME = 0.01

    clips: list[Clip]
    offsets: list[int] = field(default_factory=lambda: [0])

    @classmethod
    def pack(cls, clips: Iterable[Clip]) -> list[Window]:
        """First-fit decreasing: longest clips first, each into the first window with room."""
        windows: list[Window] = []
        for clip in sorted(clips, key=lambda c: -c.frames):
            room = (w for w in windows if w.fits(clip) and w.language == clip.language)
            target = next(room, None)
            if target is None:
                windows.append(cls([clip]))
            else:
                target.add(clip)
        return windows

    @property
    def packed(self) -> bool:
        return len(self.clips) > 1

    @property
    def frames(self) -> int:
        return self.offsets[-1] + self.clips[-1].frames

    @property
    def duration(self) -> float:
        return sum(c.duration for c in self.clips)

    @property
    def budget(self) -> int:
        return max_new_tokens_for(self.duration)

    @property
    def language(self) -> str | None:
        return self.clips[0].language

    def fits(self, clip: Clip) -> bool:
        return self.frames + self.GAP + clip.frames <= self.FRAMES - self.TAIL

    def add(self, clip: Clip) -> None:
        self.offsets.append(self.frames + self.GAP)
        self.clips.append(clip)

    def sized(self, floor: int) -> int:
        """The mel frames to encode this window in: its content and TAIL frames of padding, at
        least `floor` (even, as the encoder halves it) and at most FRAMES. floor 0: FRAMES, as
        Whisper was trained. CTranslate2 encodes shorter inputs; timestamps count from the
        window's start either way, so they still map to the same clip."""
        if floor <= 0:
            return self.FRAMES
        wanted = max(self.frames + self.TAIL, floor)
        return min(self.FRAMES, wanted + wanted % 2)

    def features(self, frames: int = FRAMES) -> np.ndarray:
        """The window's log-mel input, `frames` long (at least its content)."""
        # Zeros are what faster-whisper pads a short clip's mel frames with, too.
        out = np.zeros((self.clips[0].mel.shape[0], max(frames, self.frames)), dtype=np.float32)
        for clip, offset in zip(self.clips, self.offsets, strict=True):
            out[:, offset : offset + clip.frames] = clip.mel
        return out

    def owner(self, start: float, end: float) -> int | None:
        """The clip a word at start..end (window seconds) belongs to. None for a word over a
        whole gap (text Whisper shifted from one clip onto another) or in the padding after
        the last clip, where only a hallucination can be."""
        middle = (start + end) / 2
        for k, (clip, offset) in enumerate(zip(self.clips, self.offsets, strict=True)):
            clip_end = (offset + clip.frames) * self.SECONDS_PER_FRAME
            if start < clip_end and end > clip_end + self.GAP * self.SECONDS_PER_FRAME:
                return None
            if middle < clip_end + self.GAP / 2 * self.SECONDS_PER_FRAME:
                return k
        return None


@dataclass
class Attempt:
    """One decoding of a window at one temperature, with faster-whisper's quality tests."""

    tokens: list[int]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    budget: int
    temperature: float = 0.0

    @property
    def limit_hit(self) -> bool:
        return len(self.tokens) >= self.budget

    @property
    def overrun(self) -> bool:
        # The batch's max_length allowed more than this window's own budget.
        return len(self.tokens) > self.budget

    @property
    def silent(self) -> bool:
        return self.no_speech_prob > NO_SPEECH_THRESHOLD and self.avg_logprob <= LOGPROB_THRESHOLD

    @property
    def needs_fallback(self) -> bool:
        failed = (
            self.compression_ratio > COMPRESSION_RATIO_THRESHOLD
            or self.avg_logprob < LOGPROB_THRESHOLD
        )
        return failed and not self.silent


@dataclass(eq=False)
class Outcome:
    """A decoded window on its way to per-clip results."""

    window: Window
    tokenizer: Any  # faster_whisper.tokenizer.Tokenizer
    encoded: int = Window.FRAMES  # the mel frames the window was encoded in
    attempt: Attempt | None = None  # the decoding kept for this window
    segments: list[dict[str, Any]] = field(default_factory=list)
    seek: int = 0
    single_ending: bool = True
    aligned: bool = False
    skipped: bool = False  # per-file drops a window that is no-speech with a poor log-prob
    budget_cut: bool = False  # the fallback budget stopped its temperature fallback
    tokens: int = 0  # decoded over all its attempts
    fallbacks: int = 0  # of its attempts, those at a temperature above 0
    done: dict[int, Decoded] = field(default_factory=dict)
    retry: list[Clip] = field(default_factory=list)  # clips to decode again, each alone
    per_file: list[Clip] = field(default_factory=list)  # clips for the per-file path

    @property
    def chosen(self) -> Attempt:
        """The decoding kept for this window; only asked for once it was decoded."""
        if self.attempt is None:
            raise AssertionError("the window has not been decoded")
        return self.attempt

    @property
    def settled(self) -> bool:
        return bool(self.done or self.retry or self.per_file)

    def reject(self) -> None:
        if self.window.packed:
            self.retry = list(self.window.clips)
        else:
            self.per_file = list(self.window.clips)


def resume_frame(outcome: Outcome, frames_per_second: int) -> int:
    """Where the per-file path would start its next window; past the content when done."""
    if outcome.skipped or outcome.single_ending:
        return outcome.window.frames
    seek = outcome.seek
    if outcome.aligned:
        ends = [w["end"] for s in outcome.segments for w in s.get("words") or ()]
        last = ends[-1] if ends else (outcome.segments[-1]["end"] if outcome.segments else None)
        if last is not None and last > 0:
            seek = round(last * frames_per_second)
    return seek


def finish_single(outcome: Outcome, word_timestamps: bool) -> None:
    clip, attempt = outcome.window.clips[0], outcome.chosen
    kept = [] if outcome.skipped else _kept(outcome)
    segments = tuple(
        segment_from(
            s["start"],
            s["end"],
            text,
            attempt.avg_logprob,
            attempt.no_speech_prob,
            _words(s) if word_timestamps else (),
        )
        for text, s in kept
    )
    decoded = _decoded(clip, kept, segments, attempt.limit_hit)
    sampled = attempt.temperature > 0
    outcome.done[clip.index] = replace(decoded, budget_cut=outcome.budget_cut, sampled=sampled)


def finish_packed(outcome: Outcome, word_timestamps: bool, resume: int) -> None:
    """Splits a packed window among its clips by where each word lies. Clips not wholly before
    `resume` (where Whisper stopped short of the window's end) are decoded again, alone."""
    window = outcome.window
    owned = _owned(outcome)
    if owned is None:
        outcome.reject()  # a word over a gap or in the padding, or a segment without words
        return
    everything = [seg for segments in owned.values() for seg in segments]
    for k, clip in enumerate(window.clips):
        shift = window.offsets[k] * window.SECONDS_PER_FRAME
        kept = [_shifted(seg, shift, clip.duration) for seg in owned[k]]
        reached = not clip.speech_after(resume - window.offsets[k])
        if not reached or not kept or any(s["start"] >= s["end"] for s in kept):
            outcome.retry.append(clip)  # cut short, silent, skipped by the model, oddly timed
            continue
        # The window's log-prob (the per-file scale) moved by how much less or more sure the
        # alignment pass was of this clip's words than of the whole window's.
        spread = _words_logprob(kept) - _words_logprob(everything)
        avg_logprob = outcome.chosen.avg_logprob + spread
        segments = tuple(
            segment_from(
                s["start"],
                s["end"],
                s["text"],
                avg_logprob,
                outcome.chosen.no_speech_prob,
                _words(s) if word_timestamps else (),
            )
            for s in kept
        )
        pairs = [(s["text"], s) for s in kept]
        outcome.done[clip.index] = _decoded(clip, pairs, segments, limit_hit=False)


def _owned(outcome: Outcome) -> dict[int, list[dict[str, Any]]] | None:
    """Each clip's segments, cut where a segment's words pass from one clip to the next
    (Whisper need not start a segment at a gap, and without timestamps it never does)."""
    window = outcome.window
    owned: dict[int, list[dict[str, Any]]] = {k: [] for k in range(len(window.clips))}
    for _, seg in _kept(outcome):
        words = seg.get("words") or ()
        found = [window.owner(w["start"], w["end"]) for w in words]
        owners = [k for k in found if k is not None]
        if not words or len(owners) < len(found):
            return None
        for k in dict.fromkeys(owners):
            run = [w for w, o in zip(words, owners, strict=True) if o == k]
            text = "".join(w["word"] for w in run)
            owned[k].append(
                {"start": run[0]["start"], "end": run[-1]["end"], "text": text, "words": run}
            )
    return owned


def segment_from(
    start: float,
    end: float,
    text: str,
    avg_logprob: float,
    no_speech_prob: float,
    words: Iterable[tuple[float, float, str, float]],
) -> Segment:
    text = text.strip()
    # float(): the alignment yields NumPy scalars, which should not leak into stored results.
    return Segment(
        start=float(start),
        end=float(end),
        text=text,
        avg_logprob=float(avg_logprob),
        no_speech_prob=float(no_speech_prob),
        words=tuple(
            Word(start=float(s), end=float(e), text=w.strip(), probability=float(p))
            for s, e, w, p in words
        ),
        compression_ratio=compression_ratio(text),
    )


def _kept(outcome: Outcome) -> list[tuple[str, dict[str, Any]]]:
    # As faster-whisper: zero-length or blank segments are dropped.
    decoded = ((outcome.tokenizer.decode(s["tokens"]), s) for s in outcome.segments)
    return [(text, s) for text, s in decoded if s["start"] != s["end"] and text.strip()]


def _decoded(
    clip: Clip,
    kept: list[tuple[str, dict[str, Any]]],
    segments: tuple[Segment, ...],
    limit_hit: bool,
) -> Decoded:
    return Decoded(
        # Whisper puts the inter-word space at the start of each segment (none for CJK).
        text="".join(text for text, _ in kept).strip(),
        segments=segments,
        language=clip.language or "",
        language_probability=clip.language_probability,
        duration=clip.duration,
        seconds=clip.seconds,
        limit_hit=limit_hit,
    )


def _words(seg: dict[str, Any]) -> list[tuple[float, float, str, float]]:
    return [(w["start"], w["end"], w["word"], w["probability"]) for w in seg.get("words") or ()]


def _words_logprob(segments: list[dict[str, Any]]) -> float:
    probabilities = [max(w["probability"], 1e-6) for s in segments for w in s["words"]]
    return sum(math.log(p) for p in probabilities) / len(probabilities)


def _shifted(seg: dict[str, Any], shift: float, duration: float) -> dict[str, Any]:
    def clamp(t: float) -> float:
        return round(min(max(t - shift, 0.0), duration), 3)

    words = [{**w, "start": clamp(w["start"]), "end": clamp(w["end"])} for w in seg["words"]]
    return {**seg, "start": clamp(seg["start"]), "end": clamp(seg["end"]), "words": words}
