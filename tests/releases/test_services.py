"""Releases hold only consented, human-corrected items, and only their client can download them."""

import hashlib
import json

import pytest
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.releases.models import DownloadEvent, Release
from labelhub.releases.services import release_build, release_create
from tests.factories import (
    CampaignFactory,
    ConsentRecordFactory,
    OrganisationFactory,
    RecordingFactory,
    RevisionFactory,
    TaskFactory,
    UserFactory,
)
from tests.releases.helpers import archive_of

pytestmark = pytest.mark.django_db


def corrected_recording(campaign, text: str, **consent_fields):
    consent = ConsentRecordFactory(speaker__campaign=campaign, **consent_fields)
    recording = RecordingFactory(speaker=consent.speaker)
    draft = RevisionFactory(recording=recording, text="draft words")
    RevisionFactory(
        recording=recording,
        number=2,
        parent=draft,
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        text=text,
    )
    TaskFactory(recording=recording, status=Task.Status.APPROVED)
    return recording


def built_release(campaign) -> Release:
    release = release_create(
        campaign=campaign, client=campaign.client, created_by=UserFactory(role=User.Role.PM)
    )
    return release_build(release_id=release.pk)


def test_release_manifest_holds_the_corrected_text_and_matching_checksums() -> None:
    campaign = CampaignFactory()
    recording = corrected_recording(campaign, "Turn on the TV.")

    release = built_release(campaign)

    assert release.status == Release.Status.PUBLISHED, release.error
    bundle = archive_of(release)
    rows = [json.loads(line) for line in bundle.read("manifest.jsonl").decode().splitlines()]
    assert [row["text"] for row in rows] == ["Turn on the TV."]
    assert rows[0]["speaker_id"] == recording.speaker.code
    assert rows[0]["age_band"] == recording.speaker.age_band
    for line in bundle.read("SHA256SUMS").decode().splitlines():
        digest, path = line.split("  ", 1)
        assert hashlib.sha256(bundle.read(path)).hexdigest() == digest
    with release.archive.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == release.archive_sha256


def test_withdrawn_consent_and_uncorrected_drafts_stay_out() -> None:
    campaign = CampaignFactory()
    corrected_recording(campaign, "kept")
    corrected_recording(campaign, "withdrawn", withdrawn_at=timezone.now())
    corrected_recording(campaign, "no delivery", document__allows_third_party_delivery=False)
    RevisionFactory(recording__speaker=ConsentRecordFactory(speaker__campaign=campaign).speaker)

    release = built_release(campaign)

    texts = [
        json.loads(line)["text"] for line in archive_of(release).read("manifest.jsonl").splitlines()
    ]
    assert texts == ["kept"]
    assert release.item_count == 1


def test_a_release_with_nothing_to_ship_fails_with_a_reason() -> None:
    release = built_release(CampaignFactory())

    assert release.status == Release.Status.FAILED
    assert "no item is ready" in release.error


def test_versions_count_up_per_campaign() -> None:
    campaign = CampaignFactory()
    pm = UserFactory(role=User.Role.PM)

    versions = [
        release_create(campaign=campaign, client=campaign.client, created_by=pm).version
        for _ in range(3)
    ]

    assert versions == [1, 2, 3]


def test_only_the_client_organisation_can_download(api_for) -> None:
    campaign = CampaignFactory()
    corrected_recording(campaign, "hello")
    release = built_release(campaign)
    own = UserFactory(role=User.Role.CLIENT, organisation=campaign.client)
    other = UserFactory(role=User.Role.CLIENT, organisation=OrganisationFactory())
    labeler = UserFactory(role=User.Role.LABELER)
    url = f"/api/releases/{release.pk}/download/"

    assert api_for(other).get(url).status_code == 404
    assert api_for(labeler).get(url).status_code == 403
    assert api_for(other).get("/api/releases/").json() == []
    response = api_for(own).get(url)
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == (
        release.archive_sha256
    )
    assert DownloadEvent.objects.filter(release=release, user=own).count() == 1


def test_a_release_is_split_by_speaker_and_loads_as_an_audiofolder(tmp_path) -> None:
    import datasets
    from django.core.files import File

    from tests.audio_samples import convert, speak

    campaign = CampaignFactory()
    texts = ["turn on the tv", "volume up", "next channel", "mute", "play music", "stop"]
    for index, text in enumerate(texts):
        recording = corrected_recording(campaign, text)
        wav = convert(
            speak(text, tmp_path / f"{index}.wav"),
            tmp_path / f"{index}-16k.wav",
            codec_args=["-ar", "16000", "-ac", "1"],
        )
        with wav.open("rb") as handle:
            recording.normalised_file.save(f"n{index}.wav", File(handle))

    release = built_release(campaign)

    assert release.status == Release.Status.PUBLISHED, release.error
    root = tmp_path / "unpacked"
    archive_of(release).extractall(root)
    summary = json.loads((root / "release.json").read_text())
    assert summary["items"] == 6 and summary["speakers"] == 6
    splits_of_speakers = {}
    for item in release.items.select_related("recording__speaker"):
        splits_of_speakers.setdefault(item.recording.speaker.code, set()).add(item.split)
    assert all(len(splits) == 1 for splits in splits_of_speakers.values())
    loaded = datasets.load_dataset("audiofolder", data_dir=str(root))
    assert sum(len(part) for part in loaded.values()) == 6
    row = loaded["train"][0]
    assert row["audio"]["sampling_rate"] == 16000
    assert row["transcription"] in texts
    assert (root / "kaldi" / "train" / "wav.scp").exists()
    assert (root / "train_manifest.jsonl").exists()
    assert not (root / "commonvoice").exists()  # an opt-in rendition, not the default


def test_bad_split_ratios_are_refused_naming_the_problem(api_for) -> None:
    campaign = CampaignFactory()

    response = api_for(UserFactory(role=User.Role.PM)).post(
        "/api/releases/",
        {"campaign": campaign.pk, "split_ratios": {"train": 0.9, "test": 0.3}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_split_ratios"
    assert "sum" in response.json()["error"]["message"]
    assert Release.objects.count() == 0
