"""The spec's audio options: FLAC instead of WAV, and the original uploads shipped alongside."""

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile

from labelhub.accounts.models import User
from labelhub.releases.formats import ExportItem, audio_name, check_items, kaldi_files
from labelhub.releases.models import Release, ReleaseItem
from labelhub.releases.services import release_build, release_create
from tests.audio_samples import convert, speak
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import approved_clip, archive_of, build, release_json

pytestmark = pytest.mark.django_db

# (text, espeak voice); one speaker each, so the default 80/10/10 split fills train.
SPOKEN = [
    ("the quick brown fox", "en-us"),
    ("jumps over the lazy dog", "en-us"),
    ("안녕하세요", "ko"),
    ("seven eight nine", "en-us"),
]


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, bytes, bytes]]:
    """(text, normalised 16 kHz mono WAV, the upload it came from as M4A) per clip."""
    folder = tmp_path_factory.mktemp("takes")
    made = []
    for number, (text, voice) in enumerate(SPOKEN):
        spoken = speak(text, folder / f"{number}.wav", voice=voice)
        wav = convert(
            spoken,
            folder / f"{number}-16k.wav",
            codec_args=["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"],
        )
        upload = convert(spoken, folder / f"{number}.m4a")
        made.append((text, wav.read_bytes(), upload.read_bytes()))
    return made


def real_clips(campaign, takes) -> dict[str, object]:
    """Approved clips whose stored files are real audio; keyed by their final text."""
    clips = {}
    for text, wav, upload in takes:
        clips[text] = approved_clip(
            campaign,
            text,
            normalised_file__data=wav,
            raw_file__data=upload,
            raw_file__filename="raw.m4a",
            raw_sha256=hashlib.sha256(upload).hexdigest(),
            raw_size_bytes=len(upload),
            original_filename="Kim Minji take 3.m4a",
            original_suffix=".m4a",
        )
    return clips


def checksums(bundle: zipfile.ZipFile) -> dict[str, str]:
    lines = bundle.read("SHA256SUMS").decode().splitlines()
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines)}


def manifest(bundle: zipfile.ZipFile) -> list[dict]:
    return [json.loads(line) for line in bundle.read("manifest.jsonl").decode().splitlines()]


def samples(data: bytes) -> tuple[np.ndarray, int]:
    array, rate = soundfile.read(io.BytesIO(data), dtype="int16")
    return array, rate


def test_flac_release_holds_the_same_samples_and_every_format_points_at_flac(
    takes, tmp_path: Path
) -> None:
    campaign = CampaignFactory()
    clips = real_clips(campaign, takes)

    release = build(campaign, spec={"audio_format": "flac", "formats": ["commonvoice"]})

    bundle = archive_of(release)
    names = bundle.namelist()
    audio = [name for name in names if "/audio/" in name]
    assert len(audio) == len(SPOKEN) and all(name.endswith(".flac") for name in audio)
    assert not any(name.endswith(".wav") for name in names)
    assert not any(name.startswith("originals/") for name in names)
    sums = checksums(bundle)
    rows = {row["text"]: row for row in manifest(bundle)}
    for text, wav, _ in takes:
        path = rows[text]["path"]
        data = bundle.read(path)
        assert data[:4] == b"fLaC"
        # Lossless: the FLAC decodes to the normalised WAV's samples exactly.
        decoded, rate = samples(data)
        original, original_rate = samples(wav)
        assert rate == original_rate == 16000
        assert np.array_equal(decoded, original)
        assert sums[path] == hashlib.sha256(data).hexdigest()
        item = ReleaseItem.objects.get(release=release, recording=clips[text])
        assert (item.path, item.sha256) == (path, sums[path])
    for name, digest in sums.items():
        assert hashlib.sha256(bundle.read(name)).hexdigest() == digest
    assert "original_path" not in rows["seven eight nine"]

    flac = set(audio)
    for split in {path.split("/", 1)[0] for path in audio}:
        folder = bundle.read(f"{split}/metadata.jsonl").decode().splitlines()
        assert {f"{split}/{json.loads(row)['file_name']}" for row in folder} <= flac
        nemo = bundle.read(f"{split}_manifest.jsonl").decode().splitlines()
        assert {json.loads(row)["audio_filepath"] for row in nemo} <= flac
        # Common Voice ships its own copy under clips/, named by a hash, but the same FLAC bytes.
        tsv = bundle.read(f"commonvoice/{split}.tsv").decode().splitlines()[1:]
        for clip in (f"commonvoice/clips/{row.split(chr(9))[1]}" for row in tsv):
            assert clip.endswith(".flac") and bundle.read(clip)[:4] == b"fLaC"

    summary = release_json(release)
    assert summary["spec"]["audio_format"] == "flac"
    assert summary["spec"]["include_originals"] is False
    assert summary["audio"] == {"format": "flac", "sample_rate": 16000, "channels": 1}
    datasheet = bundle.read("DATASHEET.md").decode()
    collection = datasheet.split("## Collection process")[1].split("## Consent")[0]
    assert "Audio ships as FLAC" in collection and '"audio_format": "flac"' in collection
    assert "Audio ships as FLAC" in release.datasheet_html


