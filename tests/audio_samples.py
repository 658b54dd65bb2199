"""Make real test audio with espeak-ng, ffmpeg and the stdlib, so tests never need binary fixtures.

Needs the espeak-ng and ffmpeg executables (with libmp3lame, aac, libopus and flac encoders).
"""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

from labelhub.text_metrics import wer

__all__ = ["FORMATS", "NORMALISED_WAV", "convert", "silence", "speak", "wer"]

# ffmpeg output arguments per accepted upload suffix. Encoders are named explicitly so a build
# that lacks one fails loudly instead of ffmpeg silently picking a different codec.
FORMATS: dict[str, list[str]] = {
    ".wav": ["-c:a", "pcm_s16le"],
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    ".m4a": ["-c:a", "aac", "-b:a", "64k"],
    ".aac": ["-c:a", "aac", "-b:a", "64k", "-f", "adts"],
    ".ogg": ["-c:a", "libopus", "-b:a", "32k"],
    ".opus": ["-c:a", "libopus", "-b:a", "32k"],
    ".webm": ["-c:a", "libopus", "-b:a", "32k"],
    ".flac": ["-c:a", "flac"],
}

# ffmpeg output arguments for what ingest writes and the ASR worker reads: 16 kHz mono 16-bit
# WAV (see labelhub.recordings.audio).
NORMALISED_WAV = ["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"]


def speak(text: str, path: Path, *, voice: str = "en-us", speed: int = 150) -> Path:
    """Synthesise ``text`` to a WAV (22050 Hz mono 16-bit, espeak-ng's native format)."""
    path = Path(path)
    _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), "--", text])
    return path


def convert(src: Path, dst: Path, *, codec_args: list[str] | None = None) -> Path:
    """Transcode ``src`` to ``dst``; without ``codec_args`` the format follows dst's suffix."""
    dst = Path(dst)
    args = FORMATS[dst.suffix.lower()] if codec_args is None else codec_args
    _run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(src), *args, str(dst)])
    return dst


def silence(path: Path, *, seconds: float = 1.0, sample_rate: int = 16000) -> Path:
    """Write a mono 16-bit WAV of digital silence (every sample exactly zero)."""
    path = Path(path)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(b"\x00\x00" * round(seconds * sample_rate))
    return path


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        # CalledProcessError hides stderr, which is the only useful part when a tool fails.
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")
