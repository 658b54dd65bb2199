"""Many short clips through faster-whisper's CTranslate2 model in few calls.

By default each clip gets a window of its own, and windows of a known language are encoded
shorter than Whisper's 30 s: their content, Window.TAIL of padding, at least the floor
(ASR_WINDOW_FLOOR_SECONDS, 10 s; Window.sized; one size per batch, the largest of its windows).
CTranslate2 encodes such input as it is, and Whisper's timestamps count from the window's start,
so words still map to their clip; the encoder's self-attention and every decoder step's
cross-attention get cheaper with the length (a 5-12 s clip: ~550 encoder positions, not 1500).
Measured on the base model (README, Whisper drafts) this costs about half the CPU of packing, at
a WER within 0.005 of per-file decoding. A clip shorter than the floor is encoded at the floor:
shrinking a window far below its audio made decoding run away.

With ASR_PACK_CLIPS clips of one known language are instead *packed*: each clip's own log-mel
frames side by side in a window, 1 s of padding between them, and every word handed back to
the clip it lies in (the floor then only shrinks underfilled windows; 0 keeps them at 30 s).
Anything doubtful (a window needing temperature fallback or hitting its token budget, a word
over a gap or in the padding, a clip Whisper stopped short of or left without words) is decoded
again alone in its window, still batched, with Whisper's fallback.

Clips of unknown language always get a full window of their own: detection needs it. With floor
0, one clip per window reproduces per-file decoding exactly (same features, prompt, fallback and
word timing); a clip that per-file decoding would continue into a second window goes per file.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

from .audio import SAMPLE_RATE, read_audio
from .base import (
    COMPRESSION_RATIO_THRESHOLD,
    PACK_CLIPS,
    WINDOW_FLOOR_SECONDS,
    AsrError,
    DecodeOptions,
    compression_ratio,
)
from .whisper_internals import (
    BEST_OF,
    TEMPERATURES,
    add_words,
    attempt_cost,
    ct2_max_length,
    fallback_budget,
    max_initial_timestamp_index,
    split_segments,
    suppressed_tokens,
)
from .windows import (
    Attempt,
    Clip,
    Decoded,
    Outcome,
    Window,
    finish_packed,
    finish_single,
    no_signal,
    resume_frame,
)

# How many batches' worth of clips are loaded at once: enough to pack windows tightly,
# bounded so a list of thousands of paths does not hold all their audio in memory.
GROUP_BATCHES = 4


class BatchDecoder:
    def __init__(
        self,
        whisper: WhisperModel,
        *,
        pack: bool = PACK_CLIPS,
        workers: int = 1,
        window_floor_seconds: float = WINDOW_FLOOR_SECONDS,
    ) -> None:
        self._w = whisper
        self.pack = pack
        # 0: every window is encoded at Whisper's full 30 s; else windows of a known language
        # are cut to their content plus Window.TAIL, never below this (Window.sized).
        self.window_floor_seconds = window_floor_seconds
        self.workers = workers  # the model's CTranslate2 replicas: batches that run at once
        self._tokenizers: dict[str | None, Tokenizer] = {}
        any_tokenizer = self._tokenizer("en" if whisper.model.is_multilingual else None)
        self._suppress = suppressed_tokens(any_tokenizer)
        self._first_timestamp = max_initial_timestamp_index(whisper)
        self.stats: dict[str, int] = {}

    def run(
        self,
        paths: Sequence[Path],
        *,
        language: str | None,
        options: DecodeOptions,
        batch_size: int,
        per_file: Callable[[Path], Decoded],
    ) -> list[Decoded]:
        """`language` None detects it per clip; `per_file` decodes what this path does not:
        clips over 30 s and the rare clip whose single-window decoding did not finish."""
        # tokens: decoded by every attempt, fallbacks included; fallbacks: window decodings
        # at a temperature above 0 (per-file redos not counted in either).
        keys = ["clips", "windows", "unpacked", "per_file", "budget_cut", "mel_frames"]
        keys += ["tokens", "fallbacks"]
        self.stats = dict.fromkeys(keys, 0)
        batch_size = max(batch_size, 1)
        results: dict[int, Decoded] = {}
        # Packed windows hold about three 5-12 s clips each.
        step = batch_size * GROUP_BATCHES * (3 if self.pack else 1)
        starts = range(0, len(paths), step)
        # Audio decoding and log-mel features run on `workers` threads, and the next group
        # loads while this one decodes: done in line, they left the cores idle for ~10% of a run.
        with ThreadPoolExecutor(self.workers) as loader:

            def load(start: int) -> list[Future[Clip]]:
                indices = range(start, min(start + step, len(paths)))
                return [loader.submit(self._load, i, paths[i], language) for i in indices]

            ahead = load(starts[0]) if starts else []
            for start in starts:
                current, ahead = ahead, load(start + step) if start + step < len(paths) else []
                short = []
                for clip in (future.result() for future in current):
                    if clip.silent:
                        results[clip.index] = Decoded.nothing(language, clip.duration)
                    elif clip.frames <= Window.FRAMES:
                        short.append(clip)
                    else:
                        results[clip.index] = self._per_file(clip, per_file)
                results.update(self._decode(short, options, batch_size, per_file))
        self.stats["clips"] = len(paths)
        return [results[i] for i in range(len(paths))]

    def _per_file(self, clip: Clip, per_file: Callable[[Path], Decoded]) -> Decoded:
        self.stats["per_file"] += 1
        # What its batched decoding already spent counts against the per-file fallback budget:
        # a looping clip sent on for overrunning its budget must not pay for six more tries.
        self._w.charge_fallback(clip.spent)
        try:
            decoded = per_file(clip.path)
        finally:
            self._w.charge_fallback(0)
        return replace(decoded, seconds=decoded.seconds + clip.seconds)

    def _load(self, index: int, path: Path, language: str | None) -> Clip:
        try:
            audio = read_audio(path)
        except Exception as exc:
            raise AsrError(f"cannot decode {path.name}: {exc}") from exc
        # Same features as the per-file path: its content frames leave out the last one.
        mel = self._w.feature_extractor(audio)[:, :-1]
        duration = len(audio) / SAMPLE_RATE
        return Clip(index, path, mel, duration, language, silent=no_signal(audio))

    def _decode(
        self,
        clips: list[Clip],
        options: DecodeOptions,
        batch_size: int,
        per_file: Callable[[Path], Decoded],
    ) -> dict[int, Decoded]:
        results: dict[int, Decoded] = {}
        queue = Window.pack(clips) if self.pack and clips and clips[0].language else None
        queue = queue or [Window([c]) for c in clips]
        # Similar budgets per batch: one max_length serves all, and few windows overrun theirs.
        queue.sort(key=lambda w: w.budget)
        # batch_size windows in flight in all, shared by the replicas: it is what bounds memory.
        per_worker = math.ceil(batch_size / self.workers)
        with ThreadPoolExecutor(self.workers) as pool:
            while queue:
                size = min(per_worker, math.ceil(len(queue) / self.workers))
                batches = [queue[i : i + size] for i in range(0, size * self.workers, size)]
                batches, queue = [b for b in batches if b], queue[size * self.workers :]
                timed = pool.map(lambda batch: self._timed_batch(batch, options), batches)
                for outcomes, seconds in timed:
                    queue.extend(self._collect(outcomes, seconds, results, per_file))
        return results

    def _timed_batch(
        self, batch: list[Window], options: DecodeOptions
    ) -> tuple[list[Outcome], float]:
        started = time.perf_counter()
        outcomes = self._run_batch(batch, options)
        return outcomes, time.perf_counter() - started

    def _collect(
        self,
        outcomes: list[Outcome],
        seconds: float,
        results: dict[int, Decoded],
        per_file: Callable[[Path], Decoded],
    ) -> list[Window]:
        """Stores finished clips in `results`; returns the windows to decode again."""
        self.stats["windows"] += len(outcomes)
        self.stats["mel_frames"] += sum(o.encoded for o in outcomes)  # encoded, padding too
        share = seconds / sum(len(o.window.clips) for o in outcomes)
        retry: list[Window] = []
        for outcome in outcomes:
            self.stats["budget_cut"] += outcome.budget_cut
            self.stats["tokens"] += outcome.tokens
            self.stats["fallbacks"] += outcome.fallbacks
            for clip in outcome.window.clips:
                clip.seconds += share
                if clip.index in outcome.done:
                    results[clip.index] = replace(outcome.done[clip.index], seconds=clip.seconds)
            self.stats["unpacked"] += len(outcome.retry)
            retry.extend(Window([c]) for c in outcome.retry)
            for clip in outcome.per_file:
                results[clip.index] = self._per_file(clip, per_file)
        return retry

    def _run_batch(self, windows: list[Window], options: DecodeOptions) -> list[Outcome]:
        frames = max(self._frames(w) for w in windows)  # one input size per batch
        features = np.stack([w.features(frames) for w in windows])
        encoded = self._w.encode(features)
        self._detect_languages(windows, features, encoded)
        outcomes = [Outcome(w, self._tokenizer(w.language), encoded=frames) for w in windows]
        prompts = [self._prompt(o.tokenizer, options) for o in outcomes]
        self._generate(outcomes, prompts, features, encoded, options)
        for outcome in outcomes:
            self._split(outcome)
        self._align(outcomes, features, encoded, options.word_timestamps)
        for outcome in outcomes:
            if not outcome.settled:
                self._settle(outcome, options.word_timestamps)
        return outcomes

    def _frames(self, window: Window) -> int:
        # Language detection keeps the full window it was trained on.
        if window.language is None:
            return Window.FRAMES
        return window.sized(round(self.window_floor_seconds / Window.SECONDS_PER_FRAME))

    def _settle(self, outcome: Outcome, word_timestamps: bool) -> None:
        resume = resume_frame(outcome, self._w.frames_per_second)
        if outcome.window.packed:
            finish_packed(outcome, word_timestamps, resume)
        elif resume < outcome.window.frames:
            outcome.reject()  # per-file would decode a second window; let it
        else:
            finish_single(outcome, word_timestamps)

    def _tokenizer(self, language: str | None) -> Tokenizer:
        if language not in self._tokenizers:
            multilingual = self._w.model.is_multilingual
            self._tokenizers[language] = Tokenizer(
                self._w.hf_tokenizer, multilingual, task="transcribe", language=language
            )
        return self._tokenizers[language]

    def _prompt(self, tokenizer: Tokenizer, options: DecodeOptions) -> list[int]:
        # As faster-whisper builds the first window's prompt from initial_prompt.
        previous = (
            tokenizer.encode(" " + options.initial_prompt.strip()) if options.initial_prompt else []
        )
        prompt: list[int] = self._w.get_prompt(tokenizer, previous)
        return prompt

    def _select(self, features: np.ndarray, encoded: Any, indices: list[int]) -> Any:
        """The encoder output of some windows, without encoding them again where possible."""
        if len(indices) == features.shape[0]:
            return encoded
        if encoded.device == "cpu":
            return ctranslate2.StorageView.from_array(
                np.ascontiguousarray(np.asarray(encoded)[indices])
            )
        return self._w.encode(features[indices])

    def _detect_languages(self, windows: list[Window], features: np.ndarray, encoded: Any) -> None:
        todo = [i for i, w in enumerate(windows) if w.language is None]
        if not todo:
            return
        found = self._w.model.detect_language(self._select(features, encoded, todo))
        for i, ranked in zip(todo, found, strict=True):
            token, probability = ranked[0]
            clip = windows[i].clips[0]
            clip.language, clip.language_probability = token[2:-2], probability

    def _generate(
        self,
        outcomes: list[Outcome],
        prompts: list[list[int]],
        features: np.ndarray,
        encoded: Any,
        options: DecodeOptions,
    ) -> None:
        tried: dict[int, list[Attempt]] = {i: [] for i in range(len(outcomes))}
        spent = dict.fromkeys(tried, 0)
        pending, exhausted = list(tried), []
        for k, temperature in enumerate(TEMPERATURES):
            if not pending:
                break
            results = self._generate_once(
                [outcomes[i].window.budget for i in pending],
                [prompts[i] for i in pending],
                self._select(features, encoded, pending),
                temperature,
                options.beam_size,
            )
            for i, result in zip(pending, results, strict=True):
                attempt = self._attempt(result, outcomes[i], temperature)
                tried[i].append(attempt)
                outcomes[i].attempt = attempt
                # Counted per outcome: batches run on several threads, stats are summed after.
                outcomes[i].tokens += len(attempt.tokens)
                outcomes[i].fallbacks += temperature > 0
                spent[i] += attempt_cost(len(attempt.tokens), temperature, options.beam_size)
                if not outcomes[i].window.packed:
                    outcomes[i].window.clips[0].spent = spent[i]
            # A packed window is never sampled: its clips are decoded again on their own.
            pending = [
                i
                for i in pending
                if outcomes[i].chosen.needs_fallback and not outcomes[i].window.packed
            ]
            cut = self._over_budget(outcomes, pending, spent, last=k + 1 == len(TEMPERATURES))
            pending = [i for i in pending if i not in cut]
            exhausted += cut
        for i in [*exhausted, *pending]:
            # As faster-whisper: every temperature failed, keep the likeliest non-repetitive one.
            calm = [a for a in tried[i] if a.compression_ratio <= COMPRESSION_RATIO_THRESHOLD]
            outcomes[i].attempt = max(calm or tried[i], key=lambda a: a.avg_logprob)
        for i, outcome in enumerate(outcomes):
            if any(a.overrun for a in tried[i]):
                outcome.reject()  # decoded past its own budget: redo it as the per-file path would

    @staticmethod
    def _over_budget(
        outcomes: list[Outcome], pending: list[int], spent: dict[int, int], *, last: bool
    ) -> list[int]:
        """The windows still falling back that spent their fallback budget, marked as cut
        (whisper_internals.fallback_budget, the same one the per-file path keeps to)."""
        if last:
            return []
        cut = [i for i in pending if spent[i] >= fallback_budget(outcomes[i].window.budget)]
        for i in cut:
            outcomes[i].budget_cut = True
        return cut

    def _generate_once(
        self,
        budgets: list[int],
        prompts: list[list[int]],
        encoded: Any,
        temperature: float,
        beam_size: int,
    ) -> Any:
        search: dict[str, Any]
        if temperature > 0:
            search = {"beam_size": 1, "num_hypotheses": BEST_OF, "sampling_topk": 0}
            search["sampling_temperature"] = temperature
        else:
            search = {"beam_size": beam_size, "patience": 1}
        max_length = max(ct2_max_length(b, len(p)) for b, p in zip(budgets, prompts, strict=True))
        return self._w.model.generate(
            encoded,
            prompts,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
            max_initial_timestamp_index=self._first_timestamp,
            **search,
        )

    def _attempt(self, result: Any, outcome: Outcome, temperature: float) -> Attempt:
        tokens = result.sequences_ids[0]
        # As faster-whisper: the score is length-normalised; the +1 counts the end token.
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        text = outcome.tokenizer.decode(tokens).strip()
        return Attempt(
            tokens,
            avg_logprob,
            result.no_speech_prob,
            compression_ratio(text),
            outcome.window.budget,
            temperature,
        )

    def _split(self, outcome: Outcome) -> None:
        if outcome.settled:
            return
        attempt, window = outcome.chosen, outcome.window
        if window.packed and (attempt.needs_fallback or attempt.silent or attempt.limit_hit):
            outcome.reject()
            return
        if attempt.silent:
            outcome.skipped = True  # per-file skips a no-speech window: no segments
            return
        segments, seek, single_ending = split_segments(
            self._w,
            outcome.tokenizer,
            attempt.tokens,
            frames=window.frames,
            seconds=window.frames * Window.SECONDS_PER_FRAME,
        )
        outcome.segments, outcome.seek, outcome.single_ending = segments, seek, single_ending

    def _align(
        self,
        outcomes: list[Outcome],
        features: np.ndarray,
        encoded: Any,
        word_timestamps: bool,
    ) -> None:
        groups: dict[str | None, list[int]] = {}
        for i, o in enumerate(outcomes):
            if not o.settled and o.segments and (word_timestamps or o.window.packed):
                groups.setdefault(o.window.language, []).append(i)
        for language, indices in groups.items():
            tokenizer = self._tokenizer(language)
            texts = {i: _text_tokens(outcomes[i].segments, tokenizer.eot) for i in indices}
            spoken = [i for i in indices if texts[i]]
            found = {}
            if spoken:
                # One start sequence per call, which is why windows are grouped by language.
                alignments = self._w.find_alignment(
                    tokenizer,
                    [texts[i] for i in spoken],
                    self._select(features, encoded, spoken),
                    [outcomes[i].window.frames for i in spoken],
                )
                found = dict(zip(spoken, alignments, strict=True))
            for i in indices:
                self._add_words(outcomes[i], tokenizer, found.get(i, []))

    def _add_words(
        self, outcome: Outcome, tokenizer: Tokenizer, alignment: list[dict[str, Any]]
    ) -> None:
        add_words(self._w, outcome.segments, tokenizer, alignment, frames=outcome.window.frames)
        outcome.aligned = True


def _text_tokens(segments: list[dict[str, Any]], eot: int) -> list[int]:
    return [t for s in segments for t in s["tokens"] if t < eot]