def test_kaldi_wav_scp_pipes_flac_through_sox_back_to_the_same_wav(takes, tmp_path: Path) -> None:
    campaign = CampaignFactory()
    real_clips(campaign, takes)

    release = build(campaign, spec={"audio_format": "flac"})

    archive_of(release).extractall(tmp_path)
    wavs = {hashlib.sha256(wav).hexdigest(): wav for _, wav, _ in takes}
    entries = [
        line.split(" ", 1)
        for scp in tmp_path.glob("kaldi/*/wav.scp")
        for line in scp.read_text().splitlines()
    ]
    assert len(entries) == len(SPOKEN)
    for _utt, command in entries:
        # Kaldi runs "<command> |" through the shell from the data's root and reads WAV from it.
        assert command.startswith("sox ") and command.endswith(" -t wav - |")
        decoded = subprocess.run(
            command.removesuffix("|"), shell=True, cwd=tmp_path, capture_output=True, check=True
        ).stdout
        matching = [
            wav for wav in wavs.values() if np.array_equal(samples(wav)[0], samples(decoded)[0])
        ]
        assert len(matching) == 1


def test_flac_audiofolder_export_loads_with_hugging_face_datasets(takes, tmp_path: Path) -> None:
    import datasets  # imported here: it takes seconds, and only this test needs it

    campaign = CampaignFactory()
    real_clips(campaign, takes)
    # Originals included too: their folder at the root must not look like data to datasets.
    release = build(campaign, spec={"audio_format": "flac", "include_originals": True})
    root = tmp_path / "release"
    archive_of(release).extractall(root)

    loaded = datasets.load_dataset("audiofolder", data_dir=str(root), cache_dir=str(tmp_path))

    rows = [row for split in loaded.values() for row in split]
    assert sorted(row["transcription"] for row in rows) == sorted(text for text, _ in SPOKEN)
    wavs = {text: wav for text, wav, _ in takes}
    for row in rows:
        assert row["audio"]["path"].endswith(".flac")
        assert row["audio"]["sampling_rate"] == 16000
        expected = samples(wavs[row["transcription"]])[0] / 32768
        assert np.allclose(row["audio"]["array"], expected, atol=1e-6)


def test_originals_ship_byte_for_byte_with_the_checksum_taken_at_upload(takes) -> None:
    campaign = CampaignFactory()
    clips = real_clips(campaign, takes)

    release = build(campaign, spec={"include_originals": True})

    bundle = archive_of(release)
    sums = checksums(bundle)
    rows = {row["text"]: row for row in manifest(bundle)}
    originals = [name for name in bundle.namelist() if name.startswith("originals/")]
    assert len(originals) == len(SPOKEN)
    for text, _, upload in takes:
        recording = clips[text]
        path = rows[text]["original_path"]
        assert path == f"originals/{recording.speaker.code}/{recording.uid}.m4a"
        assert bundle.read(path) == upload
        assert sums[path] == recording.raw_sha256 == hashlib.sha256(upload).hexdigest()
        # The normalised audio still ships as WAV, the default.
        assert rows[text]["path"].endswith(".wav")
    # The uploaded file name may carry a person's name: it never ships.
    assert not any(b"Kim Minji" in bundle.read(name) for name in bundle.namelist())
    assert release_json(release)["spec"]["include_originals"] is True
    collection = bundle.read("DATASHEET.md").decode().split("## Collection process")[1]
    assert "original uploads ship byte for byte under originals/" in collection.split("##")[0]


