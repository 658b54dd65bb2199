"""Where a long source has speech: Silero VAD (the model faster-whisper ships, on onnxruntime)
over the normalised WAV read window by window, and the speech packed into Whisper clips.

A 2-hour source is 460 MB as float32 samples, so nothing here holds more than one window at
a time: 2 minutes, because Silero's onnxruntime pass over a window needs far more memory than
its samples (measured: 10-minute windows peak at 354 MB RSS, 2-minute ones at 182 MB, at the
same speed). Windows overlap by a few seconds and their regions are joined,
so speech across a window edge comes out as one region. No CTranslate2 or Django here.
"""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .base import AsrError

SAMPLE_RATE = 16000
WINDOW_SECONDS = 120.0
OVERLAP_SECONDS = 4.0
CLIP_SECONDS = 30.0  # Whisper's window: the longest clip one decoding sees
# VAD regions stay under this so a clip holds a whole region, padding included.
REGION_SECONDS = 28.0
# Speech regions closer than this share a clip: Whisper gets context, and a 30 s window costs
# the same encoder pass whether it holds 3 s or 30 s of audio. Longer silences are left out.
PACK_GAP = 2.0
# Tighter than faster-whisper's defaults (2 s of silence ends a region, 0.4 s padding): pauses
# of 0.3 s separate regions, the cut planner decides which of them become cuts.
VAD_PARAMETERS = {
    "threshold": 0.5,
    "min_speech_duration_ms": 200,
    "min_silence_duration_ms": 300,
    "speech_pad_ms": 200,
    "max_speech_duration_s": REGION_SECONDS - 1.0,
}

Region = tuple[float, float]


def wav_frames(path: Path) -> int:
    """The sample count of a normalised WAV (16 kHz mono 16-bit PCM); AsrError otherwise."""
    try:
        with wave.open(str(path)) as source:
            layout = (source.getnchannels(), source.getsampwidth(), source.getframerate())
            frames = source.getnframes()
    except (wave.Error, EOFError, OSError) as exc:
        raise AsrError(f"cannot read the normalised audio {path.name}: {exc}") from exc
    if layout != (1, 2, SAMPLE_RATE):
        raise AsrError(
            f"{path.name} is not 16 kHz mono 16-bit PCM (channels, width, rate: {layout})"
        )
    return int(frames)


def read_span(path: Path, start: float, end: float) -> np.ndarray:
    """Samples [start, end) seconds of a normalised WAV as float32 in [-1, 1)."""
    with wave.open(str(path)) as source:
        first = max(round(start * SAMPLE_RATE), 0)
        stop = min(round(end * SAMPLE_RATE), source.getnframes())
        if stop <= first:
            return np.zeros(0, dtype=np.float32)
        source.setpos(first)
        data = source.readframes(stop - first)
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def speech_regions(
    path: Path,
    *,
    window_seconds: float = WINDOW_SECONDS,
    overlap_seconds: float = OVERLAP_SECONDS,
    progress: Callable[[float], None] | None = None,
) -> list[Region]:
    """Speech regions of the whole source in seconds, each at most REGION_SECONDS long."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(**VAD_PARAMETERS)
    duration = wav_frames(path) / SAMPLE_RATE
    found: list[Region] = []
    start = 0.0
    while start < duration:
        audio = read_span(path, start, start + window_seconds + overlap_seconds)
        for chunk in get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE):
            # Plain floats: Silero's sample indices may be NumPy integers, which databases refuse.
            first, stop = float(chunk["start"]), float(chunk["end"])
            found.append((start + first / SAMPLE_RATE, start + stop / SAMPLE_RATE))
        del audio
        start += window_seconds
        if progress is not None:
            progress(min(start / duration, 1.0))
    regions = joined(found)
    return [part for region in regions for part in _split_long(path, region)]


def joined(regions: list[Region]) -> list[Region]:
    """The union of possibly overlapping regions, in time order."""
    union: list[Region] = []
    for start, end in sorted(regions):
        if union and start <= union[-1][1]:
            union[-1] = (union[-1][0], max(union[-1][1], end))
        else:
            union.append((start, end))
    return union


def _split_long(path: Path, region: Region) -> list[Region]:
    """A region joined across a window edge may outgrow a clip: split it at its quietest 20 ms
    in the middle third, where a pause between words most likely is."""
    start, end = region
    if end - start <= REGION_SECONDS:
        return [region]
    third = (end - start) / 3
    audio = read_span(path, start + third, end - third)
    frame = SAMPLE_RATE // 50
    usable = len(audio) // frame * frame
    if usable == 0:
        middle = (start + end) / 2
    else:
        energy = np.square(audio[:usable]).reshape(-1, frame).sum(axis=1)
        middle = start + third + (int(np.argmin(energy)) + 0.5) * frame / SAMPLE_RATE
    return _split_long(path, (start, middle)) + _split_long(path, (middle, end))


def clips_for(regions: list[Region], *, duration: float) -> list[Region]:
    """Regions packed into Whisper clips of at most CLIP_SECONDS: neighbours PACK_GAP apart or
    closer share one. Edges fall on 10 ms (one mel frame), so word times map back exactly."""
    clips: list[Region] = []
    for start, end in regions:
        if clips and start - clips[-1][1] <= PACK_GAP and end - clips[-1][0] <= CLIP_SECONDS - 0.02:
            clips[-1] = (clips[-1][0], end)
        else:
            clips.append((start, end))
    limit = np.floor(duration * 100) / 100
    aligned: list[tuple[float, float]] = []
    for start, end in clips:
        first, last = np.floor(start * 100) / 100, min(np.ceil(end * 100) / 100, limit)
        if aligned and first < aligned[-1][1]:
            first = aligned[-1][1]
        if last - first > CLIP_SECONDS:
            last = first + CLIP_SECONDS
        if last > first:
            aligned.append((round(float(first), 2), round(float(last), 2)))
    return aligned
