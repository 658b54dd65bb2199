"""Streaming decode of long-form sources: hours of audio without holding them in memory.

ffmpeg decodes the first audio stream straight to 16 kHz mono s16le on a pipe; it is read in
one-second blocks that go to the WAV writer, the peaks and the level meters, then dropped.
Memory stays at a few blocks plus the peaks (two int8 per 10 ms: 1.4 MB for two hours),
whatever the length. Pure Python like audio.py (no Django), so workers and tests share it.
"""

from __future__ import annotations

import math
import os
import secrets
import subprocess
import tempfile
import wave
from array import array
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from labelhub.recordings.audio import (
    _DEMUXERS,
    _FFMPEG,
    CLIPPED_FLAG_RATIO,
    CLIPPED_SAMPLE,
    LEVEL_FLOOR_DBFS,
    MIN_SAMPLE_RATE,
    QUIET_RMS_DBFS,
    SILENT_RMS_DBFS,
    AudioProbe,
    AudioRejected,
    NormalisedAudio,
    _last_line,
    level_dbfs,
)

SAMPLE_RATE = 16000
BLOCK_SECONDS = 1
PEAK_MILLISECONDS = 10
PEAK_SCALE = 127
# A decode may end a little before the header's figure (encoder padding, rounded durations);
# more than this is a source cut short, not rounding.
TRUNCATION_TOLERANCE_S = 1.0
TRUNCATION_TOLERANCE_SHARE = 0.005
# Messages with which ffmpeg's demuxers and decoders say the file stops before its end.
_TRUNCATION_MARKERS = ("partial file", "file ended prematurely", "end of file", "truncat")
_FULL_SCALE = 32768


@dataclass(frozen=True)
class StreamedAudio(NormalisedAudio):
    """What a streaming decode measured: a clip's figures, plus two only a long source needs.

    duration is that of the decoded 16 kHz copy, which is what segments are cut from.
    """

    # RMS of the loudest one-second block: a long source is mostly pauses, so its overall RMS
    # says little about whether anything is in it; this does.
    loudest_second_dbfs: float = LEVEL_FLOOR_DBFS
    peaks: dict = field(default_factory=dict)


