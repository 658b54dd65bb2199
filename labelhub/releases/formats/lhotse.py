"""Lhotse manifests: ``lhotse/recordings_<split>.jsonl.gz`` and ``supervisions_<split>.jsonl.gz``.

One file pair per split, as Lhotse's own recipes write them, so
``CutSet.from_manifests(load_manifest(recordings), load_manifest(supervisions))`` gives a split's
cuts. Each item is one recording with one supervision spanning all of it. ``source`` paths are
relative to the release root (Lhotse opens them from the working directory; ``with_path_prefix``
makes them absolute). Sample counts come from the audio file itself, since Lhotse checks a cut's
duration against them. Lines are gzipped as they come, so memory holds one line.

A long-form segment is a recording of its own too, its cut file, rather than its source with
an offset: every layout then ships the same samples, and a withdrawal's removal list finds the
segment by its id alone. The source and span are in manifest.jsonl (and Kaldi's segments).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import BinaryIO

import soundfile

from labelhub.releases.formats.base import ExportItem
from labelhub.releases.formats.sinks import Member, located

KINDS = ("recordings", "supervisions")
SAMPLE_RATE = 16000


class LhotseSink:
    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.locations: dict[str, list[str]] = {}
        self._files: dict[tuple[str, str], gzip.GzipFile] = {}
        self._raw: list[BinaryIO] = []

    def add(self, item: ExportItem, audio: Path) -> list[Member]:
        rate, frames = _shape(item, audio)
        recording = {
            "id": item.item_id,
            "sources": [{"type": "file", "channels": [0], "source": item.audio_name}],
            "sampling_rate": rate,
            "num_samples": frames,
            "duration": frames / rate,
            "channel_ids": [0],
        }
        supervision = {
            "id": item.item_id,
            "recording_id": item.item_id,
            "start": 0.0,
            "duration": frames / rate,
            "channel": 0,
            "text": item.text,
            "language": item.language,
            "speaker": item.speaker_id,
            "gender": item.gender,
            "custom": {"age_band": item.age_band, "region": item.region, "dialect": item.dialect},
        }
        for kind, row in zip(KINDS, (recording, supervision), strict=True):
            line = json.dumps(row, ensure_ascii=False) + "\n"
            self._file(item.split, kind).write(line.encode("utf-8"))
            located(self.locations, item, f"{manifest_name(item.split, kind)}#{item.item_id}")
        return []

    def finish(self) -> list[Member]:
        members = []
        for (split, kind), handle in sorted(self._files.items()):
            handle.close()  # closing a GzipFile leaves the file under it open
            members.append(Member(manifest_name(split, kind), self._path(split, kind)))
        for raw in self._raw:
            raw.close()
        return members

    def _file(self, split: str, kind: str) -> gzip.GzipFile:
        if (split, kind) not in self._files:
            # mtime=0 and no file name in the header: the same lines give the same bytes.
            raw = self._path(split, kind).open("wb")
            self._raw.append(raw)
            self._files[split, kind] = gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0)
        return self._files[split, kind]

    def _path(self, split: str, kind: str) -> Path:
        return self.scratch / f"lhotse-{kind}-{split}.jsonl.gz"


def _shape(item: ExportItem, audio: Path) -> tuple[int, int]:
    """(sample rate, frames) from the file's header; ingest ships 16 kHz mono, so a file
    libsndfile cannot read (a test's stand-in bytes) is described from its duration."""
    try:
        info = soundfile.info(str(audio))
    except soundfile.LibsndfileError:
        return SAMPLE_RATE, round(item.duration * SAMPLE_RATE)
    return info.samplerate, info.frames


def manifest_name(split: str, kind: str) -> str:
    return f"lhotse/{kind}_{split}.jsonl.gz"
