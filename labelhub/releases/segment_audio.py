"""Audio of long-form segments in a release: each cut sample-exactly from its source's
normalised WAV, and each source shipped once, whole, for Kaldi's ``segments``.

The archive writes items grouped by source (archive._item_order), so one source is open at a
time: its normalised WAV is made local once (a copy when it lives in object storage), each
segment is read with a seek, never the whole file, and written as a small WAV of its own. The
span becomes samples through recordings.segments.segment_frames, the one rounding rule the
workbench uses too. When the next source begins, the finished one is written whole under
``sources/``, with every sample outside the release's segments set to zero: the file keeps its
length, so Kaldi's times hold, but speech that is not delivered (a segment still unreviewed,
excluded, removed, or of a speaker whose consent does not allow delivery) never leaves.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy
import soundfile

from labelhub.recordings.models import Recording
from labelhub.recordings.segments import segment_frames
from labelhub.releases.formats.base import Span
from labelhub.storage import local_path

BLOCK_FRAMES = 1 << 16
# A span may end past the file by a rounding (segments keep milliseconds, the file whole
# samples); more than this is a wrong span, and the build says so rather than cut it short.
OVERSHOOT_SECONDS = 0.01


@dataclass(frozen=True)
class FinishedSource:
    """A source's whole audio, masked to the release's segments, in a scratch file."""

    source_id: str
    path: Path
    seconds: float


class SourceAudio:
    """Cuts segments from their sources, one source open at a time."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self._stack = ExitStack()
        self._source: Recording | None = None
        self._wav: soundfile.SoundFile | None = None
        self._spans: list[tuple[int, int]] = []
        self._done: set[int] = set()

    @property
    def current(self) -> int | None:
        return self._source.pk if self._source is not None else None

    def cut(
        self, segment: Recording, seconds: tuple[float, float], *, source_audio: str
    ) -> tuple[Path, Span]:
        """The segment's samples from ``seconds`` (start, end) as a WAV in scratch (overwritten
        by the next cut), and its span."""
        source = segment.source
        if source is None:
            raise ValueError(f"recording {segment.pk} is not a segment: it has no source")
        if self._source is None:
            self._open(source)
        elif self._source.pk != source.pk:
            raise ValueError(f"source {self._source.uid} is still open; close it first")
        wav = self._wav
        assert wav is not None
        first, stop = self._frames(segment, seconds, wav)
        path = self.scratch / "segment.wav"
        with soundfile.SoundFile(
            path, "w", samplerate=wav.samplerate, channels=wav.channels, format="WAV",
            subtype=wav.subtype,
        ) as cut:  # fmt: skip
            _copy_frames(wav, cut, first, stop)
        self._spans.append((first, stop))
        span = Span(str(source.uid), source_audio, first, stop, wav.samplerate, wav.frames)
        return path, span

    def close(self) -> FinishedSource | None:
        """Writes the open source whole, silent outside the spans cut from it, and closes it."""
        if self._source is None:
            return None
        wav, source = self._wav, self._source
        assert wav is not None
        path = self.scratch / f"source-{source.uid}.wav"
        seconds = wav.frames / wav.samplerate
        try:
            with soundfile.SoundFile(
                path, "w", samplerate=wav.samplerate, channels=wav.channels, format="WAV",
                subtype=wav.subtype,
            ) as whole:  # fmt: skip
                position = 0
                for first, stop in _merged(self._spans):
                    _write_silence(whole, first - position)
                    _copy_frames(wav, whole, first, stop)
                    position = stop
                _write_silence(whole, wav.frames - position)
        finally:
            self._stack.close()
            self._stack = ExitStack()
            self._done.add(source.pk)
            self._source, self._wav, self._spans = None, None, []
        return FinishedSource(str(source.uid), path, seconds)

    def _open(self, source: Recording) -> None:
        if source.pk in self._done:
            raise ValueError(
                f"source {source.uid} was shipped already; its segments must be together"
            )
        if source.status != Recording.Status.READY or not source.normalised_file:
            raise ValueError(f"source {source.uid} has no normalised audio ({source.status})")
        path = self._stack.enter_context(local_path(source.normalised_file))
        self._wav = self._stack.enter_context(soundfile.SoundFile(path))
        self._source = source

    @staticmethod
    def _frames(
        segment: Recording, seconds: tuple[float, float], wav: soundfile.SoundFile
    ) -> tuple[int, int]:
        start, end = seconds
        first, stop = segment_frames(
            start_seconds=start, end_seconds=end, sample_rate=wav.samplerate
        )
        if stop - wav.frames > OVERSHOOT_SECONDS * wav.samplerate:
            raise ValueError(
                f"segment {segment.uid} ends at {end} s, past the end of its "
                f"source ({wav.frames / wav.samplerate:.3f} s)"
            )
        stop = min(stop, wav.frames)
        if not 0 <= first < stop:
            raise ValueError(f"segment {segment.uid} holds no sample of its source")
        return first, stop


def _copy_frames(wav: soundfile.SoundFile, target: soundfile.SoundFile, first: int, stop: int):
    """Copies samples [first, stop) of ``wav`` with a seek, a block at a time; int32 carries
    16- and 24-bit samples exactly."""
    wav.seek(first)
    left = stop - first
    while left > 0:
        block = wav.read(min(left, BLOCK_FRAMES), dtype="int32", always_2d=True)
        if not len(block):
            raise ValueError("the source's audio ends before its header says")
        target.write(block)
        left -= len(block)


def _write_silence(target: soundfile.SoundFile, frames: int) -> None:
    zeros = numpy.zeros((min(frames, BLOCK_FRAMES), target.channels), dtype="int32")
    while frames > 0:
        target.write(zeros[: min(frames, BLOCK_FRAMES)])
        frames -= BLOCK_FRAMES


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping or touching ones joined."""
    merged: list[tuple[int, int]] = []
    for first, stop in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((first, stop))
    return merged
