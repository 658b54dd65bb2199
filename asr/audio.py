"""Reading clips for Whisper: 16 kHz mono float32 samples in [-1, 1)."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
# The demuxers of the upload formats ingest accepts; a playlist or concat list is none of them.
_DEMUXERS = "wav,mp3,mov,mp4,m4a,3gp,3g2,mj2,aac,ogg,matroska,webm,flac"


def read_audio(path: Path) -> np.ndarray:
    """Ingest's normalised files (16 kHz mono 16-bit PCM WAV) are read as they are; anything
    else goes through faster-whisper's PyAV decoder, which resamples. That decoder also runs a
    full gc.collect() per file: 70% of its 70 ms on an 8 s clip here, all of it holding the GIL.
    Both give the same samples for such a WAV (tested), so the choice never changes a draft."""
    samples = _pcm16_mono_16k(path)
    if samples is not None:
        return samples
    from faster_whisper import decode_audio

    decoded: np.ndarray = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    return decoded


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


def ffmpeg_pcm_16k(path: Path) -> np.ndarray:
    """What openai-whisper's load_audio returns (same ffmpeg arguments, same float32 samples),
    with the input limited to this one local file and the upload demuxers. ValueError if
    ffmpeg cannot read it."""
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-threads", "0",
        "-protocol_whitelist", "file", "-format_whitelist", _DEMUXERS,
        "-i", f"file:{Path(path).resolve()}",
        "-f", "s16le", "-ac", "1", "-acodec", "pcm_s16le", "-ar", str(SAMPLE_RATE),
        "-protocol_whitelist", "pipe", "pipe:1",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True)
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise ValueError(lines[-1] if lines else "ffmpeg could not read the audio")
    return np.frombuffer(result.stdout, np.int16).flatten().astype(np.float32) / 32768.0
