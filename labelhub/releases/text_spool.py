"""The release archive's text files, spooled to disk as they are made, then copied into the zip.

Every format's metadata, the manifests and the datasheets come to a few KB a clip: 300 MB for a
release of 100,000 clips, which a build held in memory until the zip took them. Each file is
now written to a scratch file piece by piece (hashed on the way, SpoolWriter), so memory holds
one piece, and it goes into the zip deflated from there. Deflate's output does not depend on how
its input is cut up, and the entry is stamped as before, so the archive's bytes are unchanged
(releases.zip_writer deflates it).
The checksums of every file (ChecksumSpool) wait on disk too, in sorted runs, until SHA256SUMS
is written from them.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# Pieces are gathered up to this many characters before one encode, hash and write: a few
# hundred lines a write rather than one, in well under a megabyte of memory.
PIECE_CHARS = 1 << 18
COPY_BYTES = 1 << 20
# Checksums held before a sorted run of them goes to disk: ~3 MB of (name, digest) pairs.
CHECKSUM_RUN = 20_000


@dataclass(frozen=True)
class SpooledText:
    """One text file on disk: its UTF-8 bytes at ``path``, their SHA-256 and length."""

    path: Path
    sha256: str
    size: int


class SpoolWriter:
    """One text file being written to ``path`` piece by piece, hashed on the way."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] = path.open("wb")
        self.digest, self.size = hashlib.sha256(), 0
        self.gathered: list[str] = []
        self.count = 0

    def write(self, piece: str) -> None:
        self.gathered.append(piece)
        self.count += len(piece)
        if self.count >= PIECE_CHARS:
            self._flush()

    def writelines(self, pieces: Iterable[str]) -> None:
        for piece in pieces:
            self.write(piece)

    def close(self) -> SpooledText:
        """Ends the file; returns where it lies, its hash and size."""
        self._flush()
        self.handle.close()
        return SpooledText(self.path, self.digest.hexdigest(), self.size)

    def _flush(self) -> None:
        if not self.gathered:
            return
        data = "".join(self.gathered).encode("utf-8")
        self.digest.update(data)
        self.handle.write(data)
        self.size += len(data)
        self.gathered, self.count = [], 0


class TextSpool:
    """Text files by their name in the archive, each in a scratch file of its own in ``folder``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.files: dict[str, SpooledText] = {}
        self.made = 0

    def writer(self) -> SpoolWriter:
        """A scratch text file of the spool's, not yet one of its named files."""
        self.made += 1
        return SpoolWriter(self.folder / f"{self.made:06d}.txt")

    def write(self, name: str, pieces: Iterable[str]) -> SpooledText:
        """Writes the file from its pieces (strings, joined as they are), hashing as it goes."""
        if name in self.files:
            raise ValueError(f"two text files named {name!r}")
        writer = self.writer()
        writer.writelines(pieces)
        spooled = self.files[name] = writer.close()
        return spooled

    def sorted(self) -> list[tuple[str, SpooledText]]:
        return sorted(self.files.items())


class ChecksumSpool:
    """(name, SHA-256) of every file in the archive, read back sorted by name.

    Kept in memory up to CHECKSUM_RUN pairs, then sorted and written to disk as a run; the runs
    are merged when read. A list of them all was ~200 bytes a file, for the whole build.
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.pending: list[tuple[str, str]] = []
        self.runs: list[Path] = []

    def add(self, name: str, digest: str) -> None:
        self.pending.append((name, digest))
        if len(self.pending) >= CHECKSUM_RUN:
            self._spill()

    def sorted(self) -> Iterator[tuple[str, str]]:
        """Every (name, digest), by name (then digest), as sorted() of them all would give."""
        self._spill()
        handles = [run.open(encoding="utf-8", newline="\n") for run in self.runs]
        try:
            yield from heapq.merge(*(map(_pair, handle) for handle in handles))
        finally:
            for handle in handles:
                handle.close()

    def _spill(self) -> None:
        if not self.pending:
            return
        path = self.folder / f"{len(self.runs):06d}.sums"
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            # A NUL and a newline never occur in an archive's names (nor in a hex digest).
            handle.writelines(f"{name}\0{digest}\n" for name, digest in sorted(self.pending))
        self.runs.append(path)
        self.pending = []


def _pair(line: str) -> tuple[str, str]:
    name, digest = line.rstrip("\n").split("\0")
    return name, digest
