"""The standard ASR benchmark set: English espeak-ng clips of 5-12 s with known text, stored
as 16 kHz mono 16-bit WAV like ingest's normalised files.

Generated WAVs are cached under var/bench-clips/<hash of the set definition>/, so a re-run
skips synthesis and a changed definition can never reuse stale audio.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE_ROOT = REPO / "var" / "bench-clips"
STANDARD_CLIPS = 60
MIN_SECONDS, MAX_SECONDS = 5.0, 12.0
STANDARD_SEED = 20240601

# Varied topics, numbers and names, so WER reflects more than one easy sentence shape.
SENTENCES = [
    "The quick brown fox jumps over the lazy dog near the quiet river bank.",
    "Please set an alarm for seven thirty tomorrow morning and remind me to buy milk.",
    "Our quarterly revenue grew by twelve percent despite higher shipping costs.",
    "Turn on the living room television and lower the volume a little.",
    "The weather forecast says it will rain this afternoon, so bring an umbrella.",
    "She walked to the station, bought a ticket, and waited for the last train home.",
    "Add two cups of flour, a pinch of salt, and stir until the batter is smooth.",
    "Call the front desk and ask whether the meeting room is free on Friday.",
    "The museum opens at nine and closes early on public holidays.",
    "My neighbour painted his fence bright green last weekend.",
    "Can you send me the report before the end of the day?",
    "The children played football in the park until it got dark.",
    "We need three more chairs for the dinner party on Saturday.",
    "The pilot announced that the flight would land twenty minutes early.",
    "Remember to water the plants while I am away on holiday.",
    "The library has a large collection of old maps and rare books.",
    "He forgot his keys at the office and had to wait outside for an hour.",
    "Scientists discovered a new species of frog in the tropical forest.",
    "Please close the window because it is getting cold in here.",
    "The restaurant on the corner serves the best noodles in town.",
    "I would like to book a table for four people at eight o'clock.",
    "The new software update fixed several bugs and improved battery life.",
    "Our team meeting has been moved to Wednesday afternoon.",
    "The garden looks beautiful in spring when all the flowers bloom.",
    "Drive carefully, the roads are icy after last night's storm.",
    "The doctor told him to drink more water and get plenty of sleep.",
    "They are building a new bridge across the river next year.",
    "Could you explain how this machine works one more time?",
    "The concert was cancelled because the singer had a sore throat.",
    "Open the map application and find the nearest petrol station.",
    "Every morning she reads the newspaper with a cup of black coffee.",
    "The price of fresh vegetables has gone up again this month.",
    "Write your name and address clearly at the top of the form.",
    "The cat slept on the warm windowsill all afternoon.",
    "We watched the sunset from the top of the hill.",
    "The bank will be closed on Monday for the national holiday.",
    "Please remind everyone to bring their identity cards tomorrow.",
    "The old wooden boat slowly drifted towards the harbour.",
    "Students must hand in their essays by the end of next week.",
    "Switch off the lights in the kitchen before you go to bed.",
]
# espeak-ng's own voices only (mbrola voices need an extra package).
VOICES = [
    "en-us",
    "en-gb",
    "en-us+f3",
    "en-gb-x-rp",
    "en-029",
    "en-gb-scotland+f2",
    "en-us-nyc",
    "en-gb+m3",
]
SPEEDS = [140, 150, 160, 170]


@dataclass(frozen=True)
class ClipSpec:
    text: str
    voice: str
    speed: int


@dataclass(frozen=True)
class Clip:
    path: Path
    text: str
    seconds: float


def standard_specs(count: int = STANDARD_CLIPS, *, seed: int = STANDARD_SEED) -> list[ClipSpec]:
    """The standard set; another seed gives a fresh one (other sentences per clip, lengths,
    speeds, and the voices in another order)."""
    # Seeded, so the same definition always yields the same set (and the same cache key).
    rng = random.Random(seed)
    order = list(range(len(SENTENCES)))
    rng.shuffle(order)
    voices = list(VOICES)
    if seed != STANDARD_SEED:  # the standard set's definition (and cached audio) stays as it was
        rng.shuffle(voices)
    specs, cursor = [], 0
    for i in range(count):
        speed = rng.choice(SPEEDS)
        target = rng.uniform(MIN_SECONDS + 0.5, MAX_SECONDS - 1.0)
        words: list[str] = []
        # espeak-ng speaks about `speed` words a minute; add sentences until near the target.
        while not words or _estimate(words, speed) < target:
            sentence = SENTENCES[order[cursor % len(order)]].split()
            cursor += 1
            if words and _estimate(words + sentence, speed) > MAX_SECONDS - 0.5:
                break
            words += sentence
        specs.append(ClipSpec(" ".join(words), voices[i % len(voices)], speed))
    return specs


def _estimate(words: list[str], speed: int) -> float:
    return len(words) * 60 / speed


def set_key(specs: list[ClipSpec], audio_format: list[str]) -> str:
    definition = {"clips": [asdict(s) for s in specs], "format": audio_format}
    payload = json.dumps(definition, sort_keys=True).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def build(specs: list[ClipSpec], *, root: Path = CACHE_ROOT) -> list[Clip]:
    """Synthesises (or reuses) every clip; durations outside 5-12 s are padded or refused."""
    sys.path.insert(0, str(REPO))
    from tests.audio_samples import NORMALISED_WAV, convert, speak

    folder = root / set_key(specs, NORMALISED_WAV)
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for i, spec in enumerate(specs):
        path = folder / f"clip{i:03d}.wav"
        if not path.is_file():
            spoken, tmp = path.with_suffix(".espeak.wav"), path.with_suffix(".tmp.wav")
            speak(spec.text, spoken, voice=spec.voice, speed=spec.speed)
            convert(spoken, tmp, codec_args=NORMALISED_WAV)
            spoken.unlink()
            tmp.replace(path)  # a half-written clip must never look cached
        clips.append(Clip(path, spec.text, wav_seconds(path)))
    return clips


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


if __name__ == "__main__":
    built = build(standard_specs())
    secs = [c.seconds for c in built]
    print(f"{len(built)} clips, {sum(secs):.1f} s, min {min(secs):.1f} s, max {max(secs):.1f} s")
