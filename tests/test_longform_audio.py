"""The long-form test media are what the end-to-end tests take them for."""

import json
import subprocess
from pathlib import Path

import numpy as np

from tests.longform_audio import (
    make_silence,
    make_source,
    make_ten_hours,
    make_truncated,
    make_video_without_audio,
)

RATE = 16000


def streams(path: Path) -> tuple[list[str], float]:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name:format=duration"]
        + ["-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    body = json.loads(probe.stdout)
    return [s["codec_name"] for s in body.get("streams", [])], float(body["format"]["duration"])


def decoded(path: Path) -> np.ndarray:
    raw = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-ac",
            "1",
            "-ar",
            str(RATE),
            "-f",
            "s16le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64)


def rms(samples: np.ndarray, start: float, end: float) -> float:
    part = samples[round(start * RATE) : round(end * RATE)]
    return float(np.sqrt(np.mean(part**2))) if len(part) else 0.0


def test_a_source_is_a_video_with_voices_speaking_where_the_ground_truth_says(tmp_path) -> None:
    made = make_source(tmp_path / "talk.mp4", minutes=1.5)

    codecs, duration = streams(made.path)
    assert codecs == ["h264", "aac"] and abs(duration - 90) < 0.1
    assert len(made.voices) >= 3
    assert all(2.0 <= u.end - u.start <= 12.0 for u in made.utterances)
    assert all(a.voice != b.voice for a, b in zip(made.turns, made.turns[1:], strict=False))
    samples = decoded(made.path)
    said = made.utterances
    pauses = [(a.end + 0.05, b.start - 0.05) for a, b in zip(said, said[1:], strict=False)]
    noise = np.median([rms(samples, a, b) for a, b in pauses if b - a > 0.2])
    speech = np.median([rms(samples, u.start, u.end) for u in made.utterances])
    assert noise > 0 and speech > 10 * noise  # noise under the voices, never silence


def test_a_source_is_the_same_file_every_time(tmp_path) -> None:
    first = make_source(tmp_path / "a.mp4", minutes=1.5)
    again = make_source(tmp_path / "b.mp4", minutes=1.5)
    assert first.path.read_bytes() == again.path.read_bytes()
    assert first.turns == again.turns


def test_the_bad_inputs_are_bad_in_the_way_they_claim(tmp_path) -> None:
    codecs, duration = streams(make_ten_hours(tmp_path / "long.opus"))
    assert codecs == ["opus"] and duration >= 10 * 3600
    assert streams(make_video_without_audio(tmp_path / "mute.mp4"))[0] == ["h264"]
    assert not decoded(make_silence(tmp_path / "silence.mp4", seconds=5)).any()
    truncated = make_truncated(tmp_path / "cut.mp4")
    codecs, duration = streams(truncated)  # the header still promises the whole 3 minutes
    assert codecs == ["h264", "aac"] and abs(duration - 180) < 0.1
    assert len(decoded(truncated)) < 0.75 * 180 * RATE
