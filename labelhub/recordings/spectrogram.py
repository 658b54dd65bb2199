"""A spectrogram of one time window of a normalised WAV, as a PNG, without reading the file.

The workbench asks for the window on screen. PCM WAV is seekable, so each pixel column reads
only its own short frame (32 ms) at the column's time: the cost is O(width), whether the window
is one second or two hours. Zoomed far out that samples the audio rather than averaging it,
which is what a spectrogram at that scale can show anyway. Pure Python (numpy, zlib), no Django.

The bytes come from a ByteSource: the header's first bytes, then one ranged read per run of
nearby columns (a local file's seek and read, or an S3 GET with a Range header), so a tile of a
two-hour source in object storage reads kilobytes, not the whole 230 MB file.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from labelhub.recordings.riff import RiffEnded, riff_chunks

FFT_SIZE = 512  # 32 ms at 16 kHz: 257 bins of 31.25 Hz
MIN_SIDE, MAX_WIDTH, MAX_HEIGHT = 8, 4096, 1024
# dBFS mapped onto the colour ramp: a fixed scale, so adjacent windows tile without seams.
FLOOR_DBFS, CEILING_DBFS = -100.0, -20.0
# A dark-to-bright ramp (black, indigo, magenta, orange, pale yellow), like "magma".
_RAMP = np.array(
    [[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]],
    dtype=np.float64,
)
# The fmt and data chunk headers of our WAVs lie in the first 44 bytes; a file with other
# chunks first (LIST, fact) costs one more read per chunk header beyond this.
HEADER_BYTES = 4096
# Columns whose frames lie closer than this are read in one span: a request costs more than
# reading 8 KiB (0.25 s of audio) through it. The bytes read stay under
# width * (FFT_SIZE * 2 + MERGE_GAP_BYTES) whatever the window: 9 MB for a 1000 px tile.
MERGE_GAP_BYTES = 8 * 1024


class ByteSource(Protocol):
    """The bytes of one stored file, by (offset, length) spans; a span past the end reads short."""

    def read_spans(self, spans: Sequence[tuple[int, int]]) -> list[bytes]: ...


class SpectrogramRequestError(ValueError):
    """A window that cannot be drawn; ``parameter`` names the query parameter at fault."""

    def __init__(self, message: str, *, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class WavLayout:
    """Where a PCM WAV's samples lie: ``frames`` frames of ``block`` bytes from ``data_offset``."""

    rate: int
    channels: int
    sample_width: int
    data_offset: int
    frames: int

    @property
    def block(self) -> int:
        return self.channels * self.sample_width


def spectrogram_png(
    source: ByteSource, *, start: float, end: float, width: int, height: int
) -> bytes:
    """The PNG (RGB, width x height, low frequencies at the bottom) of [start, end) seconds."""
    layout = wav_layout(source)
    _check_window(start, end, width, height, duration=layout.frames / layout.rate)
    if layout.sample_width != 2:
        raise ValueError(f"expected 16-bit PCM, got {layout.sample_width * 8}-bit")
    columns = _column_frames(source, layout, start=start, end=end, width=width)
    levels = _levels_dbfs(columns)  # (width, bins)
    image = _to_rows(levels, height)  # (height, width), 0..1, top row highest frequency
    return png_rgb(_colour(image))


def wav_layout(source: ByteSource) -> WavLayout:
    """The fmt chunk's format and the data chunk's place, from the RIFF header's chunk list."""
    (head,) = source.read_spans([(0, HEADER_BYTES)])
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")

    def read(offset: int, length: int) -> bytes:
        if offset + length <= len(head):
            return head[offset : offset + length]
        # Past the first read: one more ranged read (ffmpeg's own WAVs never get here).
        (data,) = source.read_spans([(offset, length)])
        return data

    fmt: tuple[int, ...] | None = None
    try:
        for kind, size, position in riff_chunks(read):
            if kind == b"fmt ":
                body = read(position + 8, 16)
                if len(body) < 16:
                    raise ValueError("WAV fmt chunk is cut short")
                # format tag 1 is PCM; 0xFFFE (extensible) carries PCM too, at the same offsets.
                fmt = struct.unpack("<HHIIHH", body)
                if fmt[0] not in (1, 0xFFFE):
                    raise ValueError(f"expected PCM WAV, got format tag {fmt[0]:#x}")
            elif kind == b"data":
                if fmt is None:
                    raise ValueError("WAV data chunk comes before its fmt chunk")
                _tag, channels, rate, _byte_rate, _align, bits = fmt
                block = channels * (bits // 8)
                if not (channels and rate and block):
                    raise ValueError("WAV fmt chunk has no channels, rate or sample size")
                return WavLayout(rate, channels, bits // 8, position + 8, size // block)
    except RiffEnded as ended:
        raise ValueError("WAV file has no data chunk") from ended
    raise ValueError("WAV file has no data chunk")


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
    source: ByteSource, layout: WavLayout, *, start: float, end: float, width: int
) -> np.ndarray:
    """One FFT_SIZE frame centred on each column's time; past either end reads as silence."""
    out = np.zeros((width, FFT_SIZE), dtype=np.float32)
    step = (end - start) / width
    wanted: list[tuple[int, int, int, int]] = []  # column, frame's first, first read, count
    for column in range(width):
        centre = round((start + (column + 0.5) * step) * layout.rate)
        first = centre - FFT_SIZE // 2
        lo, hi = max(first, 0), min(first + FFT_SIZE, layout.frames)
        if hi > lo:
            wanted.append((column, first, lo, hi - lo))
    runs = _runs([(lo * layout.block, count * layout.block) for _, _, lo, count in wanted])
    spans = source.read_spans([(layout.data_offset + at, size) for at, size, _ in runs])
    for (run_at, _size, members), data in zip(runs, spans, strict=True):
        for index in members:
            column, first, lo, count = wanted[index]
            at = lo * layout.block - run_at
            raw = data[at : at + count * layout.block]
            samples = np.frombuffer(raw[: len(raw) - len(raw) % 2], dtype="<i2")
            samples = samples[:: layout.channels]
            out[column, lo - first : lo - first + len(samples)] = samples
    return out


def _runs(spans: list[tuple[int, int]]) -> list[tuple[int, int, list[int]]]:
    """Spans (in increasing order) merged where the gap between them is small: (offset, length,
    indexes of the spans inside)."""
    runs: list[tuple[int, int, list[int]]] = []
    for index, (at, size) in enumerate(spans):
        if runs and at - (runs[-1][0] + runs[-1][1]) <= MERGE_GAP_BYTES:
            run_at, run_size, members = runs[-1]
            members.append(index)
            runs[-1] = (run_at, max(run_size, at + size - run_at), members)
        else:
            runs.append((at, size, [index]))
    return runs


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