class PeaksMeter:
    """Min/max per 10 ms, fed blocks of any length; the same figures as peaks.peaks_compute."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.per_peak = max(sample_rate * PEAK_MILLISECONDS // 1000, 1)
        self._pending = np.zeros(0, dtype=np.int16)
        self._pairs = array("b")
        self.samples = 0

    def feed(self, samples: np.ndarray) -> None:
        self.samples += len(samples)
        if len(self._pending):
            samples = np.concatenate([self._pending, samples])
        whole = len(samples) - len(samples) % self.per_peak
        self._add(samples[:whole])
        self._pending = samples[whole:].copy()

    def finish(self) -> dict:
        if len(self._pending):
            # The last, partial window is padded with zeros, as peaks_compute always did.
            padded = np.zeros(self.per_peak, dtype=np.int16)
            padded[: len(self._pending)] = self._pending
            self._add(padded)
            self._pending = np.zeros(0, dtype=np.int16)
        rate = self.sample_rate
        return {
            "version": 1,
            "sample_rate": rate,
            "samples_per_peak": self.per_peak,
            "seconds_per_peak": PEAK_MILLISECONDS / 1000,
            "duration": round(self.samples / rate, 3) if rate else 0,
            "scale": PEAK_SCALE,
            # Flat [min0, max0, min1, max1, ...]: half the size of nested pairs in JSON.
            "data": self._pairs.tolist(),
        }

    def _add(self, samples: np.ndarray) -> None:
        if not len(samples):
            return
        windows = samples.reshape(-1, self.per_peak)
        lows = np.floor(windows.min(axis=1) / 32768 * PEAK_SCALE).astype(np.int8)
        highs = np.ceil(windows.max(axis=1) / 32767 * PEAK_SCALE).astype(np.int8)
        self._pairs.frombytes(np.column_stack([lows, highs]).tobytes())


class LevelMeter:
    """Peak, RMS and clipping of 16-bit samples, accumulated block by block."""

    def __init__(self) -> None:
        self.count = 0
        self.peak = 0
        self.sum_squares = 0.0
        self.clipped = 0
        self.loudest_block_ms = 0.0

    def feed(self, samples: np.ndarray) -> None:
        if not len(samples):
            return
        wide = samples.astype(np.int64)
        magnitude = np.abs(wide)
        squares = float(np.dot(wide, wide))
        self.count += len(samples)
        self.peak = max(self.peak, int(magnitude.max()))
        self.sum_squares += squares
        self.clipped += int(np.count_nonzero(magnitude >= CLIPPED_SAMPLE * _FULL_SCALE))
        self.loudest_block_ms = max(self.loudest_block_ms, squares / len(samples))

    def peak_dbfs(self) -> float:
        return _dbfs(self.peak)

    def rms_dbfs(self) -> float:
        return _dbfs(math.sqrt(self.sum_squares / self.count)) if self.count else -math.inf

    def loudest_second_dbfs(self) -> float:
        return _dbfs(math.sqrt(self.loudest_block_ms))

    def clipping_ratio(self) -> float:
        return self.clipped / self.count if self.count else 0.0


def _dbfs(amplitude: float) -> float:
    # pydub's reference (full scale = 32768), so sources and clips read on the same scale.
    return 20 * math.log10(amplitude / _FULL_SCALE) if amplitude > 0 else -math.inf


def decode_streaming(path: Path, *, probe: AudioProbe, out_path: Path) -> StreamedAudio:
    """Decodes the first audio stream of ``path`` to a 16 kHz mono 16-bit WAV at ``out_path``.

    Expects a file that passed validate_upload (which limits the demuxers ffmpeg may pick).
    Raises AudioRejected: ``truncated`` when the decode stops short of the header's duration or
    ffmpeg reports the file ends early, ``undecodable`` when nothing decodes. Nothing is left at
    ``out_path`` unless it succeeds.
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = out_path.with_name(f".{out_path.name}.{secrets.token_hex(6)}.tmp")
    try:
        result = _decode_to(Path(path), probe=probe, wav_path=tmp_path)
        os.replace(tmp_path, out_path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return replace(result, normalised_path=out_path)


def _decode_to(path: Path, *, probe: AudioProbe, wav_path: Path) -> StreamedAudio:
    command = [
        *_FFMPEG, "-protocol_whitelist", "file", "-format_whitelist", _DEMUXERS,
        "-i", f"file:{path.resolve()}", "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-ar", str(SAMPLE_RATE), "-ac", "1", "-f", "s16le",
        "-protocol_whitelist", "pipe", "pipe:1",
    ]  # fmt: skip
    peaks, levels = PeaksMeter(SAMPLE_RATE), LevelMeter()
    block_bytes = SAMPLE_RATE * BLOCK_SECONDS * 2
    # stderr to a file, not a pipe: a corrupt file can make ffmpeg write more than a pipe
    # buffer holds while we are blocked reading stdout, and both would wait forever.
    with tempfile.TemporaryFile() as stderr, wave.open(str(wav_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        stdout = process.stdout
        assert stdout is not None  # stdout=PIPE
        try:
            carry = b""
            while chunk := stdout.read(block_bytes):
                chunk, carry = _whole_samples(carry + chunk)
                samples = np.frombuffer(chunk, dtype="<i2")
                wav.writeframesraw(chunk)
                peaks.feed(samples)
                levels.feed(samples)
        finally:
            stdout.close()
            returncode = process.wait()
        stderr.seek(0)
        errors = stderr.read(64 * 1024).decode("utf-8", errors="replace")
    _check_complete(path, probe=probe, returncode=returncode, errors=errors, decoded=levels.count)
    return StreamedAudio(
        duration=levels.count / SAMPLE_RATE,
        sample_rate=probe.sample_rate,
        channels=probe.channels,
        normalised_path=wav_path,
        peak_dbfs=level_dbfs(levels.peak_dbfs()),
        rms_dbfs=level_dbfs(levels.rms_dbfs()),
        clipping_ratio=levels.clipping_ratio(),
        loudest_second_dbfs=level_dbfs(levels.loudest_second_dbfs()),
        peaks=peaks.finish(),
    )


def _whole_samples(data: bytes) -> tuple[bytes, bytes]:
    # A pipe read may end in the middle of a 2-byte sample; keep the odd byte for the next read.
    cut = len(data) - len(data) % 2
    return data[:cut], data[cut:]


def _check_complete(
    path: Path, *, probe: AudioProbe, returncode: int, errors: str, decoded: int
) -> None:
    decoded_s = decoded / SAMPLE_RATE
    detail = _last_line(errors, path)
    if decoded == 0:
        raise AudioRejected(
            "undecodable",
            f"the audio could not be decoded: {detail or 'ffmpeg produced no samples'}",
        )
    missing = probe.duration - decoded_s
    tolerance = max(TRUNCATION_TOLERANCE_S, TRUNCATION_TOLERANCE_SHARE * probe.duration)
    if missing > tolerance:
        raise AudioRejected(
            "truncated",
            f"the file is truncated: its header says {probe.duration:.1f} s, but the audio "
            f"stops after {decoded_s:.1f} s",
        )
    lowered = errors.lower()
    if returncode != 0 or any(marker in lowered for marker in _TRUNCATION_MARKERS):
        code = "truncated" if returncode == 0 else "undecodable"
        what = "the file is truncated or damaged" if code == "truncated" else "decoding failed"
        raise AudioRejected(code, f"{what} after {decoded_s:.1f} s: {detail or 'ffmpeg error'}")


def assess_source_quality(
    audio: StreamedAudio, *, min_seconds: float, max_seconds: float
) -> list[str]:
    """The soft quality flags of a decoded long-form source; raises AudioRejected on a hard one.

    Softer than a clip's rules: a call recorded at 8 kHz or a broadcast with a clipped jingle is
    still worth labeling, so those are flags, not rejections.
    """
    if audio.duration < min_seconds:
        raise AudioRejected(
            "too_short",
            f"the source is {audio.duration:.1f} s; at least {min_seconds:g} s needed",
        )
    if audio.duration > max_seconds + TRUNCATION_TOLERANCE_S:
        raise AudioRejected(
            "too_long",
            f"the source is {audio.duration:.0f} s; at most {max_seconds:g} s allowed",
        )
    if audio.loudest_second_dbfs < SILENT_RMS_DBFS:
        raise AudioRejected(
            "silent",
            "the source is silent: not one second of it is louder than "
            f"{SILENT_RMS_DBFS:.0f} dBFS (loudest {audio.loudest_second_dbfs:.0f} dBFS)",
        )
    flags = []
    if audio.sample_rate < MIN_SAMPLE_RATE:
        flags.append("low_sample_rate")
    if audio.loudest_second_dbfs < QUIET_RMS_DBFS:
        flags.append("quiet")
    if audio.clipping_ratio >= CLIPPED_FLAG_RATIO:
        flags.append("clipped")
    return flags
