"""faster-whisper (CTranslate2) engine."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import (
    COMPRESSION_RATIO_THRESHOLD,
    LOGPROB_THRESHOLD,
    NO_SPEECH_THRESHOLD,
    PACK_CLIPS,
    WINDOW_FLOOR_SECONDS,
    AsrError,
    DecodeOptions,
    Segment,
    Transcription,
    assess,
    max_new_tokens_for,
)

if TYPE_CHECKING:
    from .windows import Decoded

WINDOW_SECONDS = 30.0
DEFAULT_OPTIONS = DecodeOptions()  # frozen, so one shared default is safe


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(
        self,
        *,
        model: str,
        model_dir: Path,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        cache_dir: Path | None = None,  # accepted like every engine's; nothing to cache here
        pack_clips: bool = PACK_CLIPS,
        window_floor_seconds: float = WINDOW_FLOOR_SECONDS,
    ) -> None:
        # Imported lazily so the web process can import asr without loading CTranslate2.
        import ctranslate2
        import faster_whisper

        from .batching import BatchDecoder
        from .whisper_internals import LimitAwareWhisperModel

        self.model = model
        self.model_dir = Path(model_dir)
        if not self.model_dir.is_dir():
            raise AsrError(
                f"faster-whisper needs a CTranslate2 model directory, not {self.model_dir}; "
                "an openai-whisper checkpoint (.pt) works with ASR_ENGINE=openai-whisper"
            )
        self.version = (
            f"faster-whisper {faster_whisper.__version__} / ctranslate2 {ctranslate2.__version__}"
        )
        workers, threads = _workers_and_threads(device, cpu_threads)
        try:
            self._whisper = LimitAwareWhisperModel(
                str(self.model_dir),
                device=device,
                compute_type=compute_type,
                cpu_threads=threads,
                num_workers=workers,
                local_files_only=True,
            )
        except Exception as exc:
            raise AsrError(f"cannot load ASR model {model!r} from {self.model_dir}: {exc}") from exc
        # English-only checkpoints emit garbage if asked for another language.
        self._english_only = model.endswith(".en") or not self._whisper.model.is_multilingual
        self._batch = BatchDecoder(
            self._whisper,
            pack=pack_clips,
            workers=workers,
            window_floor_seconds=window_floor_seconds,
        )

    @property
    def whisper(self) -> Any:
        """The loaded WhisperModel, for decoders of their own (asr.longform)."""
        return self._whisper

    @property
    def replicas(self) -> int:
        """CTranslate2 model replicas: how many decodings run at once."""
        return self._batch.workers

    @property
    def pack_clips(self) -> bool:
        """Whether transcribe_batch() packs clips of a known language into shared windows
        (ASR_PACK_CLIPS); off, each clip has a window of its own."""
        return self._batch.pack

    @pack_clips.setter
    def pack_clips(self, value: bool) -> None:
        self._batch.pack = value

    @property
    def window_floor_seconds(self) -> float:
        """transcribe_batch() encodes windows of a known language cut to their content (plus
        3 s), never shorter than this; 0 keeps Whisper's full 30 s windows."""
        return self._batch.window_floor_seconds

    @window_floor_seconds.setter
    def window_floor_seconds(self, value: float) -> None:
        if value < 0:
            raise AsrError(f"the window floor must be 0 (off) or more seconds, not {value}")
        self._batch.window_floor_seconds = value

    @property
    def last_batch_stats(self) -> dict[str, int]:
        """Counts from the latest transcribe_batch(): windows, clips re-decoded alone, etc."""
        return dict(self._batch.stats)

    def transcribe(
        self, audio_path: str | Path, *, options: DecodeOptions = DEFAULT_OPTIONS
    ) -> Transcription:
        return self._labelled(self._decode_file(_existing(audio_path), options))

    def transcribe_batch(
        self, audio_paths: Sequence[str | Path], *, options: DecodeOptions, batch_size: int = 8
    ) -> list[Transcription]:
        """Transcripts in input order. Clips up to 30 s share model calls (see batching.py);
        longer ones, and every clip when VAD is on (it rewrites each clip's audio and timings),
        are decoded per file. batch_size counts windows in flight at once (a window holds one
        clip, or several when packed); decode_seconds is each clip's share of its batch's wall
        time."""
        paths = [_existing(p) for p in audio_paths]
        if options.vad_filter:
            return [self.transcribe(p, options=options) for p in paths]
        try:
            decoded = self._batch.run(
                paths,
                language=self._language(options.language),
                options=options,
                batch_size=batch_size,
                per_file=lambda path: self._decode_file(path, options),
            )
        except AsrError:
            raise
        except Exception as exc:  # an unknown language code, a CTranslate2 failure, ...
            raise AsrError(
                f"cannot transcribe {len(paths)} clips with {self.model!r}: {exc}"
            ) from exc
        return [self._labelled(d) for d in decoded]

    def _language(self, language: str | None) -> str | None:
        if self._english_only:
            return "en"
        # Whisper knows bare ISO codes ("ko"), campaigns store locales ("ko-KR").
        return language.replace("_", "-").split("-")[0].lower() if language else None

    def _decode_file(self, path: Path, options: DecodeOptions) -> Decoded:
        from .audio import SAMPLE_RATE, read_audio
        from .windows import Decoded, no_signal

        started = time.perf_counter()
        try:
            audio = read_audio(path)
            duration = len(audio) / SAMPLE_RATE
            if no_signal(audio):
                language = self._language(options.language)
                return Decoded.nothing(language, duration, time.perf_counter() - started)
            hits = self._whisper.track_limit_hits()
            cuts = self._whisper.track_budget_cuts()
            raw_segments, info = self._whisper.transcribe(
                audio,
                language=self._language(options.language),
                beam_size=options.beam_size,
                word_timestamps=options.word_timestamps,
                vad_filter=options.vad_filter,
                initial_prompt=options.initial_prompt or None,
                # Stops one hallucinated segment from poisoning the following ones.
                condition_on_previous_text=False,
                compression_ratio_threshold=COMPRESSION_RATIO_THRESHOLD,
                no_speech_threshold=NO_SPEECH_THRESHOLD,
                log_prob_threshold=LOGPROB_THRESHOLD,
                # Per window; a loop ("러마, 러, 러, ...") otherwise runs to Whisper's limit.
                max_new_tokens=max_new_tokens_for(min(duration, WINDOW_SECONDS)),
            )
            # The generator does the decoding, so failures surface while iterating.
            raw = list(raw_segments)
        except Exception as exc:
            raise AsrError(f"cannot transcribe {path.name} with {self.model!r}: {exc}") from exc
        return Decoded(
            # Whisper puts the inter-word space at the start of each segment (none for CJK).
            text="".join(s.text for s in raw).strip(),
            segments=tuple(_segment(s) for s in raw),
            language=info.language,
            language_probability=info.language_probability,
            duration=info.duration,
            seconds=time.perf_counter() - started,
            limit_hit=bool(hits),
            budget_cut=bool(cuts),
            sampled=any(s.temperature > 0 for s in raw),
        )

    def _labelled(self, decoded: Decoded) -> Transcription:
        transcription = Transcription(
            text=decoded.text,
            language=decoded.language,
            language_probability=decoded.language_probability,
            duration=decoded.duration,
            segments=decoded.segments,
            engine=self.name,
            model=self.model,
            engine_version=self.version,
            decode_seconds=round(decoded.seconds, 3),
        )
        return assess(
            transcription,
            token_limit_hit=decoded.limit_hit,
            budget_cut=decoded.budget_cut,
            sampled=decoded.sampled,
        )


def _workers_and_threads(device: str, cpu_threads: int) -> tuple[int, int]:
    """On CPU, two model replicas (sharing weights) with half the cores each: decoding is many
    small steps that one thread runs nearly as fast as two, so two batches at once finish
    sooner than one batch on every core. cpu_threads 0 means all the cores this process has."""
    if device != "cpu":
        return 1, cpu_threads
    cores = cpu_threads or len(os.sched_getaffinity(0))
    workers = 2 if cores >= 2 else 1
    return workers, cores // workers


def _existing(audio_path: str | Path) -> Path:
    path = Path(audio_path)
    if not path.is_file():
        raise AsrError(f"audio file not found: {path}")
    return path


def _segment(raw: Any) -> Segment:
    from .windows import segment_from

    words = [(w.start, w.end, w.word, w.probability) for w in raw.words or ()]
    return segment_from(raw.start, raw.end, raw.text, raw.avg_logprob, raw.no_speech_prob, words)
