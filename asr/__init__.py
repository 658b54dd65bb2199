"""Speech recognition for Whisper draft transcripts."""

from __future__ import annotations

import threading
from pathlib import Path

from .base import (
    PACK_CLIPS,
    WINDOW_FLOOR_SECONDS,
    AsrEngine,
    AsrError,
    DecodeOptions,
    Segment,
    Transcription,
    Word,
)
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
    pack_clips: bool = PACK_CLIPS,
    window_floor_seconds: float = WINDOW_FLOOR_SECONDS,
) -> AsrEngine:
    """The process's shared engine for this model, set to this caller's batching (faster-whisper
    only): pack_clips (ASR_PACK_CLIPS) packs several clips into one window, else each has its
    own; window_floor_seconds (ASR_WINDOW_FLOOR_SECONDS) cuts windows to their content plus
    3 s, never below it (0: Whisper's full 30 s)."""
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
            # Set on every call: the engine is shared, and each caller names its own mode.
            engine_obj.pack_clips = pack_clips
            engine_obj.window_floor_seconds = window_floor_seconds
        return engine_obj
