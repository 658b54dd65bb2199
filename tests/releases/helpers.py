"""Building blocks for release tests: approved clips, built releases, unpacked archives."""

import io
import json
import zipfile
from pathlib import Path

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
    approve(recording, text, draft=draft)
    return recording


def approve(recording, text: str, *, draft: str = "") -> None:
    """An ASR draft, a labeler's final text and an approved task, as labeling leaves them."""
    first = RevisionFactory(recording=recording, text=draft or text)
    RevisionFactory(
        recording=recording,
        number=2,
        parent=first,
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        text=text,
    )
    TaskFactory(recording=recording, status=Task.Status.APPROVED)


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


class Unpacked(zipfile.ZipFile):
    """An archive read as its top folder (``<dataset>-v<N>/``) holds it: names are relative to
    that folder, as SHA256SUMS and every format's metadata write them."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        tops = {name.split("/", 1)[0] for name in super().namelist()}
        assert len(tops) == 1, f"more than one top-level entry: {sorted(tops)}"
        self.top = tops.pop() + "/"

    def namelist(self) -> list[str]:
        return [name.removeprefix(self.top) for name in super().namelist()]

    def getinfo(self, name: str) -> zipfile.ZipInfo:
        return super().getinfo(self.top + name)

    def extractall(self, path=None, members=None, pwd=None) -> None:
        """Unpacks the top folder's contents straight into ``path``."""
        root = Path(path or ".")
        for name in members or self.namelist():
            if not name.endswith("/"):
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(self.read(name))


def archive_of(release: Release) -> Unpacked:
    with release.archive.open("rb") as handle:
        return Unpacked(handle.read())


def release_json(release: Release) -> dict:
    return json.loads(archive_of(release).read("release.json"))


def texts_in(release: Release) -> list[str]:
    lines = archive_of(release).read("manifest.jsonl").decode().splitlines()
    return sorted(json.loads(line)["text"] for line in lines)
