"""Hugging Face ``audiofolder``: ``<split>/metadata.jsonl`` beside each split's audio.

``datasets.load_dataset("audiofolder", data_dir=<release root>)`` finds splits by folder name
alone, so split names must be ones it knows ("dev" loads as "validation"), and no folder below a
split may look like a split's name: a speaker folder "SPK-test" inside train/ makes datasets see
a test split, and a release without one then fails to load. Both are refused here rather than
discovered by the client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import PurePosixPath

from labelhub.releases.formats.base import (
    ExportItem,
    Files,
    Streams,
    by_split,
    check_items,
    extra_columns,
    joined,
    jsonl_lines,
)

# datasets.data_files.SPLIT_KEYWORDS: folder names load_dataset maps to a split.
HF_SPLIT_FOLDERS = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "valid": "validation",
    "dev": "validation",
    "val": "validation",
    "test": "test",
    "testing": "test",
    "eval": "test",
    "evaluation": "test",
}
# The folder patterns datasets globs with: a keyword alone or bounded by -._ space or digits.
_LOOKS_LIKE_SPLIT = re.compile(
    r"(?:^|[-._ 0-9])(?:" + "|".join(HF_SPLIT_FOLDERS) + r")(?:$|[-._ 0-9])"
)
COLUMNS = (
    "file_name",
    "transcription",
    "item_id",
    "speaker_id",
    "gender",
    "age_band",
    "region",
    "dialect",
    "language",
    "duration",
)


def audiofolder_files(items: Iterable[ExportItem]) -> Files:
    return joined(audiofolder_streams(items))


def audiofolder_streams(items: Iterable[ExportItem]) -> Streams:
    items = check_items(items)
    _check_split_folders(items)
    extras = extra_columns(items, COLUMNS)
    return {
        f"{split}/metadata.jsonl": partial(_lines, group, extras)
        for split, group in by_split(items).items()
    }


def _lines(items: list[ExportItem], extras: list[str]) -> Iterator[str]:
    return jsonl_lines(_row(item, extras) for item in items)


def _row(item: ExportItem, extras: list[str]) -> dict[str, object]:
    # file_name is relative to the metadata file, which sits in the split folder.
    file_name = PurePosixPath(item.audio_name).relative_to(item.split).as_posix()
    core: tuple[str | float, ...] = (
        file_name,
        item.text,
        item.item_id,
        item.speaker_id,
        item.gender,
        item.age_band,
    )
    core += (item.region, item.dialect, item.language, item.duration)
    # Every row gets every column: datasets infers one schema for the whole split.
    return dict(zip(COLUMNS, core, strict=True)) | {key: item.extra.get(key) for key in extras}


def looks_like_split(folder: str) -> bool:
    """Whether datasets would read a folder of this name as a split of its own."""
    return bool(_LOOKS_LIKE_SPLIT.search(folder))


def _check_split_folders(items: list[ExportItem]) -> None:
    loads_as: dict[str, str] = {}
    for item in items:
        hf_split = HF_SPLIT_FOLDERS.get(item.split)
        if hf_split is None:
            raise ValueError(
                f"split {item.split!r} has no audiofolder equivalent; "
                f"use one of {sorted(HF_SPLIT_FOLDERS)}"
            )
        if loads_as.setdefault(hf_split, item.split) != item.split:
            raise ValueError(
                f"splits {loads_as[hf_split]!r} and {item.split!r} would both load as {hf_split!r}"
            )
        for part in PurePosixPath(item.audio_name).parts[1:-1]:
            if looks_like_split(part):
                raise ValueError(
                    f"{item.audio_name!r}: folder {part!r} looks like a split name to datasets, "
                    "which would read a split there"
                )
