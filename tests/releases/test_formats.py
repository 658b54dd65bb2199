"""Export formats, checked the way their own tools read them, over a tiny release of real WAVs."""

import hashlib
import json
import uuid
import wave
from dataclasses import replace
from pathlib import Path

import pytest

from labelhub.releases.formats import (
    ExportItem,
    audio_name,
    audiofolder_files,
    commonvoice_files,
    export_files,
    kaldi_files,
    write_files,
)
from labelhub.releases.formats.commonvoice import COLUMNS as CV_COLUMNS
from tests.audio_samples import convert, speak

SALT = "release-7-salt"
# (split, speaker, gender, age band, text, espeak voice). SPK-1 and SPK-10 check that Kaldi's
# utterance order and speaker order agree when one speaker id is a prefix of another.
SPOKEN = [
    ("train", "SPK-1", "female", "20s", "the quick brown fox", "en-us"),
    ("train", "SPK-1", "female", "20s", "jumps over the lazy dog", "en-us"),
    ("train", "SPK-10", "male", "50s", "안녕하세요", "ko"),
    ("train", "SPK-10", "male", "50s", "seven eight nine", "en-us"),
    ("dev", "SPK-2", "male", "70s+", "hello world", "en-us"),
    ("test", "SPK-3", "female", "40s", "good morning", "en-us"),
]
SPLIT_SIZES = {"train": 4, "dev": 1, "test": 1}
Release = tuple[Path, list[ExportItem]]


def make_item(split: str, speaker: str, gender: str, age: str, text: str) -> ExportItem:
    uid = uuid.uuid5(uuid.NAMESPACE_URL, f"{speaker}/{text}").hex
    return ExportItem(
        item_id=uid,
        split=split,
        audio_name=audio_name(split, speaker, uid),
        text=text,
        duration=1.0,
        speaker_id=speaker,
        gender=gender,
        age_band=age,
        region="seoul",
        dialect="gyeongsang" if gender == "male" else "",
        language="ko",
        extra={"recording_id": uid, "revision": 2},
    )


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    root = tmp_path_factory.mktemp("release")
    scratch = tmp_path_factory.mktemp("scratch")
    items = []
    for split, speaker, gender, age, text, voice in SPOKEN:
        item = make_item(split, speaker, gender, age, text)
        target = root / item.audio_name
        target.parent.mkdir(parents=True, exist_ok=True)
        spoken = speak(text, scratch / f"{item.item_id}.wav", voice=voice)
        convert(spoken, target, codec_args=["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"])
        with wave.open(str(target)) as audio:
            items.append(replace(item, duration=round(audio.getnframes() / 16000, 3)))
    write_files(export_files(items, salt=SALT), root)
    return root, items


def lines(path: Path) -> list[str]:
    content = path.read_text(encoding="utf-8")
    assert content.endswith("\n"), path
    return content.splitlines()


def test_audiofolder_loads_with_hugging_face_datasets(release: Release, tmp_path: Path) -> None:
    import datasets  # imported here: it takes seconds, and only this test needs it

    root, items = release

    loaded = datasets.load_dataset("audiofolder", data_dir=str(root), cache_dir=str(tmp_path))

    # datasets reads a folder named "dev" as its "validation" split.
    assert {name: len(rows) for name, rows in loaded.items()} == {
        "train": 4,
        "validation": 1,
        "test": 1,
    }
    train = loaded["train"]
    assert sorted(train["transcription"]) == sorted(i.text for i in items if i.split == "train")
    assert {"speaker_id", "gender", "age_band", "dialect", "recording_id"} <= set(train.features)
    by_text = {item.text: item for item in items}
    for row in (*train, loaded["validation"][0], loaded["test"][0]):
        audio = row["audio"]
        assert audio["sampling_rate"] == 16000
        seconds = len(audio["array"]) / 16000
        assert seconds == pytest.approx(by_text[row["transcription"]].duration, abs=1e-3)
        assert row["speaker_id"] == by_text[row["transcription"]].speaker_id


def c_sorted(rows: list[str]) -> bool:
    """validate_data_dir.sh's check_sorted_and_uniq: first fields in LC_ALL=C order, unique."""
    keys = [row.split(" ", 1)[0].encode() for row in rows]
    return keys == sorted(set(keys))