def test_an_upload_that_changed_since_upload_stops_the_build(takes) -> None:
    campaign = CampaignFactory()
    clips = real_clips(campaign, takes)
    changed = clips["seven eight nine"]
    changed.raw_sha256 = "f" * 64
    changed.save(update_fields=["raw_sha256"])
    release = release_create(
        campaign=campaign,
        client=campaign.client,
        created_by=UserFactory(role=User.Role.PM),
        spec={"include_originals": True},
    )

    release = release_build(release_id=release.pk)

    assert release.status == Release.Status.FAILED
    assert str(changed.uid) in release.error and "taken at upload" in release.error
    assert not ReleaseItem.objects.filter(release=release).exists()


def test_without_options_a_release_ships_wav_and_no_originals() -> None:
    campaign = CampaignFactory()
    approved_clip(campaign)

    release = build(campaign)

    bundle = archive_of(release)
    audio = [name for name in bundle.namelist() if "/audio/" in name]
    assert audio and all(name.endswith(".wav") for name in audio)
    assert not any(name.startswith("originals/") for name in bundle.namelist())
    (row,) = manifest(bundle)
    assert "original_path" not in row
    spec = release_json(release)["spec"]
    assert (spec["audio_format"], spec["include_originals"]) == ("wav", False)
    scp = next(n for n in bundle.namelist() if n.endswith("wav.scp"))
    assert bundle.read(scp).decode().split()[1] == audio[0]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"audio_format": "mp3"}, "audio_format"),
        ({"audio_format": "FLAC"}, "audio_format"),
        ({"audio_format": None}, "audio_format"),
        ({"include_originals": "sometimes"}, "include_originals"),
        ({"include_originals": None}, "include_originals"),
    ],
)
def test_a_bad_audio_option_is_refused_naming_the_option(api_for, spec, problem) -> None:
    campaign = CampaignFactory()

    response = api_for(UserFactory(role=User.Role.PM)).post(
        "/api/releases/", {"campaign": campaign.pk, "spec": spec}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "bad_spec"
    assert problem in response.json()["error"]["message"]
    assert Release.objects.count() == 0


def test_the_release_form_sets_both_audio_options(client) -> None:
    campaign = CampaignFactory()
    client.force_login(UserFactory(role=User.Role.PM))
    form = {"campaign": campaign.pk, "train": 0.8, "dev": 0.1, "test": 0.1, "seed": 0}
    form |= {"audio_format": "flac", "include_originals": "on"}

    response = client.post("/portal/manage/new/", form)

    assert response.status_code == 302, response.content.decode()
    spec = Release.objects.get().spec
    assert (spec["audio_format"], spec["include_originals"]) == ("flac", True)
    page = client.get("/portal/manage/new/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "오디오 형식" in page and "업로드된 원본 파일도 함께 포함" in page


def flac_item(split: str, speaker: str, uid: str) -> ExportItem:
    return ExportItem(
        item_id=uid,
        split=split,
        audio_name=audio_name(split, speaker, uid, ".flac"),
        text="hello",
        duration=1.0,
        speaker_id=speaker,
        gender="female",
        age_band="20s",
        region="",
        dialect="",
        language="ko",
    )


def test_kaldi_lists_flac_through_a_sox_pipe_and_keeps_the_prefix() -> None:
    files = kaldi_files([flac_item("train", "SPK-1", "u1")], audio_prefix="/data/rel/")

    assert files["kaldi/train/wav.scp"] == (
        "SPK-1-u1 sox /data/rel/train/audio/SPK-1/u1.flac -t wav - |\n"
    )


def test_no_split_may_take_the_originals_folder() -> None:
    with pytest.raises(ValueError, match="not a usable split name"):
        check_items([flac_item("originals", "SPK-1", "u1")])
