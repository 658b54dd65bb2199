"""ZipWriter writes, front to back, the bytes zipfile wrote for the release archive's entries."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from labelhub.releases.zip_writer import (
    DEFLATED,
    STORED,
    ZIP64_LIMIT,
    ZipWriter,
    central_record,
    dos_time,
    end_records,
    local_header,
)

WHEN = (1980, 1, 1, 0, 0, 0)
MODE = 0o100644 << 16
UNIX = 3


def _info(name: str, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=WHEN)
    info.compress_type, info.create_system, info.external_attr = method, UNIX, MODE
    return info


def _zipfile_archive(path: Path, entries: list[tuple[str, int, bytes]]) -> None:
    """The archive as releases wrote it through zipfile: stored entries through open("w"),
    text entries deflated with their size set first (as writestr does)."""
    with zipfile.ZipFile(path, "w") as bundle:
        for name, method, data in entries:
            info = _info(name, method)
            if method == DEFLATED:
                info.file_size = len(data)
            with bundle.open(info, "w") as target:
                for start in range(0, max(len(data), 1), 700):
                    target.write(data[start : start + 700])


def _writer(path: Path, scratch: Path, *, block: int = 1024) -> ZipWriter:
    return ZipWriter(
        path, scratch=scratch, date_time=WHEN, external_attr=MODE, create_system=UNIX, block=block
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_archive_is_byte_for_byte_what_zipfile_writes(tmp_path):
    clip, long_clip = bytes(range(256)) * 3, bytes(range(251)) * 40  # under and over the block
    text = "경기도 화자가 읽은 문장\n".encode() * 300
    files = tmp_path / "files"
    files.mkdir()
    (files / "clip.wav").write_bytes(clip)
    (files / "long.wav").write_bytes(long_clip)
    (files / "text.jsonl").write_bytes(text)
    (files / "empty.wav").write_bytes(b"")
    entries = [
        ("ds-v1/train/audio/S01/clip.wav", STORED, clip),
        ("ds-v1/train/audio/S01/long.wav", STORED, long_clip),
        ("ds-v1/train/audio/화자/bytes.wav", STORED, b"RIFF" * 10),
        ("ds-v1/originals/S01/streamed.m4a", STORED, long_clip[:3000]),
        ("ds-v1/originals/S01/short-stream.m4a", STORED, clip[:100]),
        ("ds-v1/train/audio/S01/empty.wav", STORED, b""),
        ("ds-v1/manifest.jsonl", DEFLATED, text),
    ]
    _zipfile_archive(tmp_path / "expected.zip", entries)

    with _writer(tmp_path / "written.zip", tmp_path) as writer:
        digests = [
            writer.add_file(entries[0][0], files / "clip.wav"),
            writer.add_file(entries[1][0], files / "long.wav"),
            writer.add_bytes(entries[2][0], entries[2][2]),
            writer.add_stream(entries[3][0], io.BufferedReader(io.BytesIO(entries[3][2]), 100)),
            writer.add_stream(entries[4][0], io.BytesIO(entries[4][2])),
            writer.add_file(entries[5][0], files / "empty.wav"),
        ]
        writer.add_deflated(entries[6][0], files / "text.jsonl")
        archive_sha256 = writer.close()

    written = (tmp_path / "written.zip").read_bytes()
    assert written == (tmp_path / "expected.zip").read_bytes()
    assert archive_sha256 == _sha256(written)
    assert digests == [_sha256(data) for _, _, data in entries[:6]]
    with zipfile.ZipFile(tmp_path / "written.zip") as reread:
        assert reread.testzip() is None
        assert reread.read("ds-v1/manifest.jsonl") == text


def test_past_65535_entries_the_archive_ends_with_zipfiles_zip64_records(tmp_path):
    entries = [
        (f"ds-v1/train/audio/S{n % 7}/{n:06d}.wav", STORED, b"%d" % n) for n in range(65_600)
    ]
    _zipfile_archive(tmp_path / "expected.zip", entries)

    with _writer(tmp_path / "written.zip", tmp_path) as writer:
        for name, _, data in entries:
            writer.add_bytes(name, data)
        archive_sha256 = writer.close()

    written = (tmp_path / "written.zip").read_bytes()
    assert written[-98:-22][:4] == b"PK\x06\x06"  # the ZIP64 end record is there
    assert written == (tmp_path / "expected.zip").read_bytes()
    assert archive_sha256 == _sha256(written)
    with zipfile.ZipFile(tmp_path / "written.zip") as reread:
        assert len(reread.infolist()) == 65_600


class _FarOffset(io.BytesIO):
    """A file that claims to start ``base`` bytes in: zipfile writes its directory as if the
    entries before it filled gigabytes (which a test need not write)."""

    def __init__(self, base: int) -> None:
        super().__init__()
        self.base = base

    def tell(self) -> int:
        return self.base + super().tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return super().seek(offset - self.base if whence == 0 else offset, whence) + self.base


def test_sizes_and_offsets_past_2_gib_take_zipfiles_zip64_fields():
    base = 5 * (1 << 30)  # the directory starts 5 GiB in
    big = [
        # (name, method, crc, size, packed size, offset)
        ("ds-v1/sources/long.wav", STORED, 0x1234ABCD, 3 * (1 << 30), 3 * (1 << 30), 100),
        ("ds-v1/train/audio/S01/late.wav", STORED, 0xDEADBEEF, 32_044, 32_044, 4 * (1 << 30)),
        ("ds-v1/manifest.jsonl", DEFLATED, 7, ZIP64_LIMIT + 10, 100_000, ZIP64_LIMIT - 5),
        ("ds-v1/small.txt", DEFLATED, 9, 10, 12, 200),
        # ZIP64 sizes in the local header only (within 5% of the limit): the record says 4.5.
        ("ds-v1/kaldi/text", DEFLATED, 11, 2_100_000_000, 50_000, 300),
    ]
    target = _FarOffset(base)
    bundle = zipfile.ZipFile(target, "w")
    for name, method, crc, size, packed, offset in big:
        info = _info(name, method)
        info.CRC, info.file_size, info.compress_size, info.header_offset = crc, size, packed, offset
        zip64 = size > ZIP64_LIMIT if method == STORED else size * 1.05 > ZIP64_LIMIT
        assert local_header(
            name, method=method, crc=crc, size=size, packed_size=packed, stamp=dos_time(WHEN),
            zip64=zip64,
        ) == info.FileHeader(zip64)  # fmt: skip
        bundle.filelist.append(info)
    bundle.close()

    records = b"".join(
        central_record(
            name, method=method, crc=crc, size=size, packed_size=packed, offset=offset,
            stamp=dos_time(WHEN), create_system=UNIX, external_attr=MODE,
            local_zip64=size > ZIP64_LIMIT if method == STORED else size * 1.05 > ZIP64_LIMIT,
        )
        for name, method, crc, size, packed, offset in big
    )  # fmt: skip
    ours = records + end_records(count=len(big), directory_size=len(records), directory_offset=base)
    assert ours == target.getvalue()
    assert b"PK\x06\x06" in ours  # the directory past 2 GiB moved the end to ZIP64


def test_a_failed_write_stops_the_archive_with_the_disks_error(tmp_path):
    # /dev/full refuses every write with ENOSPC, as a full disk does, on the writer's thread.
    writer = _writer(Path("/dev/full"), tmp_path)
    with pytest.raises(OSError, match="No space left on device"), writer:
        for index in range(8):
            writer.add_bytes(f"ds-v1/{index}.wav", bytes(1 << 20))
        writer.close()
