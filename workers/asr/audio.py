"""Reading clips for Whisper: 16 kHz mono float32 samples in [-1, 1)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000


def read_audio(path: Path) -> np.ndarray:
    """Ingest's normalised files (16 kHz mono 16-bit PCM WAV) are read as they are; anything
    else goes through faster-whisper's PyAV decoder, which resamples. That decoder also runs a
    full gc.collect() per file: 70% of its 70 ms on an 8 s clip here, all of it holding the GIL.
    Both give the same samples for such a WAV (tested), so the choice never changes a draft."""
    samples = _pcm16_mono_16k(path)
    if samples is not None:
        return samples
    from faster_whisper import decode_audio

    return decode_audio(str(path), sampling_rate=SAMPLE_RATE)


def _pcm16_mono_16k(path: Path) -> np.ndarray | None:
    try:
        with wave.open(str(path)) as source:
            layout = (source.getnchannels(), source.getsampwidth(), source.getframerate())
            if layout != (1, 2, SAMPLE_RATE):
                return None
            data = source.readframes(source.getnframes())
    except (wave.Error, EOFError):  # not a WAV, or one wave cannot read: the decoder can
        return None
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
