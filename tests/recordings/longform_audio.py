"""Long-form test sources made on the spot: espeak-ng speech, pauses and noise, in audio files
and video containers. Small (tens of seconds) unless a test asks for more."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.audio_samples import speak

PHRASES = (
    "good evening, here is the news",
    "the weather tomorrow will be cloudy with some rain",
    "and now over to our reporter in the city",
)


def ffmpeg(*args: str) -> None:
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {result.stderr.strip()}")


def speech_source(folder: Path, *, repeats: int = 2) -> Path:
    """A 44.1 kHz stereo WAV: the phrases in two voices, a pause after each, light noise."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for i in range(repeats):
        for j, text in enumerate(PHRASES):
            voice = "en-us" if (i + j) % 2 else "en-gb"
            parts.append(speak(text, folder / f"p{i}_{j}.wav", voice=voice))
    inputs = [arg for part in parts for arg in ("-i", str(part))]
    chain = "".join(f"[{k}:a]apad=pad_dur=0.8[s{k}];" for k in range(len(parts)))
    joined = "".join(f"[s{k}]" for k in range(len(parts)))
    noise = len(parts)
    graph = (
        f"{chain}{joined}concat=n={len(parts)}:v=0:a=1,aresample=44100[speech];"
        f"[{noise}:a]volume=0.01[hiss];[speech][hiss]amix=inputs=2:duration=first:normalize=0,"
        "pan=stereo|c0=c0|c1=c0[out]"
    )
    out = folder / "source.wav"
    ffmpeg(
        *inputs, "-f", "lavfi", "-i", "anoisesrc=r=44100:a=1:seed=7",
        "-filter_complex", graph, "-map", "[out]", "-c:a", "pcm_s16le", str(out),
    )  # fmt: skip
    return out


def encode(source: Path, out: Path, *audio_args: str) -> Path:
    ffmpeg("-i", str(source), *audio_args, str(out))
    return out


def with_video(source: Path, out: Path, *audio_args: str, second_audio: bool = False) -> Path:
    """A video container holding a small test picture and ``source`` as its first audio stream
    (and, with ``second_audio``, a 1 kHz tone as a second one that ingest must not take)."""
    extra = ["-f", "lavfi", "-i", "sine=f=1000:r=44100"] if second_audio else []
    maps = ["-map", "0:v", "-map", "1:a", *(["-map", "2:a"] if second_audio else [])]
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=s=64x48:r=10", "-i", str(source), *extra, *maps,
        "-shortest", "-c:v", "libx264", "-preset", "ultrafast", *audio_args, str(out),
    )  # fmt: skip
    return out


def video_without_audio(out: Path) -> Path:
    ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x48:r=10:d=3", "-c:v", "libx264", str(out))
    return out


def header_says_ten_hours(out: Path) -> Path:
    """A 12 KB MKV whose header says 10 h: 1 s of tone, then 1 s time-stamped 10 h later.

    Encoding a real 10-hour file takes minutes; the upload check reads only the header anyway.
    """
    ffmpeg(
        "-f", "lavfi", "-i", "sine=f=300:r=16000:d=2:samples_per_frame=16000",
        "-af", "asetpts='PTS+gte(N,16000)*36000/TB'", "-c:a", "flac", str(out),
    )  # fmt: skip
    return out


def cut_in_half(path: Path, out: Path) -> Path:
    data = path.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


def straight_decode(path: Path) -> bytes:
    """The reference: ffmpeg's own decode of the first audio stream to 16 kHz mono s16le."""
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0"]
    command += ["-ar", "16000", "-ac", "1", "-f", "s16le", "pipe:1"]
    return subprocess.run(command, capture_output=True, check=True, timeout=300).stdout
