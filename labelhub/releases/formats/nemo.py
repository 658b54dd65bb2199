"""NeMo ASR manifests: ``<split>_manifest.jsonl`` at the release root.

NeMo resolves a relative ``audio_filepath`` against the manifest's folder, which is why the
manifests sit at the root, beside the split folders that hold the audio.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial

from labelhub.releases.formats.base import (
    ExportItem,
    Files,
    Streams,
    by_split,
    check_items,
    joined,
    jsonl_lines,
)

COLUMNS = (
    "audio_filepath",
    "duration",
    "text",
    "item_id",
    "speaker_id",
    "gender",
    "age_band",
    "region",
    "dialect",
    "lang",  # NeMo's multilingual tokenizers read the language from "lang"
)


def nemo_files(items: Iterable[ExportItem]) -> Files:
    return joined(nemo_streams(items))


def nemo_streams(items: Iterable[ExportItem]) -> Streams:
    return {
        f"{split}_manifest.jsonl": partial(_lines, group)
        for split, group in by_split(check_items(items)).items()
    }


def _lines(items: list[ExportItem]) -> Iterator[str]:
    return jsonl_lines(_row(item) for item in items)


def _row(item: ExportItem) -> dict[str, object]:
    core: tuple[str | float, ...] = (
        item.audio_name,
        item.duration,
        item.text,
        item.item_id,
        item.speaker_id,
    )
    core += (item.gender, item.age_band, item.region, item.dialect, item.language)
    row: dict[str, object] = dict(zip(COLUMNS, core, strict=True))
    return row | {key: value for key, value in item.extra.items() if key not in row}
