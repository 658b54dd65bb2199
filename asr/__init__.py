"""Speech recognition for Whisper draft transcripts."""

from __future__ import annotations

import threading
from pathlib import Path

from .base import AsrEngine, AsrError, DecodeOptions, Segment, Transcription, Word
from .faster import FasterWhisperEngine
from .models import KNOWN_MODELS, model_for_language, resolve_model
from .openai import OpenAIWhisperEngine

__all__ = [
    "ENGINES",
    "KNOWN_MODELS",
    "AsrEngine",
    "AsrError",
    "DecodeOptions",
    "FasterWhisperEngine",
    "OpenAIWhisperEngine",
    "Segment",
    "Transcription",
    "Word",
    "get_engine",
    "model_for_language",
    "resolve_model",
    "resolve_compute_type",
]

# Engine name -> class. Every class is built as
# cls(model=..., model_dir=..., device=..., compute_type=..., cache_dir=...).
ENGINES: dict[str, type] = {
    "faster-whisper": FasterWhisperEngine,
    "openai-whisper": OpenAIWhisperEngine,
}

# One loaded model per worker process: loading costs seconds and ~100s of MB.
_engines: dict[tuple[str, Path, str, str], AsrEngine] = {}
_engines_lock = threading.Lock()


def resolve_compute_type(device: str, compute_type: str) -> str:
    """ "default"/"auto" pick int8 on CPU and float16 on CUDA; anything else is kept as given."""
    if compute_type in ("default", "auto"):
        return "float16" if device.startswith("cuda") else "int8"
    return compute_type


def get_engine(
    *,
    engine: str,
    model: str,
    language: str | None,
    device: str = "cpu",
    compute_type: str = "int8",
    cache_dir: Path,
    window_floor_seconds: float = 0.0,
) -> AsrEngine:
    """The process's shared engine for this model. window_floor_seconds (faster-whisper only,
    ASR_WINDOW_FLOOR_SECONDS): batched windows are cut to their content, never below it."""
    engine_cls = ENGINES.get(engine)
    if engine_cls is None:
        raise AsrError(f"unknown ASR engine {engine!r}; known: {', '.join(sorted(ENGINES))}")
    name = model_for_language(language or "", model)
    model_dir = resolve_model(name, cache_dir=cache_dir)
    compute_type = resolve_compute_type(device, compute_type)
    key = (engine, model_dir.resolve(), device, compute_type)
    # Threads of one worker share the engine; without the lock each would load its own copy.
    with _engines_lock:
        if key not in _engines:
            _engines[key] = engine_cls(
                model=name,
                model_dir=model_dir,
                device=device,
                compute_type=compute_type,
                cache_dir=cache_dir,
            )
        engine_obj = _engines[key]
        if isinstance(engine_obj, FasterWhisperEngine):
            engine_obj.window_floor_seconds = window_floor_seconds
        return engine_obj
