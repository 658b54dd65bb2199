"""A withdrawal supersedes every published release holding the speaker and re-issues it as
v1.1: the same items, splits and texts minus the speaker's, with a removal list that names
every row and file of theirs in every format of the original."""

import fnmatch
import gzip
import hashlib
import io
import json
import re
import tarfile
import zipfile
from pathlib import PurePosixPath

import pyarrow.parquet as pq
import pytest

from labelhub.accounts.models import User
from labelhub.erasure import speaker_audio_delete
from labelhub.recordings.models import Recording
from labelhub.releases import services
from labelhub.releases.models import Release, ReleaseChange, SpeakerSplit
from labelhub.releases.reissue import REASON_WITHDRAWN
from labelhub.releases.services import release_build
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import approved_clip, archive_of, build, release_json

pytestmark = pytest.mark.django_db
TEXT_SUFFIXES = (".jsonl", ".tsv", ".jsonl.gz")
KALDI_FILES = {"wav.scp", "text", "utt2spk", "utt2dur", "segments", "spk2utt", "spk2gender"}


def withdraw(speaker, django_capture_on_commit_callbacks) -> None:
    """The withdrawal and its worker run (the re-issue build is queued on commit, not run)."""
    with django_capture_on_commit_callbacks(execute=False):
        consent_withdraw(speaker=speaker, method=BY_PM)
    with django_capture_on_commit_callbacks(execute=False):
        speaker_audio_delete(speaker_id=speaker.pk)


def campaign_with_three_speakers():
    campaign = CampaignFactory()
    clips = {name: [] for name in ("stays", "leaves", "also")}
    for name, clips_of in clips.items():
        first = approved_clip(campaign, f"{name} one")
        clips_of += [first, approved_clip(campaign, f"{name} two", speaker=first.speaker)]
    for recording in Recording.objects.filter(campaign=campaign):
        # The factory's placeholder checksum: originals ship only with the real one.
        with recording.raw_file.open("rb") as raw:
            recording.raw_sha256 = hashlib.sha256(raw.read()).hexdigest()
        recording.save(update_fields=["raw_sha256"])
    return campaign, clips


@pytest.fixture
def withdrawn_v1(media_root, django_capture_on_commit_callbacks):
    campaign, clips = campaign_with_three_speakers()
    # Every layout, so the removal list is checked against every format's files.
    every_format = ["commonvoice", "lhotse", "webdataset", "parquet"]
    v1 = build(campaign, spec={"include_originals": True, "formats": every_format})
    v1_bytes = archive_of(v1)
    leaving = clips["leaves"][0].speaker
    withdraw(leaving, django_capture_on_commit_callbacks)
    v1.refresh_from_db()
    return v1, v1_bytes, leaving, clips


def test_a_withdrawal_supersedes_v1_and_creates_its_reissue_v1_1(withdrawn_v1) -> None:
    v1, _, _, _ = withdrawn_v1

    reissue = v1.superseded_by
    assert v1.superseded_at is not None and v1.superseded_reason == REASON_WITHDRAWN
    assert v1.revoked_at is None  # superseded by the system, not revoked by a PM
    assert (reissue.version, reissue.reissue_number, reissue.label) == (1, 1, "1.1")
    assert reissue.reissue_of == v1 and reissue.status == Release.Status.BUILDING


