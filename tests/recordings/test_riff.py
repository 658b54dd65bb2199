"""The RIFF chunk walk shared by the upload check and the spectrogram."""

import struct

import pytest

from labelhub.recordings.riff import RiffEnded, riff_chunks


def riff(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"".join(
        kind + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
        for kind, data in chunks
    )
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def reader(data: bytes):
    calls: list[tuple[int, int]] = []

    def read(offset: int, length: int) -> bytes:
        calls.append((offset, length))
        return data[offset : offset + length]

    return read, calls


def test_chunks_come_with_sizes_and_offsets_and_odd_sizes_skip_their_pad_byte() -> None:
    read, _ = reader(riff((b"fmt ", b"x" * 16), (b"LIST", b"abc"), (b"data", b"\1\2\3\4")))
    walk = riff_chunks(read)
    assert next(walk) == (b"fmt ", 16, 12)
    assert next(walk) == (b"LIST", 3, 36)
    assert next(walk) == (b"data", 4, 48)  # 36 + 8 + 3 + the pad byte


def test_a_file_that_ends_in_the_chunk_list_raises_riff_ended() -> None:
    read, _ = reader(riff((b"fmt ", b"x" * 16))[:-4])
    walk = riff_chunks(read)
    assert next(walk)[0] == b"fmt "
    with pytest.raises(RiffEnded):
        next(walk)


def test_the_walk_stops_at_the_limit_however_many_chunks_a_file_claims() -> None:
    read, calls = reader(riff(*[(b"junk", b"")] * 50))
    assert len(list(riff_chunks(read, limit=10))) == 10
    assert len(calls) == 10
