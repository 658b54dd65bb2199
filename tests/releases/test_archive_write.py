"""The archive's write path: a handful of queries whatever the size, one read of each file."""

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from labelhub.accounts.models import User
from labelhub.recordings.audio import sha256_file
from labelhub.recordings.models import Recording
from labelhub.releases import archive
from labelhub.releases.archive import _Progress, archive_store
from labelhub.releases.models import Release
from labelhub.releases.rendition_services import rendition_write
from labelhub.releases.renditions import rendition_parse
from labelhub.releases.services import release_build, release_create
from labelhub.storage import storage_scratch_path
from tests.factories import CampaignFactory, ConsentRecordFactory, UserFactory
from tests.releases.helpers import approved_clip, build

pytestmark = pytest.mark.django_db


def _build_counting_queries(clips: int, speakers: int) -> int:
    campaign = CampaignFactory()
    people = [ConsentRecordFactory(speaker__campaign=campaign).speaker for _ in range(speakers)]
    for index in range(clips):
        approved_clip(campaign, f"clip {index}", speaker=people[index % speakers])
    release = release_create(
        campaign=campaign, client=campaign.client, created_by=UserFactory(role=User.Role.PM)
    )
    with CaptureQueriesContext(connection) as queries:
        built = release_build(release_id=release.pk)
    assert built.status == Release.Status.PUBLISHED, built.error
    return len(queries)


def test_a_build_makes_as_many_queries_for_many_clips_as_for_few(monkeypatch) -> None:
    # No progress writes (they follow the clock), so the counts compare only the reads.
    monkeypatch.setattr(archive, "PROGRESS_SECONDS", float("inf"))
    few = _build_counting_queries(clips=2, speakers=1)
    many = _build_counting_queries(clips=12, speakers=4)
    assert many == few, f"{few} queries for 2 clips, {many} for 12: some are per clip"


def test_storing_the_archive_renames_it_into_place() -> None:
    name = "releases/test/release.zip"
    data = bytes(range(256)) * 20_000
    with storage_scratch_path(name=name) as path:
        path.write_bytes(data)
        inode = path.stat().st_ino
        stored = archive_store(path=path, name=name)
    with default_storage.open(stored, "rb") as handle:
        assert handle.read() == data
    assert Path(default_storage.path(stored)).stat().st_ino == inode  # not a copy


def test_the_published_hash_is_the_stored_archives_taken_as_it_was_written() -> None:
    campaign = CampaignFactory(name="Hashed")
    approved_clip(campaign, "turn the volume down")
    release = build(campaign)
    with default_storage.open(release.archive.name, "rb") as handle:
        assert release.archive_sha256 == hashlib.sha256(handle.read()).hexdigest()


def test_progress_is_reported_once_a_percent_and_not_more_often_than_the_clock_allows(
    monkeypatch,
) -> None:
    reported: list[int] = []
    progress = _Progress(reported.append, total=1000)
    monkeypatch.setattr(archive, "PROGRESS_SECONDS", float("inf"))
    for _ in range(1000):
        progress.tick()
    assert reported == [0]  # the first one only: the next must wait for the clock
    reported.clear()
    monkeypatch.setattr(archive, "PROGRESS_SECONDS", 0.0)
    progress = _Progress(reported.append, total=1000)
    for _ in range(1000):
        progress.tick()
    assert reported == list(range(91))


def test_clips_read_ahead_from_object_storage_give_the_same_archive(monkeypatch) -> None:
    campaign = CampaignFactory(name="Prefetch")
    speaker = ConsentRecordFactory(speaker__campaign=campaign).speaker
    for index in range(5):
        approved_clip(campaign, f"clip {index}", speaker=speaker)
    streamed = build(campaign)
    reads: list[str] = []

    def reader() -> Callable[[str], bytes]:
        def read(name: str) -> bytes:
            reads.append(name)
            with default_storage.open(name, "rb") as handle:
                return handle.read()

        return read

    # As on S3: the clips are fetched on threads ahead of the zip (here from the local folder).
    monkeypatch.setattr(archive, "storage_is_remote", lambda: True)
    monkeypatch.setattr(archive, "storage_reader", reader)
    read_ahead = rewritten_sha256(streamed)
    assert sorted(reads) == sorted(
        r.normalised_file.name for r in Recording.objects.filter(campaign=campaign)
    )
    assert read_ahead == streamed.archive_sha256


def rewritten_sha256(release: Release) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "again.zip"
        key = release.renditions.get().key
        rendition_write(release=release, rendition=rendition_parse(key), archive=path)
        return sha256_file(path)
