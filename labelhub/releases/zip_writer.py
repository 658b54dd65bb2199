"""A zip archive written front to back and hashed as it is written.

zipfile.ZipFile writes an entry's header before its data and, on a seekable file, seeks back to
fill in the CRC and sizes once the data is in: each clip cost a flush, a seek and a second
header, the archive's SHA-256 took a read of its own after the build, and a ZipInfo per entry
(~300 bytes) waited in memory for the central directory. Here every entry's CRC and sizes are
known before its header goes out (a clip is read whole, a file over ``block`` bytes is read
twice, a text file is deflated into a scratch file first), so the bytes go out once, in order,
through one SHA-256 (on a thread of their own, beside the build), and each entry's central
directory record goes to a scratch file as the entry is written.

The bytes are the ones zipfile writes for the same entries, ZIP64 records included (tests
compare them), so archives built before this writer are reproduced byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Protocol

# zipfile's limits and record layouts (APPNOTE.TXT 4.3.7, 4.3.12, 4.3.14-16): past ZIP64_LIMIT
# a size or offset moves to a ZIP64 extra field, past FILECOUNT_LIMIT entries the count to the
# ZIP64 end record. zipfile takes 2 GiB, not 4, as its limit; so do we, to write its bytes.
ZIP64_LIMIT = (1 << 31) - 1
FILECOUNT_LIMIT = (1 << 16) - 1
VERSION, ZIP64_VERSION = 20, 45
UTF8_NAME = 0x800
STORED, DEFLATED = 0, 8
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
CENTRAL_RECORD = struct.Struct("<4s4B4HL2L5H2L")
END_RECORD = struct.Struct("<4s4H2LH")
ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")
ZIP64_LOCATOR = struct.Struct("<4sLQL")
# Files up to this size are read in one go; a larger one is read twice (its CRC first).
BLOCK = 4 << 20
# The archive's bytes go to its thread in pieces of about this size, at most this many waiting.
PIECE = 1 << 20
PIECES_WAITING = 4


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def dos_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    """(time, date) as the zip format stores them (two-second resolution, years from 1980)."""
    year, month, day, hour, minute, second = date_time
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day


def _name_and_flags(name: str) -> tuple[bytes, int]:
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), UTF8_NAME


def local_zip64(*, method: int, size: int) -> bool:
    """Whether an entry's local header takes ZIP64 sizes, as zipfile decides it: for data it
    deflates (a text file) when the size plus 5% for deflate's overhead passes ZIP64_LIMIT,
    for data it copies stored through ``ZipFile.open(info, "w")`` (a clip) never (it could not
    store one past the limit at all; here a stored entry past it takes ZIP64 sizes)."""
    if method == STORED:
        return size > ZIP64_LIMIT
    return size * 1.05 > ZIP64_LIMIT


def local_header(
    name: str,
    *,
    method: int,
    crc: int,
    size: int,
    packed_size: int,
    stamp: tuple[int, int],
    zip64: bool,
) -> bytes:
    """An entry's local file header; with ``zip64`` its sizes lie in a ZIP64 extra field."""
    encoded, flags = _name_and_flags(name)
    extra, version = b"", VERSION
    if zip64:
        extra = struct.pack("<HHQQ", 1, 16, size, packed_size)
        size = packed_size = 0xFFFFFFFF
        version = ZIP64_VERSION
    header = LOCAL_HEADER.pack(
        b"PK\x03\x04", version, 0, flags, method, *stamp, crc, packed_size, size,
        len(encoded), len(extra),
    )  # fmt: skip
    return header + encoded + extra


