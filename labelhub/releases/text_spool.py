"""The release archive's text files, spooled to disk as they are made, then copied into the zip.

Every format's metadata, the manifests and the datasheets come to a few KB a clip: 300 MB for a
release of 100,000 clips, which a build held in memory until the zip took them. Each file is
now written to a scratch file piece by piece (hashed on the way), so memory holds one piece,
and it goes into the zip deflated from there. Deflate's output does not depend on how its input
is cut up, and the entry is stamped as before, so the archive's bytes are unchanged.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Pieces are gathered up to this many characters before one encode, hash and write: a few
# hundred lines a write rather than one, in well under a megabyte of memory.
PIECE_CHARS = 1 << 18
COPY_BYTES = 1 << 20


@dataclass(frozen=True)
class SpooledText:
    """One text file on disk: its UTF-8 bytes at ``path``, their SHA-256 and length."""

    path: Path
    sha256: str
    size: int


class TextSpool:
    """Text files by their name in the archive, each in a scratch file of its own in ``folder``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.files: dict[str, SpooledText] = {}

    def write(self, name: str, pieces: Iterable[str]) -> SpooledText:
        """Writes the file from its pieces (strings, joined as they are), hashing as it goes."""
        if name in self.files:
            raise ValueError(f"two text files named {name!r}")
        path = self.folder / f"{len(self.files):06d}.txt"
        digest, size = hashlib.sha256(), 0
        with path.open("wb") as handle:
            for block in _blocks(pieces):
                data = block.encode("utf-8")
                digest.update(data)
                handle.write(data)
                size += len(data)
        spooled = SpooledText(path, digest.hexdigest(), size)
        self.files[name] = spooled
        return spooled

    def sorted(self) -> list[tuple[str, SpooledText]]:
        return sorted(self.files.items())


def _blocks(pieces: Iterable[str]) -> Iterable[str]:
    gathered: list[str] = []
    count = 0
    for piece in pieces:
        gathered.append(piece)
        count += len(piece)
        if count >= PIECE_CHARS:
            yield "".join(gathered)
            gathered, count = [], 0
    if gathered:
        yield "".join(gathered)


def copy_into(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, spooled: SpooledText) -> None:
    """Copies a spooled file into the zip as ``info``, as ZipFile.writestr would its bytes."""
    # writestr sets the size before it opens the entry (which decides ZIP64 from it): the same.
    info.file_size = spooled.size
    with spooled.path.open("rb") as source, bundle.open(info, "w") as target:
        while block := source.read(COPY_BYTES):
            target.write(block)