def test_the_withdrawal_deletes_the_superseded_archives_and_keeps_their_record(
    media_root, django_capture_on_commit_callbacks
) -> None:
    campaign, clips = campaign_with_three_speakers()
    v1 = build(campaign)
    names = [v1.archive.name, *(r.archive.name for r in v1.renditions.all())]
    sha = v1.archive_sha256
    assert names and all((media_root / name).exists() for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(speaker=clips["leaves"][0].speaker, method=BY_PM)
    with django_capture_on_commit_callbacks(execute=True):
        speaker_audio_delete(speaker_id=clips["leaves"][0].speaker.pk)

    v1.refresh_from_db()
    assert v1.superseded_at is not None
    assert not any((media_root / name).exists() for name in names)
    assert v1.archive.name == "" and not v1.renditions.exclude(archive="").exists()
    assert v1.archive_sha256 == sha  # what was shipped stays on record


def test_the_reissue_holds_v1_minus_the_speaker_in_the_same_splits(withdrawn_v1) -> None:
    v1, _, leaving, _ = withdrawn_v1
    recorded_before = SpeakerSplit.objects.count()

    reissue = release_build(release_id=v1.superseded_by_id)

    assert reissue.status == Release.Status.PUBLISHED, reissue.error
    before = {i.recording_id: (i.split, i.path, i.revision_id) for i in v1.items.all()}
    after = {i.recording_id: (i.split, i.path, i.revision_id) for i in reissue.items.all()}
    gone = {pk for pk in before if v1.items.get(recording_id=pk).recording.speaker == leaving}
    assert len(gone) == 2 and after == {pk: row for pk, row in before.items() if pk not in gone}
    assert SpeakerSplit.objects.count() == recorded_before
    assert release_json(reissue)["version"] == 1
    assert "release v1.1" in reissue.datasheet_md


def test_the_reissues_changelog_lists_the_removed_items_as_consent_withdrawn(withdrawn_v1) -> None:
    v1, _, leaving, _ = withdrawn_v1

    reissue = release_build(release_id=v1.superseded_by_id)

    changes = list(reissue.changes.values_list("kind", "reason", "recording__speaker"))
    assert (
        changes
        == [(ReleaseChange.Kind.REMOVED, ReleaseChange.Reason.WITHDRAWN_CONSENT, leaving.pk)] * 2
    )
    assert reissue.previous == v1


def test_the_next_version_is_v2_and_compares_with_the_reissue(withdrawn_v1) -> None:
    v1, _, _, _ = withdrawn_v1
    reissue = release_build(release_id=v1.superseded_by_id)

    v2 = build(v1.campaign)

    assert (v2.version, v2.label, v2.previous) == (2, "2", reissue)
    assert release_json(v2)["changelog"]["against_version"] == 1


def test_withdrawing_a_second_speaker_supersedes_the_reissue_with_v1_2(
    withdrawn_v1, django_capture_on_commit_callbacks
) -> None:
    v1, _, _, clips = withdrawn_v1
    reissue = release_build(release_id=v1.superseded_by_id)

    withdraw(clips["also"][0].speaker, django_capture_on_commit_callbacks)

    reissue.refresh_from_db()
    second = release_build(release_id=reissue.superseded_by_id)
    assert (second.label, second.reissue_of) == ("1.2", reissue)
    assert sorted(i.recording_id for i in second.items.all()) == [r.pk for r in clips["stays"]]


def test_the_removal_list_names_every_row_and_file_of_the_speaker_in_every_format(
    withdrawn_v1, api_for
) -> None:
    v1, v1_zip, leaving, clips = withdrawn_v1
    client = api_for(UserFactory(role=User.Role.CLIENT, organisation=v1.client))

    rows = client.get(f"/api/releases/{v1.pk}/withdrawn-items/").json()

    uids = {str(recording.uid) for recording in clips["leaves"]}
    assert {row["recording_id"] for row in rows} == uids
    assert {row["reason"] for row in rows} == {REASON_WITHDRAWN}
    listed = {place for row in rows for places in row["remove"].values() for place in places}
    texts = {"leaves one", "leaves two"}
    mentions = _mentions(v1_zip, uids, texts, _speaker_key(v1, leaving))
    assert mentions == _existing(listed, v1_zip)
    formats = {"kaldi", "commonvoice", "lhotse", "webdataset", "parquet", "originals"}
    assert formats <= {place.split("/")[0] for place in mentions}
    split = rows[0]["split"]
    files = {f"{split}/metadata.jsonl", f"{split}_manifest.jsonl", "manifest.jsonl", "SHA256SUMS"}
    assert files <= {place.split("#")[0] for place in mentions}
    assert any(place.startswith("originals/") for place in listed)


def test_the_removal_list_links_the_reissue(withdrawn_v1, api_for) -> None:
    v1, _, _, _ = withdrawn_v1
    release_build(release_id=v1.superseded_by_id)
    client = api_for(UserFactory(role=User.Role.CLIENT, organisation=v1.client))

    response = client.get(f"/api/releases/{v1.pk}/withdrawn-items/")
    detail = client.get(f"/api/releases/{v1.pk}/").json()

    assert f"/api/releases/{v1.superseded_by_id}/" in response["Link"]
    assert (detail["superseded_by"], detail["superseded_reason"]) == (
        v1.superseded_by_id,
        REASON_WITHDRAWN,
    )
    listed = {row["id"]: row["label"] for row in client.get("/api/releases/").json()}
    assert listed == {v1.pk: "1", v1.superseded_by_id: "1.1"}


def _speaker_key(release: Release, speaker) -> str:
    return PurePosixPath(release.items.filter(recording__speaker=speaker).first().path).parts[-2]


def _mentions(bundle: zipfile.ZipFile, uids: set[str], texts: set[str], speaker: str) -> set[str]:
    """Every member and member#row-key of the archive that names the items or their speaker,
    found by reading each format's files (what the removal list must not need to do)."""
    # Common Voice names neither item nor speaker: its rows are found by their sentence.
    clips = {
        row.split("\t")[1]
        for name in bundle.namelist()
        if name.startswith("commonvoice/") and name.endswith(".tsv")
        for row in bundle.read(name).decode().splitlines()[1:]
        if row.split("\t")[3] in texts
    }
    pattern = re.compile(
        "|".join(rf"(?<![\w-]){re.escape(t)}(?!\w)" for t in uids | clips | {speaker})
    )
    found = {name for name in bundle.namelist() if pattern.search(name)}
    for name in bundle.namelist():
        found |= {f"{name}#{key}" for key, line in _rows(bundle, name) if pattern.search(line)}
    return found


def _rows(bundle: zipfile.ZipFile, name: str) -> list[tuple[str, str]]:
    """(row key, row text) of every row of a metadata file; [] for other members."""
    base = PurePosixPath(name).name
    if name.endswith(".parquet"):
        table = pq.read_table(io.BytesIO(bundle.read(name)), columns=["item_id", "speaker_id"])
        return [(r["item_id"], json.dumps(r)) for r in table.to_pylist()]
    if name.endswith(".tar"):
        with tarfile.open(fileobj=io.BytesIO(bundle.read(name))) as shard:
            return [(member, member) for member in shard.getnames()]
    if name.endswith(".jsonl.gz"):
        lines = gzip.decompress(bundle.read(name)).decode().splitlines()
        return [(json.loads(line)["id"], line) for line in lines]
    if name.endswith(".jsonl"):
        lines = bundle.read(name).decode().splitlines()
        key = "recording_id" if name == "manifest.jsonl" else "item_id"
        return [(json.loads(line)[key], line) for line in lines]
    if name.endswith(".tsv"):
        return [(row.split("\t")[1], row) for row in bundle.read(name).decode().splitlines()[1:]]
    if name.startswith("kaldi/") and base in KALDI_FILES:
        return [(line.split(" ", 1)[0], line) for line in bundle.read(name).decode().splitlines()]
    if name == "SHA256SUMS":
        return [(line.split("  ", 1)[1], line) for line in bundle.read(name).decode().splitlines()]
    return []


def _existing(listed: set[str], bundle: zipfile.ZipFile) -> set[str]:
    """The listed places that are in the archive; a listed place that is not must be an
    optional file (Kaldi's utt2dur, segments) the build did not write."""
    names = bundle.namelist()
    found = set()
    for place in listed:
        member, _, key = place.partition("#")
        matches = fnmatch.filter(names, member)
        if not matches:
            assert PurePosixPath(member).name in {"utt2dur", "segments", "spk2gender"}, place
        found |= {f"{name}#{key}" if key else name for name in matches}
    return found


def test_a_release_whose_every_item_is_withdrawn_answers_410_with_no_reissue(
    media_root, django_capture_on_commit_callbacks, api_for
) -> None:
    campaign = CampaignFactory()
    only = approved_clip(campaign, "alone")
    v1 = build(campaign)
    client = api_for(UserFactory(role=User.Role.PM))

    withdraw(only.speaker, django_capture_on_commit_callbacks)

    v1.refresh_from_db()
    assert v1.superseded_at is not None and v1.superseded_by is None
    assert not Release.objects.filter(reissue_of=v1).exists()
    response = client.get(f"/api/releases/{v1.pk}/download/")
    assert response.status_code == 410
    assert response.json()["error"]["replacement"] is None
    assert "no re-issue" in response.json()["error"]["message"]


def test_a_speaker_who_withdraws_while_v1_builds_gets_v1_superseded_when_it_publishes(
    media_root, monkeypatch
) -> None:
    campaign, clips = campaign_with_three_speakers()
    leaving = clips["leaves"][0].speaker
    write_archive = services.write_archive

    def withdrawing_meanwhile(**kwargs):
        # The withdrawal commits mid-build, after the items were selected.
        consent_withdraw(speaker=leaving, method=BY_PM)
        return write_archive(**kwargs)

    monkeypatch.setattr(services, "write_archive", withdrawing_meanwhile)

    v1 = build(campaign)

    v1.refresh_from_db()
    assert v1.superseded_at is not None
    assert v1.superseded_by.reissue_of == v1