def central_record(
    name: str,
    *,
    method: int,
    crc: int,
    size: int,
    packed_size: int,
    offset: int,
    stamp: tuple[int, int],
    create_system: int,
    external_attr: int,
    local_zip64: bool,
) -> bytes:
    """An entry's central directory record; sizes and offset past ZIP64_LIMIT go to a ZIP64
    extra field. Its versions are the local header's (``local_zip64``: ZIP64's), or ZIP64's
    where the record itself needs the extra field."""
    encoded, flags = _name_and_flags(name)
    version = ZIP64_VERSION if local_zip64 else VERSION
    big: list[int] = []
    if size > ZIP64_LIMIT or packed_size > ZIP64_LIMIT:
        big += [size, packed_size]
        size = packed_size = 0xFFFFFFFF
    if offset > ZIP64_LIMIT:
        big.append(offset)
        offset = 0xFFFFFFFF
    extra = b""
    if big:
        extra = struct.pack(f"<HH{len(big)}Q", 1, 8 * len(big), *big)
        version = ZIP64_VERSION
    record = CENTRAL_RECORD.pack(
        b"PK\x01\x02", version, create_system, version, 0, flags, method, *stamp, crc,
        packed_size, size, len(encoded), len(extra), 0, 0, 0, external_attr, offset,
    )  # fmt: skip
    return record + encoded + extra


def end_records(*, count: int, directory_size: int, directory_offset: int) -> bytes:
    """The end of the archive: a ZIP64 end record and locator first when the entry count, the
    directory's size or its offset passes what the plain end record holds."""
    records = b""
    if count > FILECOUNT_LIMIT or directory_offset > ZIP64_LIMIT or directory_size > ZIP64_LIMIT:
        zip64_end_at = directory_offset + directory_size
        records = ZIP64_END_RECORD.pack(
            b"PK\x06\x06", 44, ZIP64_VERSION, ZIP64_VERSION, 0, 0, count, count,
            directory_size, directory_offset,
        ) + ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, zip64_end_at, 1)  # fmt: skip
        count = min(count, 0xFFFF)
        directory_size = min(directory_size, 0xFFFFFFFF)
        directory_offset = min(directory_offset, 0xFFFFFFFF)
    end = END_RECORD.pack(b"PK\x05\x06", 0, 0, count, count, directory_size, directory_offset, 0)
    return records + end


class _Output:
    """The archive's bytes on their way to disk: gathered into pieces, each hashed and written
    by one thread of their own, in order, while the build reads and hashes the next clips
    (hashlib and file writes let go of the interpreter lock, so the two use both cores)."""

    def __init__(self, path: Path) -> None:
        self.handle: IO[bytes] = path.open("wb", buffering=PIECE)
        self.digest = hashlib.sha256()
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="zip-output")
        self.waiting: deque[Future[None]] = deque()
        self.gathered: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        """Queues ``data`` (immutable bytes, held until written)."""
        self.gathered.append(data)
        self.size += len(data)
        if self.size >= PIECE:
            self._hand_off()

    def finish(self) -> str:
        """Writes what is left and closes the file; returns the SHA-256 of all written."""
        self._hand_off()
        while self.waiting:
            self.waiting.popleft().result()  # raises the thread's error, if any
        self.close()
        return self.digest.hexdigest()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.handle.close()

    def _hand_off(self) -> None:
        if self.gathered:
            self.waiting.append(self.pool.submit(self._put, self.gathered))
            self.gathered, self.size = [], 0
        while len(self.waiting) > PIECES_WAITING:
            self.waiting.popleft().result()

    def _put(self, pieces: list[bytes]) -> None:
        for piece in pieces:
            self.digest.update(piece)
            self.handle.write(piece)


