"""Formats that need each clip's audio, fed one clip at a time while the archive is written.

A sink takes ``add(item, audio)`` per item and ``finish()`` once. Both return the files that are
ready to go into the archive (a closed WebDataset shard, a finished Parquet file, a clip to copy
under another name), so the release build copies them in and memory holds one clip, never the
release. ``locations`` maps each item id to where the sink put it (``member`` or
``member#row-key``), which is what a withdrawal's removal list needs to find it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from labelhub.releases.formats.base import ExportItem


@dataclass(frozen=True)
class Member:
    """A file to copy into the archive at ``name``; ``scratch`` ones are deleted once copied."""

    name: str
    path: Path
    scratch: bool = True


class Sink(Protocol):
    locations: dict[str, list[str]]

    def add(self, item: ExportItem, audio: Path) -> list[Member]: ...

    def finish(self) -> list[Member]: ...


def located(locations: dict[str, list[str]], item: ExportItem, *where: str) -> None:
    locations.setdefault(item.item_id, []).extend(where)
