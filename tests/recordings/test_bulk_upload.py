"""Studio bulk upload: a ZIP of audio and a CSV manifest, reported row by row; hostile archives
are refused whole, with a clear error and nothing stored."""

import io
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.campaigns.models import Campaign, Prompt
from labelhub.recordings.bulk import bulk_upload_process
from labelhub.recordings.bulk_archive import MAX_ENTRIES, MAX_ROWS
from labelhub.recordings.models import Recording
from tests.audio_samples import convert, speak
from tests.conftest import stored_files
from tests.factories import (
    CampaignFactory,
    CollectionChannelFactory,
    ConsentRecordFactory,
    RecordingEnvironmentFactory,
)
from workers.tasks.ingest import bulk_upload_process_task

pytestmark = pytest.mark.django_db

HEADER = "file,speaker_code,prompt_id,prompt_text,environment,channel\n"


@pytest.fixture
def campaign():
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
    for code in ("ST-01", "ST-02"):
        ConsentRecordFactory(speaker__campaign=campaign, speaker__code=code)
    Prompt.objects.create(campaign=campaign, external_id="P-001", text="turn on the television")
    Prompt.objects.create(campaign=campaign, external_id="P-002", text="switch off the lights")
    RecordingEnvironmentFactory(campaign=campaign, name="Booth A")
    CollectionChannelFactory(campaign=campaign, name="Voice actors")
    return campaign


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("clips")
    tv = speak("turn on the television", folder / "tv.wav")
    lights = convert(speak("switch off the lights", folder / "lights.wav"), folder / "lights.mp3")
    return {"tv.wav": tv.read_bytes(), "lights.mp3": lights.read_bytes()}


def zipped(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as bundle:
        for name, data in entries.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def upload(client, campaign, archive: bytes):
    return client.post(
        f"/api/campaigns/{campaign.pk}/bulk-uploads/",
        {"archive": SimpleUploadedFile("batch.zip", archive)},
        format="multipart",
    )


def test_the_report_lists_accepted_and_rejected_rows_with_reasons(
    api_for, pm, campaign, clips, media_root: Path
) -> None:
    manifest = HEADER + (
        "audio/tv.wav,ST-01,P-001,,Booth A,Voice actors\n"
        "audio/lights.mp3,ST-02,,switch off the lights,,\n"
        "audio/tv.wav,ST-99,P-001,,,\n"
        "audio/missing.wav,ST-01,,,,\n"
        "audio/notes.wav,ST-01,,,,\n"
        "audio/copy.wav,ST-02,,,,\n"
        "audio/lights.mp3,ST-01,P-404,,,\n"
        "audio/lights.mp3,ST-01,,,Rooftop,\n"
    )
    archive = zipped(
        {
            "manifest.csv": manifest.encode(),
            "audio/tv.wav": clips["tv.wav"],
            "audio/lights.mp3": clips["lights.mp3"],
            "audio/notes.wav": b"just some notes, not audio\n" * 40,
            "audio/copy.wav": clips["tv.wav"],
        }
    )

    response = upload(api_for(pm), campaign, archive)

    assert response.status_code == 200, response.json()
    report = response.json()
    assert [row["row"] for row in report["accepted"]] == [2, 3]
    assert {row["row"]: row["code"] for row in report["rejected"]} == {
        4: "unknown_speaker",
        5: "file_missing",
        6: "not_audio",
        7: "duplicate_audio",
        8: "unknown_prompt",
        9: "unknown_recordingenvironment",
    }
    assert all(row["error"] for row in report["rejected"])
    first = Recording.objects.get(pk=report["accepted"][0]["recording"])
    assert (first.speaker.code, first.prompt.external_id) == ("ST-01", "P-001")
    assert (first.environment.name, first.channel.name) == ("Booth A", "Voice actors")
    assert first.original_filename == "tv.wav"
    second = Recording.objects.get(pk=report["accepted"][1]["recording"])
    assert second.prompt.text == "switch off the lights"
    assert len(stored_files(media_root)) == 2


@pytest.mark.parametrize(
    "name", ["../evil.wav", "/etc/evil.wav", "audio/../../evil.wav", "C:/x.wav"]
)
def test_a_path_traversal_name_refuses_the_archive(
    api_for, pm, campaign, clips, media_root: Path, name
) -> None:
    manifest = HEADER + "audio/tv.wav,ST-01,,,,\n"
    archive = zipped(
        {"manifest.csv": manifest.encode(), "audio/tv.wav": clips["tv.wav"], name: clips["tv.wav"]}
    )

    response = upload(api_for(pm), campaign, archive)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsafe_path"
    assert name in response.json()["error"]["message"]
    assert not Recording.objects.exists()
    assert stored_files(media_root) == []


def test_a_zip_bomb_is_refused_from_its_declared_sizes(
    api_for, pm, campaign, clips, media_root: Path
) -> None:
    manifest = HEADER + "audio/tv.wav,ST-01,,,,\n"
    bomb = b"\0" * (50 * 1024 * 1024)  # 50 MB that deflates to about 50 KB
    archive = zipped(
        {"manifest.csv": manifest.encode(), "audio/tv.wav": clips["tv.wav"], "audio/big.wav": bomb}
    )
    assert len(archive) < 200 * 1024

    response = upload(api_for(pm), campaign, archive)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "zip_bomb"
    assert "ZIP bomb" in response.json()["error"]["message"]
    assert stored_files(media_root) == []


def test_a_csv_with_100k_rows_is_refused(api_for, pm, campaign, clips, media_root: Path) -> None:
    manifest = HEADER + "".join(f"audio/{row}.wav,ST-01,,,,\n" for row in range(100_000))
    archive = zipped({"manifest.csv": manifest.encode(), "audio/tv.wav": clips["tv.wav"]})

    response = upload(api_for(pm), campaign, archive)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_rows"
    assert f"more than {MAX_ROWS} rows" in response.json()["error"]["message"]
    assert stored_files(media_root) == []


def test_too_many_entries_are_refused(api_for, pm, campaign, media_root: Path) -> None:
    entries = {f"audio/{index}.wav": b"" for index in range(MAX_ENTRIES + 1)}
    archive = zipped({"manifest.csv": HEADER.encode(), **entries}, method=zipfile.ZIP_STORED)

    response = upload(api_for(pm), campaign, archive)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_entries"
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("archive", "code"),
    [
        (b"PK\x03\x04 this is not really a zip", "not_a_zip"),
        (zipped({"audio/tv.wav": b"RIFF"}), "manifest_missing"),
        (zipped({"list.csv": b"name,who\n"}), "manifest_columns"),
    ],
)
def test_a_broken_archive_or_manifest_is_named(api_for, pm, campaign, archive, code) -> None:
    response = upload(api_for(pm), campaign, archive)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_bulk_upload_needs_an_active_campaign(api_for, pm, campaign, clips) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    archive = zipped({"manifest.csv": (HEADER + "tv.wav,ST-01,,,,\n").encode(), "tv.wav": b""})

    response = upload(api_for(pm), campaign, archive)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "campaign_not_collecting"


