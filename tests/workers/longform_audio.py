"""Generated long-form sources for segmentation tests: espeak-ng sentences in several voices,
pauses of varied length between them, optionally quiet noise, as a normalised 16 kHz WAV."""

from __future__ import annotations

import random
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.audio_samples import speak

SENTENCES = (
    "the weather will be sunny tomorrow with a light breeze from the west",
    "please remember to bring your passport and your boarding pass to the airport",
    "our quarterly results show strong growth in every region of the country",
    "the library opens at nine in the morning and closes at six in the evening",
    "she planted tomatoes and peppers in the garden behind the old house",
    "the train to the city leaves from platform four every twenty minutes",
    "we need three more volunteers to help with the festival next weekend",
    "the doctor said that he should drink more water and sleep eight hours",
    "turn left at the second traffic light and the museum is on your right",
    "the new bridge across the river will open to traffic in the spring",
    "my brother bought a small boat and sails it on the lake every summer",
    "the recipe needs two cups of flour, one egg and a pinch of salt",
    "students must hand in their essays before the end of the month",
    "the orchestra played a beautiful concert in the park last night",
    "after the meeting we walked down to the harbour to watch the ships",
)
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb-x-rp", "en-us+m3", "en-029")
PAUSES = (0.35, 0.6, 0.9, 1.3, 2.5, 3.5)


@dataclass(frozen=True)
class Spoken:
    start: float
    end: float
    text: str


def long_source(
    path: Path, *, seconds: float, seed: int = 1, noise_dbfs: float | None = None
) -> list[Spoken]:
    """Writes about `seconds` of speech and pauses to `path`; returns what is said where."""
    rng = random.Random(seed)
    rate = 16000
    parts: list[np.ndarray] = [np.zeros(int(0.8 * rate), dtype=np.int16)]
    cursor, spoken = 0.8, []
    with tempfile.TemporaryDirectory() as tmp:
        while cursor < seconds:
            text = rng.choice(SENTENCES)
            voice, speed = rng.choice(VOICES), rng.randint(140, 185)
            raw = speak(text, Path(tmp) / "s.wav", voice=voice, speed=speed)
            samples = _resampled(raw, Path(tmp) / "r.wav")
            # espeak pads a little silence around its speech: time the voiced part only.
            loud = np.flatnonzero(np.abs(samples) > 300)
            samples = samples[loud[0] : loud[-1] + 1] if loud.size else samples
            spoken.append(Spoken(cursor, cursor + len(samples) / rate, text))
            parts.append(samples)
            cursor += len(samples) / rate
            pause = rng.choice(PAUSES)
            parts.append(np.zeros(int(pause * rate), dtype=np.int16))
            cursor += int(pause * rate) / rate
    audio = np.concatenate(parts)
    if noise_dbfs is not None:
        noise = np.random.default_rng(seed).normal(0, 32768 * 10 ** (noise_dbfs / 20), audio.size)
        audio = np.clip(audio + noise, -32768, 32767).astype(np.int16)
    write_wav(path, audio)
    return spoken


def write_wav(path: Path, samples: np.ndarray, *, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


def _resampled(src: Path, dst: Path) -> np.ndarray:
    subprocess.run(
        ["sox", str(src), "-r", "16000", "-c", "1", "-b", "16", str(dst)],
        check=True,
        capture_output=True,
    )
    with wave.open(str(dst)) as source:
        return np.frombuffer(source.readframes(source.getnframes()), dtype="<i2").copy()
