"""WebDataset shards: ``webdataset/<split>-000000.tar`` holding ``<key>.wav`` + ``<key>.json``.

WebDataset groups tar members into samples by the name up to the first dot, so the key is the
item id (a uuid hex, no dots) and both members of a sample sit next to each other. A shard is
closed once the next clip would take it past ``shard_bytes`` (about 1 GB, the size WebDataset's
own docs recommend for streaming). Tar headers carry fixed times and owners, so the same items
give the same shard bytes.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path, PurePosixPath

from labelhub.releases.formats.base import ExportItem, item_fields
from labelhub.releases.formats.sinks import Member, located

SHARD_BYTES = 1_000_000_000
# A tar member costs a 512-byte header plus padding to 512 bytes.
_TAR_OVERHEAD = 1024


class WebDatasetSink:
    def __init__(self, scratch: Path, *, shard_bytes: int = SHARD_BYTES) -> None:
        self.scratch = scratch
        self.shard_bytes = shard_bytes
        self.locations: dict[str, list[str]] = {}
        self._open: dict[str, tuple[tarfile.TarFile, Path, str]] = {}
        self._counts: dict[str, int] = {}

    def add(self, item: ExportItem, audio: Path) -> list[Member]:
        suffix = PurePosixPath(item.audio_name).suffix
        meta = json.dumps(item_fields(item), ensure_ascii=False).encode("utf-8")
        size = audio.stat().st_size + len(meta) + 2 * _TAR_OVERHEAD
        ready = []
        # Closing pads the tar to a whole record, so that much room is kept for it.
        room = self.shard_bytes - tarfile.RECORDSIZE
        if item.split in self._open and self._size(item.split) + size > room:
            ready.append(self._close(item.split))
        shard, _, name = self._shard(item.split)
        with audio.open("rb") as handle:
            shard.addfile(_info(f"{item.item_id}{suffix}", audio.stat().st_size), handle)
        shard.addfile(_info(f"{item.item_id}.json", len(meta)), io.BytesIO(meta))
        located(
            self.locations, item, f"{name}#{item.item_id}{suffix}", f"{name}#{item.item_id}.json"
        )
        return ready

    def finish(self) -> list[Member]:
        return [self._close(split) for split in sorted(self._open)]

    def _size(self, split: str) -> int:
        return self._open[split][1].stat().st_size

    def _shard(self, split: str) -> tuple[tarfile.TarFile, Path, str]:
        if split not in self._open:
            number = self._counts.get(split, 0)
            self._counts[split] = number + 1
            name = f"webdataset/{split}-{number:06d}.tar"
            path = self.scratch / f"wds-{split}-{number:06d}.tar"
            # Held open across add() calls, one per split; _close() closes it.
            shard = tarfile.open(path, "w", format=tarfile.USTAR_FORMAT)  # noqa: SIM115
            self._open[split] = (shard, path, name)
        return self._open[split]

    def _close(self, split: str) -> Member:
        shard, path, name = self._open.pop(split)
        shard.close()
        return Member(name, path)


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, 0, 0o644
    return info
