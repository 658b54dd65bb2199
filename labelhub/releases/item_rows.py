"""The rows that become a release's ReleaseItems, spooled to disk while its archive is written.

A list of them held ~300 bytes a clip (the row, its path and its hash) from the first clip to
the publish; a scratch file holds them at a few bytes of memory. They are read back once, in
the order they were added, when the publish writes them (releases.services._items_store).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

# Rows kept in memory before the scratch file goes to disk: a small release never touches it.
IN_MEMORY_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class ItemRow:
    """What becomes a ReleaseItem."""

    recording_id: int
    revision_id: int
    consent_id: int
    split: str
    path: str
    sha256: str
    span_seconds: tuple[float, float] | None = None


class ItemRows:
    """Item rows, one JSON line each, in a temporary file (removed when closed or collected)."""

    def __init__(self) -> None:
        # Open for the rows' lifetime, past the build that adds them: closed by close().
        self.file = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=IN_MEMORY_BYTES, mode="w+", encoding="utf-8", newline="\n"
        )
        self.count = 0

    def append(self, row: ItemRow) -> None:
        fields = [row.recording_id, row.revision_id, row.consent_id, row.split, row.path]
        fields += [row.sha256, row.span_seconds]
        self.file.write(json.dumps(fields, ensure_ascii=False) + "\n")
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[ItemRow]:
        self.file.seek(0)
        for line in self.file:
            recording_id, revision_id, consent_id, split, path, sha256, span = json.loads(line)
            span_seconds = (span[0], span[1]) if span is not None else None
            yield ItemRow(recording_id, revision_id, consent_id, split, path, sha256, span_seconds)
        self.file.seek(0, 2)  # back to the end, where the next row goes

    def close(self) -> None:
        self.file.close()
