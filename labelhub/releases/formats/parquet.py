"""Hugging Face Parquet: ``parquet/<split>/<split>-00000-of-00001.parquet``, audio embedded.

The layout ``push_to_hub`` writes and the Hub's viewer reads: each row holds the clip as the
``Audio`` feature's ``{bytes, path}`` struct plus text and speaker columns, and the schema
carries the ``huggingface`` features metadata, so ``load_dataset("parquet", data_files=...)``
decodes ``audio`` from the files alone. Rows are buffered up to ``row_group_bytes`` and written
as one row group, so memory holds a few clips, never a split.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from labelhub.releases.formats.base import ITEM_FIELDS, ExportItem, item_fields
from labelhub.releases.formats.sinks import Member, located

# Small enough to bound memory, large enough that readers don't pay per-group overhead per clip.
ROW_GROUP_BYTES = 8 << 20
AUDIO_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
SCHEMA = pa.schema(
    [("audio", AUDIO_TYPE)]
    + [(name, pa.float64() if name == "duration" else pa.string()) for name in ITEM_FIELDS]
)
_FEATURES = {"audio": {"_type": "Audio"}} | {
    name: {"dtype": str(SCHEMA.field(name).type), "_type": "Value"} for name in ITEM_FIELDS
}
SCHEMA = SCHEMA.with_metadata({"huggingface": json.dumps({"info": {"features": _FEATURES}})})


def parquet_name(split: str) -> str:
    return f"parquet/{split}/{split}-00000-of-00001.parquet"


class ParquetSink:
    def __init__(self, scratch: Path, *, row_group_bytes: int = ROW_GROUP_BYTES) -> None:
        self.scratch = scratch
        self.row_group_bytes = row_group_bytes
        self.locations: dict[str, list[str]] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._rows: dict[str, list[dict[str, object]]] = {}
        self._buffered: dict[str, int] = {}

    def add(self, item: ExportItem, audio: Path) -> list[Member]:
        data = audio.read_bytes()
        row = {"audio": {"bytes": data, "path": item.audio_name}} | item_fields(item)
        self._rows.setdefault(item.split, []).append(row)
        self._buffered[item.split] = self._buffered.get(item.split, 0) + len(data)
        located(self.locations, item, f"{parquet_name(item.split)}#{item.item_id}")
        if self._buffered[item.split] >= self.row_group_bytes:
            self._flush(item.split)
        return []

    def finish(self) -> list[Member]:
        for split in sorted(self._rows):
            self._flush(split)
        members = []
        for split, writer in sorted(self._writers.items()):
            writer.close()
            members.append(Member(parquet_name(split), self._path(split)))
        return members

    def _flush(self, split: str) -> None:
        rows = self._rows.pop(split, [])
        self._buffered[split] = 0
        if not rows:
            return
        if split not in self._writers:
            self._writers[split] = pq.ParquetWriter(self._path(split), SCHEMA)
        self._writers[split].write_table(pa.Table.from_pylist(rows, schema=SCHEMA))

    def _path(self, split: str) -> Path:
        return self.scratch / f"parquet-{split}.parquet"
