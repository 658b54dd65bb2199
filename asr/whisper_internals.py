"""Everything the batch path takes from faster-whisper beyond its public transcribe(): in one
place, so an upgrade is checked here (tests/workers/test_batching.py: parity with per-file
decoding; tests/workers/test_whisper_internals.py: the names and signatures below).

faster-whisper has no public way to decode many windows in one CTranslate2 call with its own
fallback, segment splitting and word timing, so the batch decoder reuses its pieces:

- ``WhisperModel.generate_with_fallback`` is overridden (LimitAwareWhisperModel) to honour
  max_new_tokens exactly, to record a decoding that ran into it, and to stop its temperature
  fallback once the window's decoding budget is spent (it is called one temperature at a time);
- ``WhisperModel._split_segments_by_timestamps`` (private) splits a window's tokens into
  segments, as transcribe() does (split_segments);
- ``WhisperModel.add_word_timestamps`` is called with a stand-in ``self`` (``_Aligned``) that
  has only ``frames_per_second`` and ``find_alignment``, replaying an alignment computed for a
  whole batch (add_words);
- ``faster_whisper.transcribe.get_suppressed_tokens`` (not exported) gives transcribe()'s
  suppressed tokens (suppressed_tokens);
- ``WhisperModel.find_alignment``, ``get_prompt``, ``encode``, and the attributes ``model``,
  ``feature_extractor``, ``hf_tokenizer``, ``frames_per_second`` and ``time_precision`` are used
  as transcribe() uses them (batching.BatchDecoder).

The decoding defaults (fallback temperatures, samples per temperature, punctuation that joins
words, the first timestamp allowed) are read from transcribe()'s own signature, so both paths
decode with the same ones.
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import replace
from typing import Any

from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens

from .base import MAX_NEW_TOKENS

CONTEXT = 448  # Whisper's decoder context, prompt included

_TRANSCRIBE = inspect.signature(WhisperModel.transcribe).parameters
TEMPERATURES: tuple[float, ...] = tuple(_TRANSCRIBE["temperature"].default)
BEST_OF: int = _TRANSCRIBE["best_of"].default
MAX_INITIAL_TIMESTAMP: float = _TRANSCRIBE["max_initial_timestamp"].default  # seconds
PREPEND: str = _TRANSCRIBE["prepend_punctuations"].default
APPEND: str = _TRANSCRIBE["append_punctuations"].default

# A window's decodings at all fallback temperatures together may cost this many full-width
# decodings of its token budget. Each of the six temperatures samples BEST_OF hypotheses: a
# loop filling its budget every time cost six such decodings, and the Korean espeak set
# several times its own duration (issue 15); two still let most clips reach a good sample.
FALLBACK_BUDGET = 2


def fallback_budget(max_new_tokens: int) -> int:
    """The decoding cost (tokens x hypotheses, see attempt_cost) a window's fallback may spend."""
    return FALLBACK_BUDGET * BEST_OF * max_new_tokens


def attempt_cost(tokens: int, temperature: float, beam_size: int) -> int:
    """What one decoding cost, in decoded tokens times the hypotheses carried along."""
    return tokens * (BEST_OF if temperature > 0 else beam_size)


def ct2_max_length(budget: int, prompt_length: int) -> int:
    """CTranslate2's max_length for at most `budget` new tokens.

    CTranslate2 decodes at most min(max_length // 2, max_length - prompt_length + 1) tokens,
    so faster-whisper's `len(prompt) + max_new_tokens` allows only about half the budget.
    """
    return min(CONTEXT, max(2 * budget, budget + prompt_length - 1))


