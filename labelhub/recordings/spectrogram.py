"""A spectrogram of one time window of a normalised WAV, as a PNG, without reading the file.

The workbench asks for the window on screen. PCM WAV is seekable, so each pixel column reads
only its own short frame (32 ms) at the column's time: the cost is O(width), whether the window
is one second or two hours. Zoomed far out that samples the audio rather than averaging it,
which is what a spectrogram at that scale can show anyway. Pure Python (numpy, zlib), no Django.
"""

from __future__ import annotations

import struct
import wave
import zlib
from pathlib import Path

import numpy as np

FFT_SIZE = 512  # 32 ms at 16 kHz: 257 bins of 31.25 Hz
MIN_SIDE, MAX_WIDTH, MAX_HEIGHT = 8, 4096, 1024
# dBFS mapped onto the colour ramp: a fixed scale, so adjacent windows tile without seams.
FLOOR_DBFS, CEILING_DBFS = -100.0, -20.0
# A dark-to-bright ramp (black, indigo, magenta, orange, pale yellow), like "magma".
_RAMP = np.array(
    [[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]],
    dtype=np.float64,
)


class SpectrogramRequestError(ValueError):
    """A window that cannot be drawn; ``parameter`` names the query parameter at fault."""

    def __init__(self, message: str, *, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def spectrogram_png(wav_path: Path, *, start: float, end: float, width: int, height: int) -> bytes:
    """The PNG (RGB, width x height, low frequencies at the bottom) of [start, end) seconds."""
    with wave.open(str(wav_path), "rb") as audio:
        rate, frames = audio.getframerate(), audio.getnframes()
        _check_window(start, end, width, height, duration=frames / rate)
        if audio.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit PCM, got {audio.getsampwidth() * 8}-bit")
        columns = _column_frames(audio, start=start, end=end, width=width, total=frames)
    levels = _levels_dbfs(columns)  # (width, bins)
    image = _to_rows(levels, height)  # (height, width), 0..1, top row highest frequency
    return png_rgb(_colour(image))


def _check_window(start: float, end: float, width: int, height: int, *, duration: float) -> None:
    if not (np.isfinite(start) and 0 <= start < duration):
        raise SpectrogramRequestError(
            f"start must lie in [0, {duration:.3f}) seconds", parameter="start"
        )
    if not (np.isfinite(end) and end > start):
        raise SpectrogramRequestError("end must be after start", parameter="end")
    if not MIN_SIDE <= width <= MAX_WIDTH:
        raise SpectrogramRequestError(
            f"width must be {MIN_SIDE} to {MAX_WIDTH} pixels", parameter="width"
        )
    if not MIN_SIDE <= height <= MAX_HEIGHT:
        raise SpectrogramRequestError(
            f"height must be {MIN_SIDE} to {MAX_HEIGHT} pixels", parameter="height"
        )


def _column_frames(
    audio: wave.Wave_read, *, start: float, end: float, width: int, total: int
) -> np.ndarray:
    """One FFT_SIZE frame centred on each column's time; past either end reads as silence."""
    rate = audio.getframerate()
    channels = audio.getnchannels()
    out = np.zeros((width, FFT_SIZE), dtype=np.float32)
    step = (end - start) / width
    for column in range(width):
        centre = round((start + (column + 0.5) * step) * rate)
        first = centre - FFT_SIZE // 2
        lo, hi = max(first, 0), min(first + FFT_SIZE, total)
        if hi <= lo:
            continue
        audio.setpos(lo)
        samples = np.frombuffer(audio.readframes(hi - lo), dtype="<i2")[::channels]
        out[column, lo - first : lo - first + len(samples)] = samples
    return out


def _levels_dbfs(frames: np.ndarray) -> np.ndarray:
    window = np.hanning(FFT_SIZE).astype(np.float32)
    spectrum = np.abs(np.fft.rfft(frames * window, axis=1))
    # A full-scale sine through a Hann window peaks at 32768 * N / 4: that is 0 dBFS.
    reference = 32768 * window.sum() / 2
    return 20 * np.log10(np.maximum(spectrum / reference, 1e-12, dtype=np.float32))


def _to_rows(levels: np.ndarray, height: int) -> np.ndarray:
    bins = levels.shape[1]
    # Row r (from the bottom) shows the bin at its centre frequency: nearest bin, linear scale.
    picks = np.minimum(((np.arange(height) + 0.5) * bins / height).astype(int), bins - 1)
    rows = levels[:, picks].T[::-1]
    return np.clip((rows - FLOOR_DBFS) / (CEILING_DBFS - FLOOR_DBFS), 0.0, 1.0)


def _colour(image: np.ndarray) -> np.ndarray:
    return _LUT[np.round(image * 255).astype(np.uint8)]


def _lookup_table() -> np.ndarray:
    # The ramp interpolated once into 256 colours: colouring is then one table lookup per pixel.
    position = np.linspace(0, len(_RAMP) - 1, 256)
    low = np.minimum(position.astype(int), len(_RAMP) - 2)
    share = (position - low)[:, None]
    return np.round(_RAMP[low] * (1 - share) + _RAMP[low + 1] * share).astype(np.uint8)


_LUT = _lookup_table()


def png_rgb(pixels: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of an (height, width, 3) uint8 array, written with zlib and struct."""
    height, width, _ = pixels.shape
    # Filter type 0 (none) before every row, as the PNG format requires.
    raw = np.concatenate(
        [np.zeros((height, 1), dtype=np.uint8), pixels.reshape(height, width * 3)], axis=1
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw.tobytes(), 3)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
