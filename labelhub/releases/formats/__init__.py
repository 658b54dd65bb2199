"""Release export formats, all over one copy of the audio (see ``base`` for the layout).

Each writer takes ExportItems and returns ``{relative path: text}`` for its metadata files;
copying the audio to ``item.audio_name`` is the release build's job, done once for all formats.
"""

from __future__ import annotations

from collections.abc import Iterable

from labelhub.releases.formats.audiofolder import audiofolder_files
from labelhub.releases.formats.base import ExportItem, Files, audio_name, check_items, write_files
from labelhub.releases.formats.commonvoice import commonvoice_files
from labelhub.releases.formats.kaldi import kaldi_files
from labelhub.releases.formats.nemo import nemo_files
from labelhub.releases.formats.transcripts import transcript_files

__all__ = [
    "ExportItem",
    "Files",
    "audio_name",
    "audiofolder_files",
    "commonvoice_files",
    "export_files",
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
    items = check_items(items)
    files: Files = {}
    parts = [
        audiofolder_files(items),
        nemo_files(items),
        kaldi_files(items, audio_prefix=kaldi_audio_prefix),
        transcript_files(items),
    ]
    if "commonvoice" in formats:
        parts.append(commonvoice_files(items, salt=salt))
    for part in parts:
        clash = files.keys() & part.keys()
        if clash:
            raise ValueError(f"two formats want to write {sorted(clash)}")
        files |= part
    return files