class LimitAwareWhisperModel(WhisperModel):  # type: ignore[misc]  # untyped package
    """Honours max_new_tokens exactly and records when the chosen decoding ran into it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()  # one engine serves every thread of a worker

    def track_limit_hits(self) -> list[int]:
        self._local.hits = []
        hits: list[int] = self._local.hits
        return hits

    def track_budget_cuts(self) -> list[int]:
        """From now on this thread's windows whose fallback the budget stopped are listed
        (by the temperatures they were decoded at)."""
        self._local.cuts = []
        cuts: list[int] = self._local.cuts
        return cuts

    def charge_fallback(self, spent: int) -> None:
        """This thread's next window starts its fallback with `spent` of its budget gone."""
        self._local.charged = spent

    def generate_with_fallback(
        self, encoder_output: Any, prompt: list[int], tokenizer: Tokenizer, options: Any
    ) -> Any:
        budget = options.max_new_tokens
        if budget is not None:
            wanted = ct2_max_length(budget, len(prompt)) - len(prompt)
            options = replace(options, max_new_tokens=wanted)
        decoded = self._fallback(encoder_output, prompt, tokenizer, options, budget)
        length = len(decoded[0].sequences_ids[0])
        if budget is not None and length >= budget:
            getattr(self._local, "hits", []).append(length)
        return decoded

    def _fallback(
        self,
        encoder_output: Any,
        prompt: list[int],
        tokenizer: Tokenizer,
        options: Any,
        budget: int | None,
    ) -> Any:
        """faster-whisper's fallback, one temperature per call to it, stopped once the window
        spent fallback_budget: then, as when every temperature fails, the likeliest decoding
        that is not repetitive is kept."""
        spent, self._local.charged = getattr(self._local, "charged", 0), 0
        limit, tried = fallback_budget(budget or MAX_NEW_TOKENS), []
        temperatures = list(options.temperatures)
        for k, temperature in enumerate(temperatures):
            one = replace(options, temperatures=[temperature])
            decoded = super().generate_with_fallback(encoder_output, prompt, tokenizer, one)
            tried.append(decoded)
            if not _needs_fallback(decoded, options):
                return decoded
            spent += attempt_cost(len(decoded[0].sequences_ids[0]), temperature, options.beam_size)
            if spent >= limit and k + 1 < len(temperatures):
                getattr(self._local, "cuts", []).append(k + 1)
                break
        ratio_limit = options.compression_ratio_threshold
        calm = [d for d in tried if ratio_limit is None or d[3] <= ratio_limit]
        best = max(calm or tried, key=lambda d: d[1])
        return (best[0], best[1], tried[-1][2], best[3])


def _needs_fallback(decoded: Any, options: Any) -> bool:
    """faster-whisper's test of one decoding (result, avg_logprob, temperature, ratio)."""
    result, avg_logprob, _, ratio = decoded
    ratio_limit, logprob_limit = options.compression_ratio_threshold, options.log_prob_threshold
    repetitive = ratio_limit is not None and ratio > ratio_limit
    unlikely = logprob_limit is not None and avg_logprob < logprob_limit
    silent = options.no_speech_threshold is not None and (
        result.no_speech_prob > options.no_speech_threshold and unlikely
    )
    return (repetitive or unlikely) and not silent


def max_initial_timestamp_index(whisper: WhisperModel) -> int:
    """The last timestamp token a window may start with, as transcribe() computes it."""
    return int(round(MAX_INITIAL_TIMESTAMP / whisper.time_precision))


def suppressed_tokens(tokenizer: Tokenizer) -> list[int]:
    """transcribe()'s default suppressed tokens ([-1]: Whisper's non-speech symbols)."""
    return list(get_suppressed_tokens(tokenizer, [-1]))


def split_segments(
    whisper: WhisperModel,
    tokenizer: Tokenizer,
    tokens: list[int],
    *,
    frames: int,
    seconds: float,
) -> tuple[list[dict[str, Any]], int, bool]:
    """A window's tokens as transcribe()'s segments: (segments, seek, single_timestamp_ending)."""
    segments, seek, single_ending = whisper._split_segments_by_timestamps(
        tokenizer=tokenizer,
        tokens=tokens,
        time_offset=0.0,
        segment_size=frames,
        segment_duration=seconds,
        seek=0,
    )
    return segments, seek, single_ending


class _Aligned:
    """Stands in for WhisperModel inside its add_word_timestamps, replaying one alignment from
    a batched call, so each window gets exactly the per-file word post-processing."""

    def __init__(self, frames_per_second: int, alignment: list[dict[str, Any]]) -> None:
        self.frames_per_second = frames_per_second
        self._alignment = alignment

    def find_alignment(self, *_args: object, **_kwargs: object) -> list[list[dict[str, Any]]]:
        return [self._alignment]


def add_words(
    whisper: WhisperModel,
    segments: list[dict[str, Any]],
    tokenizer: Tokenizer,
    alignment: list[dict[str, Any]],
    *,
    frames: int,
) -> None:
    """Adds transcribe()'s word timings to one window's segments from its batched alignment."""
    WhisperModel.add_word_timestamps(
        _Aligned(whisper.frames_per_second, alignment),
        [segments],
        tokenizer,
        None,
        frames,
        PREPEND,
        APPEND,
        last_speech_timestamp=0.0,
    )
