"""Renditions of a published version: more archives of the same content, built on request.

A rendition is written from what the version recorded (its ReleaseItem rows: recording,
revision, consent, split; its build_facts: changelog and split report), never selected again,
so it holds exactly the version's content and never takes a version number. The default
rendition is written by release_build from the same inputs, so rendition_write gives its bytes
back too.
"""

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from labelhub.dispatch import enqueue_on_commit
from labelhub.errors import Conflict, DomainError
from labelhub.job_runs import gave_up_reason, run_begin, runs_exhausted
from labelhub.releases.archive import (
    ArchiveResult,
    Selected,
    archive_root,
    archive_store,
    write_archive,
)
from labelhub.releases.models import Release, ReleaseRendition
from labelhub.releases.renditions import Rendition, rendition_make, rendition_parse
from labelhub.releases.services import release_ensure_downloadable
from labelhub.releases.splits import SplitItem
from labelhub.storage import storage_delete_tree, storage_scratch_path

logger = logging.getLogger(__name__)


class BadRendition(DomainError):
    code = "bad_rendition"


def rendition_key_check(key: str) -> Rendition:
    """The rendition a key names, or BadRendition (400) saying what is wrong with it."""
    try:
        return rendition_parse(key)
    except ValueError as error:
        raise BadRendition(_("rendition: %(problem)s") % {"problem": error}) from error


def rendition_request(
    *,
    release: Release,
    audio_format: str = "wav",
    include_originals: bool = False,
    formats: list[str] | None = None,
) -> ReleaseRendition:
    """The rendition of a published version, queued for a worker unless it exists already.

    Asking again for one that is building or built returns it; one that failed is tried again.
    """
    try:
        wanted = rendition_make(
            audio_format=audio_format, include_originals=include_originals, formats=formats or ()
        )
    except ValueError as error:
        raise BadRendition(_("rendition: %(problem)s") % {"problem": error}) from error
    release_ensure_downloadable(release=release)
    with transaction.atomic():
        rendition, created = ReleaseRendition.objects.select_for_update(no_key=True).get_or_create(
            release=release, key=wanted.key, defaults={"heartbeat_at": timezone.now()}
        )
        if not created and rendition.status != ReleaseRendition.Status.FAILED:
            return rendition
        if not created:
            rendition.status, rendition.error, rendition.attempts = "building", "", 0
            rendition.progress, rendition.heartbeat_at = 0, timezone.now()
            rendition.save(
                update_fields=["status", "error", "attempts", "progress", "heartbeat_at"]
            )
        enqueue_on_commit("workers.tasks.releases.rendition_build", rendition.pk)
    return rendition


def rendition_build(*, release: Release, key: str) -> ReleaseRendition:
    """Builds the version's rendition ``key`` here and now (no worker) and returns it.

    For services that need a rendition in the same run, e.g. a re-issue. A rendition already
    published is returned as it is; a failed one is built again.
    """
    rendition_key_check(key)
    rendition, _created = ReleaseRendition.objects.get_or_create(
        release=release, key=key, defaults={"heartbeat_at": timezone.now()}
    )
    if rendition.status == ReleaseRendition.Status.FAILED:
        ReleaseRendition.objects.filter(pk=rendition.pk).update(
            status=ReleaseRendition.Status.BUILDING, error="", attempts=0
        )
    return rendition_run(rendition_id=rendition.pk)


def rendition_run(*, rendition_id: int) -> ReleaseRendition:
    """The worker's job: writes, stores and publishes one rendition. Safe to run twice.

    As release_build: each run writes under a name of its own and publishes in one transaction,
    so a killed run leaves the rendition building and a rerun publishes exactly one archive.
    """
    building = ReleaseRendition.objects.filter(
        pk=rendition_id, status=ReleaseRendition.Status.BUILDING
    )
    runs = run_begin(building, attempts="attempts", heartbeat="heartbeat_at")
    rendition = ReleaseRendition.objects.select_related("release__campaign").get(pk=rendition_id)
    if rendition.status != ReleaseRendition.Status.BUILDING:
        return rendition
    if runs_exhausted(runs):
        return rendition_fail(rendition.pk, reason=gave_up_reason(runs))
    try:
        _build_and_publish(rendition)
    except Exception as error:  # any failure must leave a readable reason behind
        logger.exception("rendition %s failed", rendition.pk)
        rendition_fail(rendition.pk, reason=str(error))
    rendition.refresh_from_db()
    return rendition