class ZipWriter:
    """Writes ``path`` as a zip, one entry after another; every entry has the same time, file
    mode and "made by" system. ``close`` writes the central directory and returns the
    archive's SHA-256. Scratch files (the directory, deflated texts, a spilled stream) go to
    ``scratch``.
    """

    def __init__(
        self,
        path: Path,
        *,
        scratch: Path,
        date_time: tuple[int, int, int, int, int, int],
        external_attr: int,
        create_system: int,
        block: int = BLOCK,
    ) -> None:
        self.scratch, self.block = scratch, block
        self.stamp = dos_time(date_time)
        self.external_attr, self.create_system = external_attr, create_system
        self.output = _Output(path)
        # Closed, like the archive's output, by close() or on leaving the with block.
        self.directory: IO[bytes] = tempfile.TemporaryFile(dir=scratch)  # noqa: SIM115
        self.offset = self.count = 0

    def __enter__(self) -> ZipWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.output.close()
        self.directory.close()

    def add_bytes(self, name: str, data: bytes) -> str:
        """Stores ``data`` as ``name``; returns the data's SHA-256."""
        self._entry(name, method=STORED, crc=zlib.crc32(data), size=len(data), packed=len(data))
        self._write(data)
        return hashlib.sha256(data).hexdigest()

    def add_file(self, name: str, path: Path) -> str:
        """Stores the file as ``name``; returns its SHA-256."""
        with open(path, "rb", buffering=0) as handle:
            if os.fstat(handle.fileno()).st_size <= self.block:
                return self.add_bytes(name, handle.readall())
            return self._add_twice(name, handle)

    def add_stream(self, name: str, stream: Readable) -> str:
        """Stores what ``stream`` reads as ``name`` (a file's handle on object storage, say);
        past ``block`` bytes it goes through a scratch file first; returns its SHA-256."""
        head = bytearray()
        while len(head) <= self.block and (piece := stream.read(self.block)):
            head += piece
        if len(head) <= self.block:
            return self.add_bytes(name, bytes(head))
        with tempfile.NamedTemporaryFile(dir=self.scratch) as spilled:
            spilled.write(head)
            shutil.copyfileobj(stream, spilled, self.block)
            spilled.flush()
            return self.add_file(name, Path(spilled.name))

    def add_deflated(self, name: str, path: Path) -> None:
        """Deflates the file into the zip as ``name``, as zipfile does (level 6, raw deflate)."""
        deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        crc = size = 0
        with path.open("rb") as source, tempfile.TemporaryFile(dir=self.scratch) as packed:
            while block := source.read(self.block):
                crc, size = zlib.crc32(block, crc), size + len(block)
                packed.write(deflate.compress(block))
            packed.write(deflate.flush())
            packed_size = packed.tell()
            self._entry(name, method=DEFLATED, crc=crc, size=size, packed=packed_size)
            packed.seek(0)
            while block := packed.read(PIECE):
                self._write(block)

    def close(self) -> str:
        """Writes the central directory and the end records; returns the archive's SHA-256."""
        directory_offset, directory_size = self.offset, self.directory.tell()
        self.directory.seek(0)
        while block := self.directory.read(PIECE):
            self._write(block)
        self._write(
            end_records(
                count=self.count, directory_size=directory_size, directory_offset=directory_offset
            )
        )
        self.directory.close()
        return self.output.finish()

    def _add_twice(self, name: str, handle: IO[bytes]) -> str:
        # The CRC must be in the header, before the data: one read for it and the hash, one to
        # copy. A file that changes in between would corrupt the entry, so the copy checks it.
        digest, crc, size = hashlib.sha256(), 0, 0
        while block := handle.read(self.block):
            digest.update(block)
            crc, size = zlib.crc32(block, crc), size + len(block)
        self._entry(name, method=STORED, crc=crc, size=size, packed=size)
        handle.seek(0)
        copied_crc = copied = 0
        while copied < size and (block := handle.read(min(PIECE, size - copied))):
            copied_crc, copied = zlib.crc32(block, copied_crc), copied + len(block)
            self._write(block)
        if (copied_crc, copied) != (crc, size):
            raise OSError(f"{name}: the file changed while it was copied into the archive")
        return digest.hexdigest()

    def _entry(self, name: str, *, method: int, crc: int, size: int, packed: int) -> None:
        zip64 = local_zip64(method=method, size=size)
        record = central_record(
            name, method=method, crc=crc, size=size, packed_size=packed, offset=self.offset,
            stamp=self.stamp, create_system=self.create_system, external_attr=self.external_attr,
            local_zip64=zip64,
        )  # fmt: skip
        self.directory.write(record)
        self.count += 1
        header = local_header(
            name, method=method, crc=crc, size=size, packed_size=packed, stamp=self.stamp,
            zip64=zip64,
        )  # fmt: skip
        self._write(header)

    def _write(self, data: bytes) -> None:
        self.output.write(data)
        self.offset += len(data)
