"""Release export formats, all over one copy of the audio (see ``base`` for the layout).

Each writer takes ExportItems and returns ``{relative path: text}`` for its metadata files;
copying the audio to ``item.audio_name`` is the release build's job, done once for all formats.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial

from labelhub.releases.formats.audiofolder import audiofolder_files, audiofolder_streams
from labelhub.releases.formats.base import (
    ExportItem,
    Files,
    Streams,
    audio_name,
    check_items,
    joined,
    write_files,
)
from labelhub.releases.formats.commonvoice import commonvoice_files, commonvoice_streams
from labelhub.releases.formats.kaldi import kaldi_files, kaldi_streams
from labelhub.releases.formats.nemo import nemo_files, nemo_streams
from labelhub.releases.formats.transcripts import transcript_files

__all__ = [
    "ExportItem",
    "Files",
    "Streams",
    "audio_name",
    "audiofolder_files",
    "commonvoice_files",
    "export_files",
    "export_streams",
    "kaldi_files",
    "nemo_files",
    "transcript_files",
    "write_files",
]


def export_files(
    items: Iterable[ExportItem],
    *,
    salt: str,
    kaldi_audio_prefix: str = "",
    formats: Iterable[str] = ("commonvoice",),
) -> Files:
    """The metadata files of the classic formats, plus Common Voice's when in ``formats``, plus
    each long-form source's WebVTT and TextGrid transcripts when segments are among the items."""
    return joined(
        export_streams(items, salt=salt, kaldi_audio_prefix=kaldi_audio_prefix, formats=formats)
    )


def export_streams(
    items: Iterable[ExportItem],
    *,
    salt: str,
    kaldi_audio_prefix: str = "",
    formats: Iterable[str] = ("commonvoice",),
) -> Streams:
    """export_files's files as streams (see base.Streams): what a release build writes to disk
    file by file. Every check runs here, before any file is made."""
    items = check_items(items)
    streams: Streams = {}
    whole: Streams = {name: partial(_once, text) for name, text in transcript_files(items).items()}
    parts = [
        audiofolder_streams(items),
        nemo_streams(items),
        kaldi_streams(items, audio_prefix=kaldi_audio_prefix),
        whole,  # a few KB per long-form source, and none in a release of clips
    ]
    if "commonvoice" in formats:
        parts.append(commonvoice_streams(items, salt=salt))
    for part in parts:
        clash = streams.keys() & part.keys()
        if clash:
            raise ValueError(f"two formats want to write {sorted(clash)}")
        streams |= part
    return streams


def _once(text: str) -> Iterator[str]:
    yield text