def key_value(path: Path) -> dict[str, str]:
    table = {}
    for row in lines(path):
        key, _, value = row.partition(" ")
        assert key and not any(char.isspace() for char in key), row
        table[key] = value
    return table


@pytest.mark.parametrize("split", SPLIT_SIZES)
def test_kaldi_data_dirs_pass_validate_data_dir_checks(release: Release, split: str) -> None:
    root, _ = release
    data = root / "kaldi" / split
    for name in ("wav.scp", "text", "utt2spk", "spk2utt", "spk2gender", "utt2dur"):
        assert c_sorted(lines(data / name)), f"{name} is not sorted in C-locale order"

    wav, text, utt2spk = (key_value(data / name) for name in ("wav.scp", "text", "utt2spk"))
    assert len(wav) == SPLIT_SIZES[split]
    assert set(wav) == set(text) == set(utt2spk) == set(key_value(data / "utt2dur"))
    assert all(len(row.split()) == 2 for row in lines(data / "utt2spk"))
    # `sort -k2 utt2spk | cmp - utt2spk`: sorted by speaker too, ties by the whole line.
    by_speaker = sorted(lines(data / "utt2spk"), key=lambda row: (row.split()[1].encode(), row))
    assert by_speaker == lines(data / "utt2spk")
    # validate_text.pl: no CR and no Unicode whitespace besides space and tab.
    assert all(char == " " or not char.isspace() for row in lines(data / "text") for char in row)
    assert all(utt.startswith(f"{speaker}-") for utt, speaker in utt2spk.items())
    assert all((root / path).is_file() for path in wav.values())
    # validate_data_dir.sh compares utt2spk with spk2utt_to_utt2spk.pl's output byte for byte.
    inverse = [
        f"{utt} {speaker}"
        for speaker, *utts in (row.split() for row in lines(data / "spk2utt"))
        for utt in utts
    ]
    assert inverse == lines(data / "utt2spk")
    genders = key_value(data / "spk2gender")
    assert list(genders) == list(key_value(data / "spk2utt"))
    assert set(genders.values()) <= {"m", "f"}


def test_nemo_manifests_point_at_the_audio(release: Release) -> None:
    root, items = release
    for split, size in SPLIT_SIZES.items():
        rows = [json.loads(row) for row in lines(root / f"{split}_manifest.jsonl")]
        assert len(rows) == size
        for row in rows:
            assert {"audio_filepath", "duration", "text", "speaker_id", "lang"} <= set(row)
            assert not Path(row["audio_filepath"]).is_absolute()
            assert (root / row["audio_filepath"]).is_file()
            assert row["duration"] > 0 and row["text"]
    assert {"안녕하세요"} <= {
        json.loads(row)["text"] for row in lines(root / "train_manifest.jsonl")
    }


def test_common_voice_tsvs_use_its_columns_and_vocabulary(release: Release) -> None:
    root, items = release
    rows = []
    for split, size in SPLIT_SIZES.items():
        header, *body = lines(root / "commonvoice" / f"{split}.tsv")
        assert header.split("\t") == list(CV_COLUMNS)
        assert len(body) == size
        rows += [dict(zip(CV_COLUMNS, row.split("\t"), strict=True)) for row in body]
    for row in rows:
        # The clip name is a hash: it names neither the speaker nor the item.
        assert row["path"].startswith("common_voice_") and row["path"].endswith(".wav")
        assert not any(i.speaker_id in row["path"] or i.item_id in row["path"] for i in items)
        assert len(row["client_id"]) == 64 and row["sentence"] and len(row["sentence_id"]) == 64
        assert (row["up_votes"], row["down_votes"]) == ("0", "0")  # no review in this fixture
        assert row["locale"] == "ko"
    by_speaker = {next(i.speaker_id for i in items if i.text == r["sentence"]): r for r in rows}
    assert by_speaker["SPK-1"]["age"] == "twenties"
    assert by_speaker["SPK-1"]["gender"] == "female_feminine"
    assert by_speaker["SPK-10"]["gender"] == "male_masculine"
    assert by_speaker["SPK-2"]["age"] == "seventies"
    assert by_speaker["SPK-10"]["accents"] == "gyeongsang"
    # Salted: the id is not the bare hash of the speaker code, and differs per release salt.
    assert by_speaker["SPK-1"]["client_id"] != hashlib.sha256(b"SPK-1").hexdigest()
    other = commonvoice_files(items, salt="another-release")["commonvoice/train.tsv"]
    assert by_speaker["SPK-1"]["client_id"] not in other


