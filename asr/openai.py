"""openai-whisper (PyTorch) engine, running the packaged CTranslate2 weights after conversion."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .audio import ffmpeg_pcm_16k
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
    max_new_tokens_for,
)
from .convert import alignment_heads_dump, openai_checkpoint_for

# openai-whisper's own fallback schedule: greedy/beam first, then sampling ever hotter.
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
BEST_OF = 5  # samples per fallback temperature, as in openai-whisper's CLI and faster-whisper
_DEFAULT_OPTIONS = DecodeOptions()  # frozen, so one shared default is safe


class OpenAIWhisperEngine:
    name = "openai-whisper"

    def __init__(
        self,
        *,
        model: str,
        model_dir: Path,
        device: str = "cpu",
        compute_type: str = "float32",
        cache_dir: Path,
    ) -> None:
        # Imported lazily so the web process can import asr without loading PyTorch.
        import torch
        import whisper

        self.model = model
        self.model_dir = Path(model_dir)
        self.version = f"openai-whisper {whisper.__version__} / torch {torch.__version__}"
        # PyTorch Whisper has no int8 path; half precision only pays (and works) on a GPU.
        self._fp16 = compute_type == "float16" and device != "cpu"
        if self.model_dir.is_file():  # a checkpoint given as is: nothing to convert
            checkpoint = self.model_dir
        else:
            checkpoint = openai_checkpoint_for(
                model, cache_dir=Path(cache_dir), model_dir=model_dir
            )
        try:
            self._whisper = whisper.load_model(str(checkpoint), device=device)
        except Exception as exc:
            raise AsrError(f"cannot load ASR model {model!r} from {checkpoint}: {exc}") from exc
        heads = alignment_heads_dump(self.model_dir, self._whisper.dims)
        if heads is not None:
            self._whisper.set_alignment_heads(heads)
        # English-only checkpoints emit garbage if asked for another language.
        self._english_only = model.endswith(".en") or not self._whisper.is_multilingual
        # transcribe() swaps model.decode for a counting wrapper; one call at a time.
        self._lock = threading.Lock()

    def transcribe(
        self, audio_path: str | Path, *, options: DecodeOptions = _DEFAULT_OPTIONS
    ) -> Transcription:
        path = Path(audio_path)
        audio = self._load_audio(path)
        duration = len(audio) / _sample_rate()
        started = time.perf_counter()
        try:
            with self._lock:
                language, probability = self._language(audio, options.language)
                result, limit_hit = self._decode(audio, language, duration, options)
        except AsrError:
            raise
        except Exception as exc:
            raise AsrError(f"cannot transcribe {path.name} with {self.model!r}: {exc}") from exc
        transcription = Transcription(
            text=result["text"].strip(),
            language=language,
            language_probability=probability,
            duration=duration,
            segments=tuple(_segment(s) for s in result["segments"]),
            engine=self.name,
            model=self.model,
            engine_version=self.version,
            decode_seconds=time.perf_counter() - started,
        )
        return assess(transcription, token_limit_hit=limit_hit)

    def transcribe_batch(
        self, audio_paths: Sequence[str | Path], *, options: DecodeOptions, batch_size: int = 8
    ) -> list[Transcription]:
        # openai-whisper has no cross-file batching (its decoder batches beams of one
        # window only), so a batch is simply one file after another; batch_size is unused.
        return [self.transcribe(path, options=options) for path in audio_paths]

    def _load_audio(self, path: Path) -> Any:
        if not path.is_file():
            raise AsrError(f"audio file not found: {path}")
        try:
            # whisper.load_audio's ffmpeg call, with the input whitelisted it lacks.
            return ffmpeg_pcm_16k(path)
        except Exception as exc:
            raise AsrError(f"cannot read audio {path.name}: {exc}") from exc

    def _language(self, audio: Any, requested: str | None) -> tuple[str, float]:
        import whisper

        if self._english_only:
            return "en", 1.0
        if requested:
            # Whisper knows bare ISO codes ("ko"), campaigns store locales ("ko-KR").
            return requested.replace("_", "-").split("-")[0].lower(), 1.0
        # Detected here rather than inside transcribe() because only this call reports the
        # probability; the language is then passed on, so it is not detected twice.
        model = self._whisper
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio), model.dims.n_mels)
        _, probs = model.detect_language(mel.to(model.device))
        language = max(probs, key=probs.get)
        return language, float(probs[language])

    def _decode(
        self, audio: Any, language: str, duration: float, options: DecodeOptions
    ) -> tuple[dict[str, Any], bool]:
        import whisper

        budget = max_new_tokens_for(duration)
        counter = _BudgetCounter(self._whisper, budget)
        # openai-whisper has no VAD, so options.vad_filter is ignored here.
        with counter:
            result = whisper.transcribe(
                self._whisper,
                audio,
                verbose=None,  # no console output, no progress bar
                language=language,
                task="transcribe",
                beam_size=options.beam_size,
                best_of=BEST_OF,
                temperature=TEMPERATURES,
                compression_ratio_threshold=COMPRESSION_RATIO_THRESHOLD,
                logprob_threshold=LOGPROB_THRESHOLD,
                no_speech_threshold=NO_SPEECH_THRESHOLD,
                # Stops one hallucinated segment from poisoning the following ones.
                condition_on_previous_text=False,
                initial_prompt=options.initial_prompt or None,
                word_timestamps=options.word_timestamps,
                # Bounds every 30 s window, so a repetition loop cannot run to 224 tokens.
                sample_len=budget,
                fp16=self._fp16,
            )
        return result, counter.limit_hit


class _BudgetCounter:
    """Wraps ``model.decode`` for one transcribe() call to see whether the budget ran out.

    transcribe() only returns text, and a decode that stops at sample_len looks finished.
    """

    def __init__(self, model: Any, budget: int) -> None:
        self._model = model
        self._budget = budget
        self._window_hits: list[bool] = []
        self._shadowed = vars(model).get("decode")

    def __enter__(self) -> _BudgetCounter:
        original = self._model.decode

        def counted(mel: Any, options: Any) -> Any:
            result = original(mel, options)
            hit = len(result.tokens) >= self._budget
            # Each window starts again at the first temperature; only the last try of a
            # window (the one transcribe() keeps) counts.
            if options.temperature == TEMPERATURES[0] or not self._window_hits:
                self._window_hits.append(hit)
            else:
                self._window_hits[-1] = hit
            return result

        # An instance attribute shadows Whisper.decode for this call only.
        self._model.decode = counted
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._shadowed is None:
            del self._model.decode
        else:
            self._model.decode = self._shadowed

    @property
    def limit_hit(self) -> bool:
        return any(self._window_hits)


def _sample_rate() -> int:
    from whisper.audio import SAMPLE_RATE

    return int(SAMPLE_RATE)


def _segment(raw: dict[str, Any]) -> Segment:
    return Segment(
        start=float(raw["start"]),
        end=float(raw["end"]),
        text=raw["text"].strip(),
        avg_logprob=float(raw["avg_logprob"]),
        no_speech_prob=float(raw["no_speech_prob"]),
        compression_ratio=float(raw["compression_ratio"]),
        words=tuple(
            Word(
                start=float(w["start"]),
                end=float(w["end"]),
                text=w["word"].strip(),
                probability=float(w["probability"]),
            )
            for w in raw.get("words") or ()
        ),
    )
