"""Hugging Face Parquet: ``parquet/<split>/<split>-00000-of-00001.parquet``, audio embedded.

The layout ``push_to_hub`` writes and the Hub's viewer reads: each row holds the clip as the
``Audio`` feature's ``{bytes, path}`` struct plus text and speaker columns, and the schema
carries the ``huggingface`` features metadata, so ``load_dataset("parquet", data_files=...)``
decodes ``audio`` from the files alone. Rows are buffered up to ``row_group_bytes`` and written
as one row group, so memory holds a few clips, never a split.
"""

from __future__ import annotations

import json
from array import array
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from labelhub.releases.formats.base import ITEM_FIELDS, ExportItem, item_fields, parquet_name
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
        self._writers[split].write_table(_table(rows))

    def _path(self, split: str) -> Path:
        return self.scratch / f"parquet-{split}.parquet"


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    """The rows as a table, built from buffers: pa.array and Table.from_pylist first check
    whether a value is a pandas object, which imports pandas, ~80 MB of RSS for a build."""
    audio = pa.StructArray.from_arrays(
        [
            _binary(pa.binary(), [row["audio"]["bytes"] for row in rows]),
            _binary(pa.string(), [row["audio"]["path"].encode() for row in rows]),
        ],
        fields=list(AUDIO_TYPE),
    )
    columns: list[pa.Array[Any]] = [audio]
    for field in list(SCHEMA)[1:]:
        values = [row[field.name] for row in rows]
        if field.type == pa.float64():
            columns.append(
                pa.Array.from_buffers(field.type, len(rows), [None, _buffer("d", values)])
            )
        else:
            columns.append(_binary(field.type, [str(value).encode() for value in values]))
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def _binary(kind: pa.DataType, values: list[bytes]) -> pa.Array[Any]:
    offsets = [0]
    for value in values:
        offsets.append(offsets[-1] + len(value))
    data = pa.py_buffer(b"".join(values))
    return pa.Array.from_buffers(kind, len(values), [None, _buffer("i", offsets), data])


def _buffer(code: str, values: list[int] | list[float]) -> pa.Buffer:
    return pa.py_buffer(array(code, values).tobytes())
