"""Dataset releases: a versioned, checksummed archive of consented, human-corrected items."""

import logging
import tempfile
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from labelhub.accounts.models import Organisation, User
from labelhub.campaigns.models import Campaign
from labelhub.errors import DomainError
from labelhub.labeling.models import HUMAN_KINDS
from labelhub.recordings.audio import sha256_file
from labelhub.recordings.models import Recording
from labelhub.releases.archive import ArchivedItem, Candidate, split_of, write_archive
from labelhub.releases.models import DownloadEvent, Release, ReleaseItem, default_split_ratios
from labelhub.releases.splits import assign_splits
from labelhub.speakers.models import ConsentRecord
from labelhub.storage import store_file

logger = logging.getLogger(__name__)


@transaction.atomic
def release_create(
    *,
    campaign: Campaign,
    client: Organisation,
    created_by: User,
    split_ratios: dict[str, float] | None = None,
    seed: int = 0,
) -> Release:
    if client.kind != Organisation.Kind.CLIENT:
        raise DomainError(f"'{client.name}' is not a client organisation", code="not_a_client")
    ratios = split_ratios or default_split_ratios()
    try:
        assign_splits([], ratios=ratios, seed=seed)  # checks the ratios before anything is built
    except ValueError as error:
        raise DomainError(f"split_ratios: {error}", code="bad_split_ratios") from error
    latest = (
        Release.objects.select_for_update()
        .filter(campaign=campaign)
        .aggregate(v=Max("version"))["v"]
    )
    release = Release.objects.create(
        campaign=campaign,
        client=client,
        version=(latest or 0) + 1,
        created_by=created_by,
        split_ratios=ratios,
        seed=seed,
    )
    transaction.on_commit(lambda: _enqueue_build(release.pk))
    return release


def _enqueue_build(release_id: int) -> None:
    from workers.tasks.releases import release_build_task

    release_build_task.delay(release_id)


def release_candidates(*, campaign: Campaign) -> list[Candidate]:
    """Ready recordings with a person's revision and the speaker's delivery consent."""
    candidates = []
    recordings = (
        Recording.objects.filter(campaign=campaign, status=Recording.Status.READY)
        .select_related("speaker")
        .order_by("id")
    )
    for recording in recordings:
        # A later ASR draft (a re-transcription to compare models) never hides the human text.
        revision = recording.revisions.filter(kind__in=HUMAN_KINDS).order_by("-number").first()
        if revision is None:
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


def release_build(*, release_id: int) -> Release:
    """Splits the items and writes the release archive (see releases.archive). Safe to run twice."""
    release = Release.objects.select_related("campaign").get(pk=release_id)
    if release.status != Release.Status.BUILDING:
        return release
    try:
        candidates = release_candidates(campaign=release.campaign)
        if not candidates:
            raise DomainError("no item is ready: nothing human-corrected with delivery consent")
        splits = split_of(candidates, ratios=release.split_ratios, seed=release.seed)
        with tempfile.TemporaryDirectory() as tmp:
            archive_path = Path(tmp) / "release.zip"
            items = write_archive(
                release=release,
                candidates=candidates,
                splits=splits,
                archive=archive_path,
                on_progress=lambda percent: Release.objects.filter(pk=release.pk).update(
                    progress=percent
                ),
            )
            name = f"releases/{release.campaign_id}/v{release.version}/{_archive_name(release)}"
            _publish(release, items, archive_path, store_file(path=archive_path, name=name))
    except Exception as error:  # noqa: BLE001 - any failure must leave a readable reason behind
        logger.exception("release %s failed", release.pk)
        Release.objects.filter(pk=release.pk).update(status=Release.Status.FAILED, error=str(error))
    release.refresh_from_db()
    return release


def _archive_name(release: Release) -> str:
    return f"labelhub-campaign{release.campaign_id}-v{release.version}.zip"


@transaction.atomic
def _publish(release: Release, items: list[ArchivedItem], archive: Path, stored_name: str) -> None:
    ReleaseItem.objects.bulk_create(
        ReleaseItem(
            release=release,
            recording=item.candidate.recording,
            revision=item.candidate.revision,
            consent=item.candidate.consent,
            split=item.split,
            path=item.path,
            sha256=item.sha256,
        )
        for item in items
    )
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