def _build_and_publish(rendition: ReleaseRendition) -> None:
    release = rendition.release
    if release.status != Release.Status.PUBLISHED:
        raise Conflict(f"release {release.pk} is not published ({release.status})")

    def progress(percent: int) -> None:
        ReleaseRendition.objects.filter(pk=rendition.pk).update(
            progress=percent, heartbeat_at=timezone.now()
        )

    name = f"{_folder(rendition)}/{uuid.uuid4().hex}/{_file_name(rendition)}"
    with storage_scratch_path(name=name) as path:
        result = rendition_write(
            release=release, rendition=rendition_parse(rendition.key), archive=path,
            on_progress=progress,
        )  # fmt: skip
        result.rows.close()  # a rendition stores no item rows (the version's are kept)
        size = path.stat().st_size
        stored = archive_store(path=path, name=name)
        _publish(rendition, stored, sha256=result.sha256, size_bytes=size)
    published = ReleaseRendition.objects.values_list("archive", flat=True).get(pk=rendition.pk)
    storage_delete_tree(folder=_folder(rendition), keep=frozenset([published]) - {""})


def rendition_write(
    *,
    release: Release,
    rendition: Rendition,
    archive: Path,
    on_progress: Callable[[int], None] = lambda percent: None,
) -> ArchiveResult:
    """Writes the version's content as ``rendition`` to ``archive`` (a local path)."""
    selected: dict[int, Selected] = {}
    splits: dict[str, str] = {}
    rows = release.items.values_list(
        "recording_id", "recording__uid", "revision_id", "consent_id", "split", "start_seconds",
        "end_seconds",
    )  # fmt: skip
    for recording_id, uid, revision_id, consent_id, split, start, end in rows.iterator(
        chunk_size=2000
    ):
        # Only item_id is read when writing: the split is the one the version recorded.
        item = SplitItem(item_id=str(uid), speaker_id="", cell="", seconds=0.0)
        # A segment is cut where the version cut it, wherever its boundaries are now.
        span_seconds = (start, end) if start is not None and end is not None else None
        selected[recording_id] = Selected(recording_id, revision_id, consent_id, item, span_seconds)
        splits[item.item_id] = split
    facts = release.build_facts or {}
    return write_archive(
        release=release,
        selected=selected,
        splits=splits,
        changelog=facts.get("changelog", {}),
        split_report=facts.get("splits"),
        archive=archive,
        on_progress=on_progress,
        rendition=rendition,
    )


@transaction.atomic
def _publish(
    rendition: ReleaseRendition, stored_name: str, *, sha256: str, size_bytes: int
) -> None:
    locked = ReleaseRendition.objects.select_for_update(no_key=True).get(pk=rendition.pk)
    if locked.status != ReleaseRendition.Status.BUILDING:
        return
    locked.archive.name = stored_name
    locked.archive_sha256 = sha256
    locked.archive_size_bytes = size_bytes
    locked.status, locked.progress = ReleaseRendition.Status.PUBLISHED, 100
    locked.published_at = timezone.now()
    locked.save()


def rendition_fail(rendition_id: int, *, reason: str) -> ReleaseRendition:
    """Ends a rendition still building as failed with the reason and deletes its files."""
    with transaction.atomic():
        rendition = (
            ReleaseRendition.objects.select_for_update(no_key=True)
            .select_related("release__campaign")
            .get(pk=rendition_id)
        )
        if rendition.status != ReleaseRendition.Status.BUILDING:
            return rendition
        rendition.status = ReleaseRendition.Status.FAILED
        rendition.error = reason[:2000] or "failed"
        rendition.save(update_fields=["status", "error"])
    storage_delete_tree(folder=_folder(rendition))
    return rendition


def _folder(rendition: ReleaseRendition) -> str:
    # Apart from the version's own folder, which release_build cleans of its other runs' files.
    # By label, as that folder is: a re-issue's renditions (v1.1) must never share v1's folder,
    # whose other files the cleanup after a publish deletes.
    release = rendition.release
    return f"releases/{release.campaign_id}/renditions/v{release.label}/{rendition.key}"


def _file_name(rendition: ReleaseRendition) -> str:
    return f"{archive_root(rendition.release).rstrip('/')}-{rendition.key}.zip"
