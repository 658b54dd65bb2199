"""A rendition: how one version's content ships (audio format, originals, extra layouts).

A version is its content (items, splits, texts, changelog); each rendition is one archive of
that content, named by a canonical key such as ``wav``, ``flac+originals`` or
``wav+lhotse+parquet``: the audio format first, then ``originals``, then the extra layouts in
sorted order, so one rendition has one key. Every rendition holds the classic set (Hugging Face
audiofolder, NeMo, Kaldi, manifest.jsonl, release.json, the datasheet, SHA256SUMS) with the audio
once; the extra layouts each copy or embed the audio again, so they are opt-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

AUDIO_FORMATS = ("wav", "flac")  # how the normalised 16 kHz mono audio ships
CLASSIC_FORMATS = ("audiofolder", "nemo", "kaldi", "labelhub-manifest")
EXTRA_FORMATS = ("commonvoice", "lhotse", "webdataset", "parquet")
ORIGINALS = "originals"


@dataclass(frozen=True)
class Rendition:
    audio_format: str = "wav"
    include_originals: bool = False
    extra_formats: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        parts = [self.audio_format, *([ORIGINALS] if self.include_originals else [])]
        return "+".join(parts + sorted(self.extra_formats))

    @property
    def formats(self) -> list[str]:
        """Every layout the archive holds, in a fixed order (release.json lists them)."""
        return [*CLASSIC_FORMATS, *(f for f in EXTRA_FORMATS if f in self.extra_formats)]


def rendition_make(
    *, audio_format: str = "wav", include_originals: bool = False, formats: Iterable[str] = ()
) -> Rendition:
    """A checked rendition; ValueError names an unknown audio format or layout."""
    if audio_format not in AUDIO_FORMATS:
        raise ValueError(f"audio_format must be one of {', '.join(AUDIO_FORMATS)}")
    wanted = set(formats) - set(CLASSIC_FORMATS)  # the classic set is always there
    unknown = sorted(wanted - set(EXTRA_FORMATS))
    if unknown:
        raise ValueError(
            f"unknown formats {unknown}: choose among {', '.join(EXTRA_FORMATS)} "
            f"({', '.join(CLASSIC_FORMATS)} are always included)"
        )
    return Rendition(audio_format, include_originals, frozenset(wanted))


def rendition_parse(key: str) -> Rendition:
    """The rendition a key names; ValueError when the key is not one rendition's canonical key."""
    audio_format, *rest = key.split("+")
    originals = bool(rest) and rest[0] == ORIGINALS
    rendition = rendition_make(
        audio_format=audio_format,
        include_originals=originals,
        formats=rest[1:] if originals else rest,
    )
    if rendition.key != key:
        raise ValueError(f"'{key}' is not a rendition key; did you mean '{rendition.key}'?")
    return rendition
