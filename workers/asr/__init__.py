"""Speech recognition for Whisper draft transcripts."""

from __future__ import annotations

from pathlib import Path

from .base import AsrEngine, AsrError, Segment, Transcription, Word
from .faster import FasterWhisperEngine
from .models import KNOWN_MODELS, model_for_language, resolve_model

__all__ = [
    "KNOWN_MODELS",
    "AsrEngine",
    "AsrError",
    "FasterWhisperEngine",
    "Segment",
    "Transcription",
    "Word",
    "get_engine",
    "model_for_language",
    "resolve_model",
]

ENGINES: dict[str, type] = {"faster-whisper": FasterWhisperEngine}

# One loaded model per worker process: loading costs seconds and ~100s of MB.
_engines: dict[tuple[str, Path, str, str], AsrEngine] = {}


def get_engine(
    *,
    engine: str,
    model: str,
    language: str | None,
    device: str = "cpu",
    compute_type: str = "int8",
    cache_dir: Path,
) -> AsrEngine:
    engine_cls = ENGINES.get(engine)
    if engine_cls is None:
        raise AsrError(f"unknown ASR engine {engine!r}; known: {', '.join(sorted(ENGINES))}")
    name = model_for_language(language or "", model)
    model_dir = resolve_model(name, cache_dir=cache_dir)
    key = (engine, model_dir.resolve(), device, compute_type)
    if key not in _engines:
        _engines[key] = engine_cls(
            model=name, model_dir=model_dir, device=device, compute_type=compute_type
        )
    return _engines[key]
