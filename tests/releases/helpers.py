"""Building blocks for release tests: approved clips, built releases, unpacked archives."""

import io
import json
import zipfile

from labelhub.accounts.models import User
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.releases.models import Release
from labelhub.releases.services import release_build, release_create
from tests.factories import (
    ConsentRecordFactory,
    RecordingFactory,
    RevisionFactory,
    TaskFactory,
    UserFactory,
)


def approved_clip(campaign, text: str = "turn on the tv", *, speaker=None, draft: str = "", **rec):
    """A ready clip with an ASR draft, a labeler's final text and an approved task."""
    if speaker is None:
        speaker = ConsentRecordFactory(speaker__campaign=campaign).speaker
    recording = RecordingFactory(speaker=speaker, **rec)
    first = RevisionFactory(recording=recording, text=draft or text)
    RevisionFactory(
        recording=recording,
        number=2,
        parent=first,
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        text=text,
    )
    TaskFactory(recording=recording, status=Task.Status.APPROVED)
    return recording


def correct(recording, text: str) -> TranscriptRevision:
    """A reviewer's newer final text for the clip."""
    last = recording.revisions.order_by("-number").first()
    return RevisionFactory(
        recording=recording,
        number=last.number + 1,
        parent=last,
        kind=TranscriptRevision.Kind.REVIEW,
        text=text,
    )


def build(campaign, *, spec: dict | None = None, **kwargs) -> Release:
    release = release_create(
        campaign=campaign,
        client=campaign.client,
        created_by=UserFactory(role=User.Role.PM),
        spec=spec,
        **kwargs,
    )
    release = release_build(release_id=release.pk)
    assert release.status == Release.Status.PUBLISHED, release.error
    return release


def archive_of(release: Release) -> zipfile.ZipFile:
    with release.archive.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def release_json(release: Release) -> dict:
    return json.loads(archive_of(release).read("release.json"))


def texts_in(release: Release) -> list[str]:
    lines = archive_of(release).read("manifest.jsonl").decode().splitlines()
    return sorted(json.loads(line)["text"] for line in lines)