def test_only_a_pm_may_bulk_upload(api_for, labeler, campaign) -> None:
    response = upload(api_for(labeler), campaign, zipped({"manifest.csv": HEADER.encode()}))

    assert response.status_code == 403


def test_a_larger_upload_goes_to_a_worker_that_reports_progress_and_drops_the_archive(
    api_for, pm, campaign, clips, media_root: Path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setattr("labelhub.recordings.bulk.BULK_SYNC_ROWS", 1)
    manifest = HEADER + "tv.wav,ST-01,P-001,,,\nlights.mp3,ST-02,P-002,,,\n"
    archive = zipped({"manifest.csv": manifest.encode(), **clips})

    with django_capture_on_commit_callbacks() as queued:
        response = upload(api_for(pm), campaign, archive)

    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["status"], body["row_count"], len(queued)) == ("queued", 2, 1)
    assert [path.suffix for path in stored_files(media_root)] == [".zip"]
    assert not Recording.objects.exists()

    bulk_upload_process_task.apply(args=[body["id"]])  # what the worker runs

    done = api_for(pm).get(body["url"]).json()
    assert (done["status"], done["progress"], done["accepted_count"]) == ("done", 100, 2)
    assert Recording.objects.count() == 2
    assert not [path for path in stored_files(media_root) if path.suffix == ".zip"]


def test_a_queued_upload_is_refused_if_the_campaign_closed_meanwhile(
    api_for, pm, campaign, clips, media_root: Path, monkeypatch
) -> None:
    monkeypatch.setattr("labelhub.recordings.bulk.BULK_SYNC_ROWS", 0)
    archive = zipped({"manifest.csv": (HEADER + "tv.wav,ST-01,,,,\n").encode(), **clips})
    queued = upload(api_for(pm), campaign, archive).json()
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)

    bulk_upload_process(bulk_upload_id=queued["id"])

    done = api_for(pm).get(queued["url"]).json()
    assert done["status"] == "refused"
    assert done["error"]["code"] == "campaign_not_collecting"
    assert stored_files(media_root) == []


def lying_about_size(archive: bytes, name: str, *, declared: int) -> bytes:
    """Rewrites an entry's uncompressed size in both ZIP headers, as a crafted bomb would."""
    data = bytearray(archive)
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_at : start + name_at + len(encoded)] == encoded:
                data[start + size_at : start + size_at + 4] = struct.pack("<I", declared)
            start += 4
    return bytes(data)


def test_an_entry_lying_about_its_size_is_never_inflated_past_it(
    api_for, pm, campaign, clips, media_root: Path
) -> None:
    manifest = HEADER + "audio/tv.wav,ST-01,,,,\naudio/big.wav,ST-02,,,,\n"
    honest = zipped(
        {
            "manifest.csv": manifest.encode(),
            "audio/tv.wav": clips["tv.wav"],
            "audio/big.wav": b"\0" * (20 * 1024 * 1024),
        }
    )
    archive = lying_about_size(honest, "audio/big.wav", declared=1000)

    response = upload(api_for(pm), campaign, archive)

    assert response.status_code == 200, response.json()
    rejected = response.json()["rejected"]
    assert [(row["row"], row["code"]) for row in rejected] == [(3, "corrupt_entry")]
    assert response.json()["accepted_count"] == 1
    assert all(path.stat().st_size < 1024 * 1024 for path in stored_files(media_root))


@pytest.mark.parametrize(
    "row",
    [
        "audio/tv.wav,ST\x0001,,,,",
        "audio/tv.wav,ST-01,P-\x00,,,",
        "audio/tv.wav,ST-01,,,Booth\x1bA,",
        "audio/t\x00v.wav,ST-01,,,,",
    ],
)
def test_a_control_character_in_the_manifest_rejects_its_row_with_the_reason(
    api_for, pm, campaign, clips, row
) -> None:
    manifest = HEADER + row + "\naudio/tv.wav,ST-02,P-002,,,\n"
    archive = zipped({"manifest.csv": manifest.encode(), "audio/tv.wav": clips["tv.wav"]})

    response = upload(api_for(pm), campaign, archive)

    assert response.status_code == 200, response.json()
    report = response.json()
    assert [row["row"] for row in report["accepted"]] == [3]
    (rejected,) = report["rejected"]
    assert rejected["code"] == "control_character" and "U+00" in rejected["error"]
    assert "\x00" not in rejected["file"]
    assert Recording.objects.get().speaker.code == "ST-02"
