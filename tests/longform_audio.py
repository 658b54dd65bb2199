"""Long-form test media made on the spot: a multi-voice conversation in a video file, and bad input.

Everything is deterministic (seeded choices, sox's repeatable noise) and cached under
LONGFORM_AUDIO_CACHE (default var/test-audio/) keyed by the parameters, because a 20-minute
source takes about half a minute to make and several tests reuse it. Callers get a copy at the
path they name, so a test may upload, truncate or delete it freely.

Needs espeak-ng, sox and ffmpeg (libx264, aac, libopus, libmp3lame).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("LONGFORM_AUDIO_CACHE", ROOT / "var" / "test-audio"))
# Bumped whenever a generator's output changes, so an old cache entry is never reused.
GENERATOR_VERSION = 1
SAMPLE_RATE = 22050  # espeak-ng's native rate: speech is never resampled before the mix

# Voices told apart by accent, pitch and speed, as the speakers of a meeting or broadcast are.
VOICES: tuple[dict, ...] = (
    {"voice": "en-us", "pitch": 45, "speed": 160, "gain": 0.8},
    {"voice": "en-gb+f3", "pitch": 65, "speed": 150, "gain": 0.7},
    {
        "voice": "en-gb-scotland+m3",
        "pitch": 35,
        "speed": 145,
        "gain": 0.75,
    },
    {"voice": "en-us+f2", "pitch": 70, "speed": 170, "gain": 0.65},
)
# Plain English sentences (tiny.en drafts them well). Turns take 1-4 of them in a row.
SENTENCES: tuple[str, ...] = (
    "Good morning and welcome to the weekly planning meeting.",
    "Let us start with the numbers from the last quarter.",
    "Sales went up in the north but they fell slightly in the south.",
    "I think we should look at the delivery times before we decide anything.",
    "The new warehouse opens in March if the weather allows it.",
    "Can you send me the report by the end of the day?",
    "We hired three new drivers and one more mechanic this month.",
    "The customers asked for a cheaper plan with fewer features.",
    "That sounds reasonable to me.",
    "I would like to hear what the support team thinks about it.",
    "Most of the calls last week were about billing and passwords.",
    "We could write a short guide and put it on the help page.",
    "The train was late again this morning, so I missed the first part.",
    "Please remind everyone that the office is closed on Friday.",
    "The budget for the spring campaign is still not approved.",
    "We need two more weeks to finish the testing of the new app.",
    "The river near the old bridge rose by almost a metre overnight.",
    "Farmers in the valley are worried about the late frost this year.",
    "The museum will show a collection of maps from the sixteenth century.",
    "Tickets for the concert sold out in less than an hour.",
    "Our next guest has spent twenty years studying migrating birds.",
    "Thank you for having me, it is a pleasure to be here.",
    "Every autumn millions of swallows fly south across the desert.",
    "They rest in small oases and eat insects along the way.",
    "Some of them return to exactly the same nest every spring.",
    "How do they find their way over such long distances?",
    "They seem to use the sun, the stars and the magnetic field of the earth.",
    "That is remarkable, I never knew that.",
    "After the break we will talk about the local elections.",
    "The weather tomorrow will be cloudy with light rain in the afternoon.",
    "Temperatures will stay between eight and twelve degrees.",
    "Drivers should expect delays on the coast road because of repairs.",
    "The library now lends tools, games and musical instruments.",
    "A group of students built a small robot that sorts recycling.",
    "The robot can tell paper from plastic by the sound it makes.",
    "Next year they hope to test it in the school canteen.",
    "I am not sure the timeline works for the design team.",
    "Let us move that item to the next meeting then.",
    "Does anyone have questions before we close?",
    "Thanks everyone, see you all next week.",
)


@dataclass(frozen=True)
class Utterance:
    start: float  # seconds on the source's timeline
    end: float
    voice: str
    text: str


@dataclass(frozen=True)
class Turn:
    voice: str
    start: float
    end: float
    utterances: tuple[Utterance, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return " ".join(u.text for u in self.utterances)


@dataclass(frozen=True)
class GeneratedSource:
    path: Path
    seconds: float
    turns: tuple[Turn, ...]

    @property
    def utterances(self) -> list[Utterance]:
        return [u for turn in self.turns for u in turn.utterances]

    @property
    def voices(self) -> list[str]:
        return sorted({turn.voice for turn in self.turns})


def make_source(
    path: Path, minutes: float = 20, container: str = "mp4", *, seed: int = 12
) -> GeneratedSource:
    """A conversation of several espeak-ng voices with pauses and noise, in a video container.

    At least `minutes` long: the last turn may run up to a minute past it (20 min: exactly).

    Sentences of 2-12 s grouped in turns of one voice, 0.3-0.8 s pauses inside a turn and
    0.8-2 s between turns, pink noise under everything, 22.05 kHz. container: mp4, mov or mkv
    (H.264 video + AAC audio), webm (VP8 + Opus), or an audio-only wav, mp3 or ogg.
    """
    key = _key("source", minutes=minutes, container=container, seed=seed)
    cached = CACHE / f"{key}.{container}"
    truth = CACHE / f"{key}.json"
    if not (cached.exists() and truth.exists()):
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "mix.wav"
            turns = _conversation(wav, seconds=minutes * 60, seed=seed, tmp=Path(tmp))
            seconds = _wav_seconds(wav)
            _encode(wav, Path(tmp) / cached.name, container=container, seconds=seconds)
            _publish(Path(tmp) / cached.name, cached)
            _write_json(truth, {"seconds": seconds, "turns": [asdict(t) for t in turns]})
    return _copy_with_truth(cached, truth, Path(path))


def make_ten_hours(path: Path, hours: float = 10) -> Path:
    """A real, fully decodable `hours`-long Ogg Opus file of silence, made in seconds.

    Ten minutes are encoded at 6 kb/s and the packets copied over and over (-stream_loop), so a
    10-hour file is about 14 MB and takes a few seconds. Its header states the true duration.
    """
    key = _key("long", hours=hours)
    cached = CACHE / f"{key}.opus"
    if not cached.exists():
        with tempfile.TemporaryDirectory() as tmp:
            block = Path(tmp) / "block.opus"
            _run(
                [*_FFMPEG, "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono"]
                + ["-t", "600", "-ac", "1", "-c:a", "libopus", "-b:a", "6k"]
                + ["-application", "voip", str(block)]
            )
            loops = round(hours * 6) - 1
            out = Path(tmp) / cached.name
            _run([*_FFMPEG, "-stream_loop", str(loops), "-i", str(block), "-c", "copy", str(out)])
            _publish(out, cached)
    return _copy(cached, Path(path))


def make_video_without_audio(path: Path, seconds: float = 20) -> Path:
    """An MP4 holding only an H.264 video stream: nothing to transcribe."""
    path = Path(path)
    _run(
        [*_FFMPEG, "-f", "lavfi", "-i", f"testsrc=size=160x120:rate=5:duration={seconds}"]
        + ["-an", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    )
    return path


def make_silence(path: Path, seconds: float = 90, container: str = "mp4") -> Path:
    """Digital silence (every sample zero) in a video container: valid media, no speech at all."""
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "silence.wav"
        _write_wav(wav, np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16))
        _encode(wav, path, container=container, seconds=seconds)
    return path


def make_truncated(path: Path, container: str = "mp4", *, keep: float = 0.5) -> Path:
    """A real source cut off after `keep` of its bytes, as an interrupted transfer leaves it.

    The MP4 is written with its index first (+faststart), so the header still states the full
    duration and looks sound: only decoding finds the audio stops half-way. A WAV keeps a header
    promising more data than follows.
    """
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        whole = make_source(Path(tmp) / f"whole.{container}", minutes=3, container=container)
        data = whole.path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


# -- the conversation -------------------------------------------------------------------------

_FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]


def _conversation(out: Path, *, seconds: float, seed: int, tmp: Path) -> list[Turn]:
    rng = random.Random(seed)
    pieces: list[np.ndarray] = []
    turns: list[Turn] = []
    clock = _pause(rng, pieces, rng.uniform(0.5, 1.5))
    voice = rng.choice(VOICES)
    index = 0
    while clock < seconds - 15:
        voice = rng.choice([v for v in VOICES if v is not voice])  # a turn changes the speaker
        utterances: list[Utterance] = []
        for position in range(rng.randint(1, 4)):
            if position:
                clock += _pause(rng, pieces, rng.uniform(0.3, 0.8))
            text, speech, index = _utterance(rng, voice, index, tmp)
            pieces.append(speech)
            start, clock = clock, clock + len(speech) / SAMPLE_RATE
            utterances.append(Utterance(round(start, 3), round(clock, 3), voice["voice"], text))
        turns.append(Turn(voice["voice"], utterances[0].start, clock, tuple(utterances)))
        clock += _pause(rng, pieces, rng.uniform(0.8, 2.0))
    clock += _pause(rng, pieces, max(seconds - clock, 0.0))
    speech = np.concatenate(pieces).astype(np.int32)
    mix = speech + _noise(len(speech), seed, tmp)
    _write_wav(out, np.clip(mix, -32768, 32767).astype(np.int16))
    return turns


def _utterance(
    rng: random.Random, voice: dict, index: int, tmp: Path
) -> tuple[str, np.ndarray, int]:
    """1-3 bank sentences said in one breath, grown or shrunk until they last 2-12 s."""
    count = rng.randint(1, 3)
    while True:
        text = " ".join(SENTENCES[(index + i) % len(SENTENCES)] for i in range(count))
        speech = _speak(text, voice, tmp / "say.wav")
        seconds = len(speech) / SAMPLE_RATE
        if seconds < 2.0:
            count += 1
        elif seconds > 12.0 and count > 1:
            count -= 1
        else:
            return text, speech, index + count


def _speak(text: str, voice: dict, wav: Path) -> np.ndarray:
    _run(
        ["espeak-ng", "-v", voice["voice"], "-p", str(voice["pitch"]), "-s", str(voice["speed"])]
        + ["-w", str(wav), "--", text]
    )
    with wave.open(str(wav)) as handle:
        assert handle.getframerate() == SAMPLE_RATE and handle.getnchannels() == 1
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    # espeak-ng pads each sentence with silence; trimmed, the ground truth times are the speech.
    loud = np.flatnonzero(np.abs(samples) > 300)
    samples = samples[loud[0] : loud[-1] + 1] if len(loud) else samples
    return (samples * voice["gain"]).astype(np.int16)


def _pause(rng: random.Random, pieces: list[np.ndarray], seconds: float) -> float:
    pieces.append(np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16))
    return round(seconds * SAMPLE_RATE) / SAMPLE_RATE


def _noise(length: int, seed: int, tmp: Path) -> np.ndarray:
    """Pink noise about 40 dB under the speech, from sox with a repeatable seed (-R)."""
    noise = tmp / "noise.raw"
    _run(
        ["sox", "-R", "-n", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed"]
        + ["-t", "raw", str(noise), "synth", f"{length / SAMPLE_RATE:.3f}", "pinknoise"]
        + ["vol", "0.01"]
    )
    samples = np.fromfile(noise, dtype=np.int16).astype(np.int32)
    return np.pad(samples, (0, max(length - len(samples), 0)))[:length]


def _encode(wav: Path, out: Path, *, container: str, seconds: float) -> None:
    audio = {
        "mp4": ["-c:a", "aac", "-b:a", "64k"],
        "mov": ["-c:a", "aac", "-b:a", "64k"],
        "mkv": ["-c:a", "aac", "-b:a", "64k"],
        "webm": ["-c:a", "libopus", "-b:a", "32k"],
        "wav": ["-c:a", "pcm_s16le"],
        "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
        "ogg": ["-c:a", "libopus", "-b:a", "32k"],
    }[container]
    if container in {"wav", "mp3", "ogg"}:
        _run([*_FFMPEG, "-i", str(wav), *audio, str(out)])
        return
    video = (
        ["-c:v", "libvpx", "-deadline", "realtime", "-b:v", "50k"]
        if container == "webm"
        else ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage"]
    )
    faststart = ["-movflags", "+faststart"] if container in {"mp4", "mov"} else []
    _run(
        [*_FFMPEG, "-f", "lavfi", "-i", f"color=c=0x203040:size=128x72:rate=2:duration={seconds}"]
        + ["-i", str(wav), "-map", "0:v", "-map", "1:a", *video, "-pix_fmt", "yuv420p"]
        + [*audio, *faststart, str(out)]
    )


# -- files and cache --------------------------------------------------------------------------


def _key(kind: str, **params: object) -> str:
    spec = json.dumps({"kind": kind, "v": GENERATOR_VERSION, **params}, sort_keys=True)
    return f"{kind}-" + hashlib.sha256(spec.encode()).hexdigest()[:16]


def _publish(built: Path, cached: Path) -> None:
    # Renamed into place, so a test running beside this one never reads a half-written file.
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f".{cached.name}.{os.getpid()}")
    shutil.copyfile(built, partial)
    partial.replace(cached)


def _write_json(path: Path, body: dict) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(body, indent=1))
    partial.replace(path)


def _copy(cached: Path, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, path)
    return path


def _copy_with_truth(cached: Path, truth: Path, path: Path) -> GeneratedSource:
    body = json.loads(truth.read_text())
    turns = tuple(
        Turn(
            t["voice"],
            t["start"],
            t["end"],
            tuple(Utterance(**u) for u in t["utterances"]),
        )
        for t in body["turns"]
    )
    return GeneratedSource(_copy(cached, path), body["seconds"], turns)


def _write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as handle:
        return handle.getnframes() / handle.getframerate()


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")
