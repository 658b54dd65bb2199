"""Dataset releases: a versioned, checksummed archive of consented, human-corrected items."""

import hashlib
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from labelhub.accounts.models import Organisation, User
from labelhub.campaigns.models import Campaign
from labelhub.errors import DomainError
from labelhub.labeling.models import TranscriptRevision
from labelhub.recordings.audio import sha256_file
from labelhub.recordings.models import Recording
from labelhub.releases.models import DownloadEvent, Release, ReleaseItem
from labelhub.speakers.models import ConsentRecord
from labelhub.storage import local_path, store_file

logger = logging.getLogger(__name__)

HUMAN_KINDS = (TranscriptRevision.Kind.LABELER_EDIT, TranscriptRevision.Kind.REVIEW)


@transaction.atomic
def release_create(*, campaign: Campaign, client: Organisation, created_by: User) -> Release:
    if client.kind != Organisation.Kind.CLIENT:
        raise DomainError(f"'{client.name}' is not a client organisation", code="not_a_client")
    latest = (
        Release.objects.select_for_update()
        .filter(campaign=campaign)
        .aggregate(v=Max("version"))["v"]
    )
    release = Release.objects.create(
        campaign=campaign, client=client, version=(latest or 0) + 1, created_by=created_by
    )
    transaction.on_commit(lambda: _enqueue_build(release.pk))
    return release


def _enqueue_build(release_id: int) -> None:
    from workers.tasks.releases import release_build_task

    release_build_task.delay(release_id)


@dataclass(frozen=True)
class Candidate:
    recording: Recording
    revision: TranscriptRevision
    consent: ConsentRecord


def release_candidates(*, campaign: Campaign) -> list[Candidate]:
    """Ready recordings with a person's latest revision and the speaker's delivery consent."""
    candidates = []
    recordings = (
        Recording.objects.filter(campaign=campaign, status=Recording.Status.READY)
        .select_related("speaker")
        .order_by("id")
    )
    for recording in recordings:
        revision = recording.revisions.order_by("-number").first()
        if revision is None or revision.kind not in HUMAN_KINDS:
            continue
        consent = (
            ConsentRecord.objects.filter(
                speaker=recording.speaker,
                withdrawn_at__isnull=True,
                document__allows_third_party_delivery=True,
            )
            .order_by("-signed_at")
            .first()
        )
        if consent is not None:
            candidates.append(Candidate(recording, revision, consent))
    return candidates


def _manifest_row(candidate: Candidate, path: str) -> dict:
    recording, speaker = candidate.recording, candidate.recording.speaker
    return {
        "path": path,
        "text": candidate.revision.text,
        "duration": round(recording.duration_seconds or 0.0, 3),
        "speaker_id": speaker.code,
        "gender": speaker.gender,
        "age_band": speaker.age_band,
        "region": speaker.region,
        "dialect": speaker.dialect,
        "language": recording.campaign.language,
        "recording_id": str(recording.uid),
        "revision": candidate.revision.number,
        "consent_document_version": candidate.consent.document.version,
    }


def release_build(*, release_id: int) -> Release:
    """Writes the release archive (audio, manifest.jsonl, SHA256SUMS). Safe to run twice."""
    release = Release.objects.select_related("campaign").get(pk=release_id)
    if release.status != Release.Status.BUILDING:
        return release
    try:
        candidates = release_candidates(campaign=release.campaign)
        if not candidates:
            raise DomainError("no item is ready: nothing human-corrected with delivery consent")
        with tempfile.TemporaryDirectory() as tmp:
            archive_path = Path(tmp) / "release.zip"
            items = _write_archive(release, candidates, archive_path)
            name = f"releases/{release.campaign_id}/v{release.version}/{_archive_name(release)}"
            _publish(release, items, archive_path, store_file(path=archive_path, name=name))
    except Exception as error:  # noqa: BLE001 - any failure must leave a readable reason behind
        logger.exception("release %s failed", release.pk)
        Release.objects.filter(pk=release.pk).update(status=Release.Status.FAILED, error=str(error))
    release.refresh_from_db()
    return release


def _archive_name(release: Release) -> str:
    return f"labelhub-campaign{release.campaign_id}-v{release.version}.zip"


def _write_archive(
    release: Release, candidates: list[Candidate], archive: Path
) -> list[ReleaseItem]:
    items, rows, sums = [], [], []
    with zipfile.ZipFile(archive, "w") as bundle:
        for index, candidate in enumerate(candidates, start=1):
            recording = candidate.recording
            path = f"audio/{recording.speaker.code}/{recording.uid}.wav"
            with local_path(recording.normalised_file) as source:
                digest = sha256_file(source)
                # WAV barely compresses; storing keeps the build fast.
                bundle.write(source, path, compress_type=zipfile.ZIP_STORED)
            sums.append(f"{digest}  {path}")
            rows.append(_manifest_row(candidate, path))
            items.append(
                ReleaseItem(
                    release=release,
                    recording=recording,
                    revision=candidate.revision,
                    consent=candidate.consent,
                    path=path,
                    sha256=digest,
                )
            )
            if index % 20 == 0:
                progress = int(90 * index / len(candidates))
                Release.objects.filter(pk=release.pk).update(progress=progress)
        manifest = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
        bundle.writestr("manifest.jsonl", manifest, compress_type=zipfile.ZIP_DEFLATED)
        sums.append(f"{hashlib.sha256(manifest).hexdigest()}  manifest.jsonl")
        bundle.writestr("SHA256SUMS", "\n".join(sums) + "\n", compress_type=zipfile.ZIP_DEFLATED)
    return items


@transaction.atomic
def _publish(release: Release, items: list[ReleaseItem], archive: Path, stored_name: str) -> None:
    ReleaseItem.objects.bulk_create(items)
    release.archive.name = stored_name
    release.archive_sha256 = sha256_file(archive)
    release.archive_size_bytes = archive.stat().st_size
    release.item_count = len(items)
    release.status = Release.Status.PUBLISHED
    release.progress = 100
    release.published_at = timezone.now()
    release.save()


def download_record(*, release: Release, user: User, ip_address: str | None) -> DownloadEvent:
    return DownloadEvent.objects.create(release=release, user=user, ip_address=ip_address)
