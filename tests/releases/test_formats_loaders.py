"""The audio-carrying formats of a real build, loaded by the libraries ML teams use on them.

A release of real WAVs is built by release_build, unzipped, and read by lhotse, webdataset,
datasets (Parquet) and a Common Voice loader written the way torchaudio's COMMONVOICE reads.
"""

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from labelhub.labeling.models import TranscriptRevision
from labelhub.releases.models import Release
from labelhub.releases.renditions import EXTRA_FORMATS
from tests.factories import CampaignFactory, ConsentRecordFactory, RevisionFactory
from tests.releases.helpers import approved_clip, archive_of, build, correct

pytestmark = pytest.mark.django_db

RATE = 16000
# (speaker gender, age band, text); one speaker each, so the default split fills every split.
CLIPS = [
    ("female", "20s", "volume up"),
    ("male", "50s", "turn the tv off"),
    ("female", "40s", "mute"),
    ("male", "30s", "next channel"),
    ("other", "60s", "안녕하세요"),
]


def tone(number: int) -> bytes:
    """A distinct, real 16-bit mono WAV per clip (length and pitch differ)."""
    seconds = 0.5 + 0.1 * number
    t = np.arange(int(RATE * seconds)) / RATE
    samples = (0.3 * np.sin(2 * np.pi * (220 + 55 * number) * t) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@pytest.fixture
def unpacked(tmp_path: Path) -> tuple[Path, Release, dict[str, bytes]]:
    """The unzipped archive, its release, and each clip's WAV bytes by final text."""
    campaign = CampaignFactory()
    wavs = {}
    for number, (gender, age, text) in enumerate(CLIPS):
        speaker = ConsentRecordFactory(
            speaker__campaign=campaign, speaker__gender=gender, speaker__age_band=age
        ).speaker
        wavs[text] = tone(number)
        approved_clip(
            campaign,
            text,
            speaker=speaker,
            normalised_file__data=wavs[text],
            duration_seconds=len(soundfile.read(io.BytesIO(wavs[text]))[0]) / RATE,
        )
    release = build(campaign, spec={"formats": list(EXTRA_FORMATS)})
    root = tmp_path / "release"
    archive_of(release).extractall(root)
    return root, release, wavs


def manifest_rows(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]


def splits_of(root: Path) -> list[str]:
    return sorted({row["split"] for row in manifest_rows(root)})


def test_lhotse_loads_the_manifests_into_cuts_whose_audio_is_the_wav(
    unpacked, monkeypatch: pytest.MonkeyPatch
) -> None:
    lhotse = pytest.importorskip("lhotse")
    root, _, wavs = unpacked
    monkeypatch.chdir(root)  # source paths are relative to the release root
    seen = 0
    for split in splits_of(root):
        recordings = lhotse.load_manifest(root / f"lhotse/recordings_{split}.jsonl.gz")
        supervisions = lhotse.load_manifest(root / f"lhotse/supervisions_{split}.jsonl.gz")
        cuts = lhotse.CutSet.from_manifests(recordings=recordings, supervisions=supervisions)
        for cut in cuts:
            (supervision,) = cut.supervisions
            expected, _ = soundfile.read(io.BytesIO(wavs[supervision.text]), dtype="float32")
            assert cut.sampling_rate == RATE and cut.num_samples == len(expected)
            np.testing.assert_allclose(cut.load_audio()[0], expected, atol=1e-6)
            assert supervision.speaker and supervision.language
            seen += 1
    assert seen == len(CLIPS)


def test_webdataset_iterates_shards_of_wav_and_json_pairs(unpacked) -> None:
    webdataset = pytest.importorskip("webdataset")
    root, _, wavs = unpacked
    by_id = {row["recording_id"]: row for row in manifest_rows(root)}
    seen = 0
    for split in splits_of(root):
        shards = sorted(str(p) for p in (root / "webdataset").glob(f"{split}-*.tar"))
        assert shards, split
        for sample in webdataset.WebDataset(shards, shardshuffle=False):
            meta = json.loads(sample["json"])
            assert sample["__key__"] == meta["item_id"]
            assert by_id[meta["item_id"]]["split"] == split
            assert sample["wav"] == wavs[meta["text"]]
            assert meta["speaker_id"] == by_id[meta["item_id"]]["speaker_id"]
            seen += 1
    assert seen == len(CLIPS)


def test_webdataset_shards_stay_under_the_size_cap(tmp_path: Path) -> None:
    from labelhub.releases.formats import ExportItem, audio_name
    from labelhub.releases.formats.webdataset import WebDatasetSink

    clip = tmp_path / "clip.wav"
    clip.write_bytes(tone(1))
    sink = WebDatasetSink(tmp_path, shard_bytes=3 * clip.stat().st_size)
    ready = []
    for number in range(5):
        uid = f"{number:032x}"
        name = audio_name("train", "S", uid)
        item = ExportItem(uid, "train", name, "t", 1.0, "S", "", "", "", "", "ko")
        ready += sink.add(item, clip)
    ready += sink.finish()
    assert [member.name for member in ready] == [
        "webdataset/train-000000.tar",
        "webdataset/train-000001.tar",
        "webdataset/train-000002.tar",
    ]
    assert all(member.path.stat().st_size <= 3 * clip.stat().st_size for member in ready)


def test_parquet_loads_with_datasets_and_decodes_the_embedded_audio(unpacked) -> None:
    datasets = pytest.importorskip("datasets")
    root, _, wavs = unpacked
    files = {
        split: sorted(str(p) for p in (root / "parquet" / split).glob("*.parquet"))
        for split in splits_of(root)
    }
    loaded = datasets.load_dataset("parquet", data_files=files, cache_dir=str(root.parent / "c"))
    assert sum(len(loaded[split]) for split in files) == len(CLIPS)
    for split in files:
        assert isinstance(loaded[split].features["audio"], datasets.Audio)
        for row in loaded[split]:
            expected, _ = soundfile.read(io.BytesIO(wavs[row["text"]]), dtype="float32")
            assert row["audio"]["sampling_rate"] == RATE
            np.testing.assert_allclose(row["audio"]["array"], expected, atol=1e-4)
            assert row["speaker_id"] and row["gender"] and row["language"]


def commonvoice_rows(root: Path, split: str) -> list[dict[str, str]]:
    """How torchaudio.datasets.COMMONVOICE reads a split: csv over the TSV, tab-separated."""
    with (root / "commonvoice" / f"{split}.tsv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_common_voice_loads_the_way_torchaudio_does(unpacked) -> None:
    root, _, wavs = unpacked
    seen = 0
    for split in splits_of(root):
        for row in commonvoice_rows(root, split):
            audio, rate = soundfile.read(root / "commonvoice" / "clips" / row["path"])
            expected, _ = soundfile.read(io.BytesIO(wavs[row["sentence"]]))
            np.testing.assert_array_equal(audio, expected)
            assert rate == RATE and row["locale"]
            seen += 1
    assert seen == len(CLIPS)


def test_common_voice_has_every_column_and_the_v17_vocabulary(unpacked) -> None:
    root, _, _ = unpacked
    rows = [row for split in splits_of(root) for row in commonvoice_rows(root, split)]
    assert list(rows[0]) == [
        "client_id", "path", "sentence_id", "sentence", "sentence_domain", "up_votes",
        "down_votes", "age", "gender", "accents", "variant", "locale", "segment",
    ]  # fmt: skip
    genders = {row["sentence"]: row["gender"] for row in rows}
    assert genders["volume up"] == "female_feminine"
    assert genders["turn the tv off"] == "male_masculine"
    assert genders["안녕하세요"] == ""
    assert {row["age"] for row in rows} == {
        "twenties",
        "thirties",
        "fourties",
        "fifties",
        "sixties",
    }


def test_common_voice_ids_and_clip_names_appear_nowhere_else_in_the_archive(unpacked) -> None:
    root, _, _ = unpacked
    rows = [row for split in splits_of(root) for row in commonvoice_rows(root, split)]
    speakers = {row["speaker_id"] for row in manifest_rows(root)}
    client_ids = {row["client_id"] for row in rows}
    clip_names = {row["path"] for row in rows}
    assert len(client_ids) == len(CLIPS) and len(clip_names) == len(CLIPS)
    for path in root.rglob("*"):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or relative.startswith("commonvoice/"):
            continue
        # Binary files could leak only through their names; SHA256SUMS must list the clips.
        binary = path.suffix in {".tar", ".parquet", ".gz", ".wav"}
        text = relative + ("" if binary else path.read_text(encoding="utf-8"))
        assert not any(token in text for token in client_ids), relative
        if relative != "SHA256SUMS":
            assert not any(Path(name).stem in text for name in clip_names), relative
    for name in clip_names:
        assert not any(speaker in name for speaker in speakers)


def test_common_voice_votes_count_the_reviewers_approvals_and_returns(tmp_path: Path) -> None:
    campaign = CampaignFactory()
    clip = approved_clip(campaign, "volume up", normalised_file__data=tone(0))
    approved_clip(campaign, "mute", normalised_file__data=tone(1))
    last = clip.revisions.order_by("-number").first()
    RevisionFactory(
        recording=clip,
        number=last.number + 1,
        parent=last,
        kind=TranscriptRevision.Kind.REVIEW,
        decision=TranscriptRevision.Decision.RETURNED,
        text="volume up",
    )
    approval = correct(clip, "volume up")
    approval.decision = TranscriptRevision.Decision.APPROVED
    approval.save()
    release = build(campaign, spec={"formats": ["commonvoice"]})
    bundle = archive_of(release)
    rows = [
        row
        for name in bundle.namelist()
        if name.startswith("commonvoice/") and name.endswith(".tsv")
        for row in csv.DictReader(io.StringIO(bundle.read(name).decode()), delimiter="\t")
    ]
    votes = {row["sentence"]: (row["up_votes"], row["down_votes"]) for row in rows}
    assert votes == {"volume up": ("1", "1"), "mute": ("0", "0")}