def test_every_format_references_the_one_copy_of_the_audio(release: Release) -> None:
    root, _ = release
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.wav")}
    for split in SPLIT_SIZES:
        folder = [json.loads(row)["file_name"] for row in lines(root / split / "metadata.jsonl")]
        nemo = [
            json.loads(row)["audio_filepath"] for row in lines(root / f"{split}_manifest.jsonl")
        ]
        kaldi = list(key_value(root / "kaldi" / split / "wav.scp").values())
        expected = {path for path in on_disk if path.startswith(f"{split}/")}
        assert {f"{split}/{name}" for name in folder} == expected
        # Common Voice alone ships its own copy (commonvoice/clips/), see its own tests.
        assert set(nemo) == set(kaldi) == expected


def fake(split: str = "train", speaker: str = "SPK-1", **changes: object) -> ExportItem:
    item = make_item(split, speaker, "female", "20s", f"text {speaker} {split}")
    return replace(item, **changes)


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([fake(speaker="SPK 1")], "whitespace"),
        # Sorted utterances a-a1, a-b-x, a-c1: speaker a-b lands inside speaker a's run.
        (
            [fake(speaker="a", item_id=i) for i in ("a1", "c1")]
            + [fake(speaker="a-b", item_id="x")],
            "interleave",
        ),
        ([fake(item_id="u 1")], "whitespace"),
        ([fake(speaker="a", item_id="b-c"), fake(speaker="a-b", item_id="c")], "same utterance"),
        ([fake(audio_name="dev/audio/x.wav")], "not under train/"),
        ([fake(audio_name="train/../x.wav")], "relative"),
        ([fake(), replace(fake(), audio_name="train/audio/y.wav")], "twice"),
    ],
)
def test_kaldi_refuses_ids_it_cannot_sort_or_split(items: list[ExportItem], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        kaldi_files(items)


def test_kaldi_leaves_out_optional_files_it_cannot_fill_validly() -> None:
    files = kaldi_files([fake(speaker="SPK-1"), fake(speaker="SPK-2", gender="other")])
    assert "kaldi/train/utt2spk" in files and "kaldi/train/spk2gender" not in files

    files = kaldi_files([fake(speaker="SPK-1", duration=0.0), fake(speaker="SPK-2")])
    assert "kaldi/train/utt2dur" not in files and "kaldi/train/spk2gender" in files


def test_kaldi_text_is_one_line_of_plain_spaces() -> None:
    item = fake(text="안녕\u3000하세요\n  다시\u00a0한번\r")
    (line,) = kaldi_files([item])["kaldi/train/text"].splitlines()
    assert line == f"SPK-1-{item.item_id} 안녕 하세요 다시 한번"


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([fake(split="holdout")], "no audiofolder equivalent"),
        ([fake(split="dev"), fake(split="validation", speaker="SPK-2")], "both load as"),
        ([fake(speaker="SPK-test")], "looks like a split name"),
    ],
)
def test_audiofolder_refuses_layouts_datasets_would_misread(
    items: list[ExportItem], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        audiofolder_files(items)


def test_common_voice_needs_a_salt() -> None:
    with pytest.raises(ValueError, match="salt"):
        commonvoice_files([fake()], salt="")


def test_tsv_cells_never_run_as_formulas_while_json_keeps_the_exact_text() -> None:
    formula = '=HYPERLINK("http://evil.example","x")'
    files = export_files([fake(text=formula, dialect="@SUM(1)")], salt=SALT)

    header, row = files["commonvoice/train.tsv"].splitlines()
    cells = dict(zip(header.split("\t"), row.split("\t"), strict=True))
    assert cells["sentence"] == "'" + formula and cells["accents"] == "'@SUM(1)"
    for name in ("train/metadata.jsonl", "train_manifest.jsonl"):
        (entry,) = [json.loads(line) for line in files[name].splitlines()]
        assert formula in entry.values(), name
