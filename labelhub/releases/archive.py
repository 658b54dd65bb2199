"""Writes a release archive: audio once per split, every export format, a manifest, checksums.

Layout (see releases.formats.base): ``<split>/audio/<speaker>/<uid>.wav`` plus each split's
``metadata.jsonl`` (Hugging Face audiofolder), ``<split>_manifest.jsonl`` (NeMo), ``kaldi/``,
``<split>.tsv`` (Common Voice), ``manifest.jsonl`` (everything LabelHub knows of each item),
``release.json`` and ``SHA256SUMS`` over every other file.
"""

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from labelhub.labeling.models import TranscriptRevision
from labelhub.recordings.audio import sha256_file
from labelhub.recordings.models import Recording
from labelhub.releases.formats import ExportItem, audio_name, export_files
from labelhub.releases.models import Release
from labelhub.releases.splits import SplitItem, assign_splits
from labelhub.speakers.models import ConsentRecord, Speaker
from labelhub.storage import local_path

BUILDER = "labelhub-release/1"


@dataclass(frozen=True)
class Candidate:
    recording: Recording
    revision: TranscriptRevision
    consent: ConsentRecord


@dataclass(frozen=True)
class ArchivedItem:
    candidate: Candidate
    split: str
    path: str
    sha256: str


def demographic_cell(speaker: Speaker) -> str:
    return f"{speaker.age_band}|{speaker.gender}|{speaker.dialect}"


def split_of(candidates: list[Candidate], *, ratios: dict[str, float], seed: int) -> dict[str, str]:
    items = [
        SplitItem(
            item_id=str(c.recording.uid),
            speaker_id=c.recording.speaker.code,
            cell=demographic_cell(c.recording.speaker),
            seconds=c.recording.duration_seconds or 0.0,
        )
        for c in candidates
    ]
    return assign_splits(items, ratios=ratios, seed=seed)


def _export_item(candidate: Candidate, split: str) -> ExportItem:
    recording, speaker = candidate.recording, candidate.recording.speaker
    return ExportItem(
        item_id=str(recording.uid),
        split=split,
        audio_name=audio_name(split, speaker.code, str(recording.uid)),
        text=candidate.revision.text,
        duration=round(recording.duration_seconds or 0.0, 3),
        speaker_id=speaker.code,
        gender=speaker.gender,
        age_band=speaker.age_band,
        region=speaker.region,
        dialect=speaker.dialect,
        language=recording.campaign.language,
        extra={"revision": candidate.revision.number},
    )


def _manifest_row(item: ExportItem, candidate: Candidate) -> dict:
    return {
        "path": item.audio_name,
        "split": item.split,
        "text": item.text,
        "duration": item.duration,
        "speaker_id": item.speaker_id,
        "gender": item.gender,
        "age_band": item.age_band,
        "region": item.region,
        "dialect": item.dialect,
        "language": item.language,
        "recording_id": item.item_id,
        "revision": candidate.revision.number,
        "consent_document_version": candidate.consent.document.version,
    }


def _client_id_salt(campaign_id: int) -> str:
    # Stable across versions (the same speaker keeps one client_id), unguessable from outside.
    return hashlib.sha256(f"{settings.SECRET_KEY}:cv-client:{campaign_id}".encode()).hexdigest()


def write_archive(
    *,
    release: Release,
    candidates: list[Candidate],
    splits: dict[str, str],
    archive: Path,
    on_progress: Callable[[int], None],
) -> list[ArchivedItem]:
    """Writes the zip one file at a time, so memory holds one clip, not the release."""
    exported = [_export_item(c, splits[str(c.recording.uid)]) for c in candidates]
    archived, sums = [], []
    with zipfile.ZipFile(archive, "w") as bundle:
        for index, (item, candidate) in enumerate(zip(exported, candidates, strict=True), 1):
            with local_path(candidate.recording.normalised_file) as source:
                digest = sha256_file(source)
                # WAV barely compresses; storing keeps the build fast.
                bundle.write(source, item.audio_name, compress_type=zipfile.ZIP_STORED)
            sums.append((item.audio_name, digest))
            archived.append(ArchivedItem(candidate, item.split, item.audio_name, digest))
            if index % 20 == 0:
                on_progress(int(90 * index / len(candidates)))
        texts = export_files(exported, salt=_client_id_salt(release.campaign_id))
        texts["manifest.jsonl"] = "".join(
            json.dumps(_manifest_row(i, c), ensure_ascii=False) + "\n"
            for i, c in zip(exported, candidates, strict=True)
        )
        texts["release.json"] = _release_json(release, exported)
        for name, text in sorted(texts.items()):
            data = text.encode("utf-8")
            bundle.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
            sums.append((name, hashlib.sha256(data).hexdigest()))
        lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums))
        bundle.writestr("SHA256SUMS", lines, compress_type=zipfile.ZIP_DEFLATED)
    return archived


def _release_json(release: Release, items: list[ExportItem]) -> str:
    seconds: Counter[str] = Counter()
    for item in items:
        seconds[item.split] += item.duration
    summary = {
        "campaign": release.campaign_id,
        "version": release.version,
        "client": release.client_id,
        "builder": BUILDER,
        "split_ratios": release.split_ratios,
        "seed": release.seed,
        "items": len(items),
        "items_per_split": dict(sorted(Counter(i.split for i in items).items())),
        "hours_per_split": {k: round(v / 3600, 4) for k, v in sorted(seconds.items())},
        "speakers": len({i.speaker_id for i in items}),
        "formats": ["audiofolder", "nemo", "kaldi", "commonvoice", "labelhub-manifest"],
    }
    return json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
