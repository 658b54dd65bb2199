"""What every export format shares: the item, the audio layout and the checks on both.

Audio layout, one decision for all formats: each item's audio is stored once, at
``<split>/audio/<speaker>/<uid>.wav`` (see :func:`audio_name`). That is the Hugging Face
``audiofolder`` layout, so the split folders load as they are, and the NeMo manifests, Kaldi
``wav.scp`` files and Common Voice TSVs point at those same files instead of holding copies.
Every path a format writes is relative to the release root. With the spec's ``audio_format``
"flac" the same layout holds ``.flac`` files; the suffix of ``audio_name`` is the one place that
says which, so every format follows it. ``originals/`` (the raw uploads, when shipped) and
``kaldi/`` are taken at the root, as are ``commonvoice/``, ``lhotse/``, ``webdataset/`` and
``parquet/``, so no split may use those names. Long-form releases add ``sources/`` (each source
whose segments ship, whole, for Kaldi's ``segments``) and ``transcripts/`` (WebVTT, TextGrid).

A segment item (an item with a ``span``) still has its own cut at ``audio_name``; its span says
where that cut lies in its source, in samples, so every format agrees on the same samples.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# A format's output: relative path inside the release -> file content.
Files = dict[str, str]
# The same, as it is written: each file's content in pieces, made only when read, so a release
# of 100,000 clips never holds its metadata files (a few KB a clip) in memory at once.
Streams = dict[str, Callable[[], Iterator[str]]]

_SPLIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
RESERVED_TOP_LEVEL = {
    "kaldi",
    "originals",
    "commonvoice",
    "lhotse",
    "webdataset",
    "parquet",
    "sources",
    "transcripts",
}


@dataclass(frozen=True)
class Span:
    """Where a segment's cut lies in its long-form source: samples [first, stop) of the source's
    normalised audio, which holds ``frames`` samples at ``sample_rate``."""

    source_id: str  # the source's uid: Kaldi's recording-id, the transcripts' file name
    source_audio: str  # the whole source in the release, e.g. "sources/<uid>.wav"
    first: int
    stop: int
    sample_rate: int
    frames: int

    @property
    def start(self) -> float:
        return self.first / self.sample_rate

    @property
    def end(self) -> float:
        return self.stop / self.sample_rate

    @property
    def source_seconds(self) -> float:
        return self.frames / self.sample_rate


def source_audio_name(source_id: str, suffix: str = ".wav") -> str:
    """Where a long-form source's whole audio lives inside the release."""
    return f"sources/{source_id}{suffix}"


def seconds_text(frames: int, sample_rate: int) -> str:
    """A sample position as seconds, exactly for 16 kHz (k/16000 has at most 7 decimals), with
    no trailing zeros: Kaldi rounds seconds times the rate back to the same sample."""
    return f"{frames / sample_rate:.7f}".rstrip("0").rstrip(".")


# Slotted: a release build holds one per item until the metadata files are written.
@dataclass(frozen=True, slots=True)
class ExportItem:
    item_id: str
    split: str
    audio_name: str  # e.g. "train/audio/SPK-1/<uid>.wav" (or .flac); see audio_name()
    text: str
    duration: float
    speaker_id: str
    gender: str  # Gender value (campaigns.demographics): "female", "male", "other" (or "")
    age_band: str  # AgeBand value (campaigns.demographics): "20s", ..., "70s+" (or "")
    region: str
    dialect: str
    language: str
    extra: Mapping[str, object] = field(default_factory=dict)
    # Reviewers' decisions on the clip: approvals (edited ones included) and returns.
    up_votes: int = 0
    down_votes: int = 0
    # Set on a segment of a long-form source; None on a clip.
    span: Span | None = None


# What a row-per-clip format (WebDataset's .json, Parquet columns) says of each item.
ITEM_FIELDS = (
    "text",
    "item_id",
    "speaker_id",
    "gender",
    "age_band",
    "region",
    "dialect",
    "language",
    "duration",
)


def item_fields(item: ExportItem) -> dict[str, object]:
    return {name: getattr(item, name) for name in ITEM_FIELDS}


def parquet_name(split: str) -> str:
    # Here, not in formats.parquet: naming the file must not import pyarrow (~50 MB of RSS).
    return f"parquet/{split}/{split}-00000-of-00001.parquet"


def audio_name(split: str, speaker_id: str, uid: str, suffix: str = ".wav") -> str:
    """Where an item's audio lives inside the release."""
    return f"{split}/audio/{speaker_id}/{uid}{suffix}"


class CheckedItems(list[ExportItem]):
    """Items that check_items passed, in its order: checked once for all formats."""


def check_items(items: Iterable[ExportItem]) -> list[ExportItem]:
    """Refuses what no format could write correctly; returns the items in a stable order."""
    if isinstance(items, CheckedItems):
        return items
    seen: set[str] = set()
    for item in items:
        if item.item_id in seen:
            raise ValueError(f"item id {item.item_id!r} appears twice")
        seen.add(item.item_id)
        if not _SPLIT_NAME.fullmatch(item.split) or item.split in RESERVED_TOP_LEVEL:
            raise ValueError(f"item {item.item_id!r}: {item.split!r} is not a usable split name")
        path = PurePosixPath(item.audio_name)
        if path.is_absolute() or ".." in path.parts or "\\" in item.audio_name:
            raise ValueError(f"item {item.item_id!r}: audio_name must be relative, inside the root")
        if path.parts[0] != item.split or len(path.parts) < 2:
            raise ValueError(
                f"item {item.item_id!r}: audio {item.audio_name!r} is not under {item.split}/; "
                "each split folder holds its own audio"
            )
        span = item.span
        if span is not None and not 0 <= span.first < span.stop <= span.frames:
            raise ValueError(
                f"item {item.item_id!r}: span [{span.first}, {span.stop}) is not inside its "
                f"source's {span.frames} samples"
            )
    return CheckedItems(sorted(items, key=lambda item: item.audio_name))


def by_split(items: Iterable[ExportItem]) -> dict[str, list[ExportItem]]:
    groups: dict[str, list[ExportItem]] = {}
    for item in items:
        groups.setdefault(item.split, []).append(item)
    return dict(sorted(groups.items()))


def one_line(value: object) -> str:
    """Line- and tab-based formats (Kaldi text, TSV) break on embedded whitespace runs."""
    return " ".join(str(value).split())


def extra_columns(items: Iterable[ExportItem], reserved: Iterable[str]) -> list[str]:
    """Extra keys as columns; the fixed columns win a name clash so they keep their meaning."""
    taken = set(reserved)
    return sorted({key for item in items for key in item.extra if key not in taken})


def jsonl(rows: Iterable[Mapping[str, object]]) -> str:
    return "".join(jsonl_lines(rows))


def jsonl_lines(rows: Iterable[Mapping[str, object]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def joined(streams: Streams) -> Files:
    """A format's streams as whole texts (for tests and small exports)."""
    return {name: "".join(make()) for name, make in streams.items()}


def write_files(files: Mapping[str, str], root: Path) -> list[Path]:
    """Writes a format's files under ``root`` as UTF-8 with "\\n" line ends."""
    written = []
    for name, content in sorted(files.items()):
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"refusing to write {name!r} outside the release root")
        path = Path(root, *relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="\n")
        written.append(path)
    return written
