"""The chunk list of a RIFF file, walked the one way both readers need.

The upload check (audio.py) reads a local file; the spectrogram (spectrogram.py) reads the
normalised WAV by ranged reads, from S3 too. Both walk the same list, so the walk, its padding
rule and its bound live here once.
"""

from collections.abc import Callable, Iterator

# A WAV has a handful of chunks; more than this is a crafted file, and on S3 each is a request.
MAX_CHUNKS = 1000
# "RIFF", size, "WAVE": the chunk list starts after these 12 bytes.
FIRST_CHUNK = 12


class RiffEnded(Exception):
    """The file ends inside the chunk list, before the chunk the reader was looking for."""


def riff_chunks(
    read: Callable[[int, int], bytes], *, limit: int = MAX_CHUNKS
) -> Iterator[tuple[bytes, int, int]]:
    """(id, size, offset of the chunk's header) for each chunk, at most ``limit`` of them.

    ``read(offset, length)`` returns up to ``length`` bytes at ``offset``; a short read means the
    file ended, which raises RiffEnded. The payload starts at offset + 8.
    """
    offset = FIRST_CHUNK
    for _ in range(limit):
        header = read(offset, 8)
        if len(header) < 8:
            raise RiffEnded(offset)
        size = int.from_bytes(header[4:8], "little")
        yield header[:4], size, offset
        # RIFF pads odd-sized chunks to an even offset; the pad byte is not in the size.
        offset += 8 + size + (size & 1)
