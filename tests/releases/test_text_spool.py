"""The archive's text files go to disk as they are made, and into the zip as writestr put them."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from labelhub.releases import text_spool
from labelhub.releases.formats import ExportItem, audio_name, export_files, export_streams
from labelhub.releases.text_spool import ChecksumSpool, TextSpool
from labelhub.releases.zip_writer import ZipWriter


def _item(number: int) -> ExportItem:
    uid, speaker = f"uid{number:04d}", f"SPK-{number % 2}"
    return ExportItem(
        item_id=uid,
        split="train",
        audio_name=audio_name("train", speaker, uid),
        text=f"문장 {number}",
        duration=1.0,
        speaker_id=speaker,
        gender="female",
        age_band="20s",
        region="",
        dialect="standard",
        language="ko",
        extra={"revision": 2},
    )


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(f"root/{name}", date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o100644 << 16  # as the release archive stamps its entries
    return info


def test_every_format_file_is_made_line_by_line_not_as_one_string() -> None:
    items = [_item(number) for number in range(50)]
    streams = export_streams(items, salt="salt")
    whole = export_files(items, salt="salt")
    assert streams.keys() == whole.keys()
    for name, make in streams.items():
        pieces = list(make())
        assert len(pieces) > 1, name  # one piece would be the whole file in memory
        assert "".join(pieces) == whole[name]


def test_spooled_text_lies_on_disk_with_its_digest(tmp_path: Path) -> None:
    spool = TextSpool(tmp_path / "texts")
    lines = [f"{number}\t문장\n" for number in range(100_000)]
    spooled = spool.write("kaldi/train/text", iter(lines))
    data = "".join(lines).encode("utf-8")
    assert spooled.path.parent == tmp_path / "texts"
    assert spooled.path.read_bytes() == data
    assert (spooled.sha256, spooled.size) == (hashlib.sha256(data).hexdigest(), len(data))


def test_a_spooled_file_zips_to_the_bytes_writestr_gives(tmp_path: Path) -> None:
    text = "".join(f'{{"path": "train/audio/SPK-{n % 7}/{n:08x}.wav"}}\n' for n in range(60_000))
    written = io.BytesIO()
    with zipfile.ZipFile(written, "w") as bundle:
        bundle.writestr(_entry("metadata.jsonl"), text.encode("utf-8"))
    spooled = TextSpool(tmp_path).write("metadata.jsonl", text.splitlines(keepends=True))
    entry = _entry("metadata.jsonl")
    with ZipWriter(
        tmp_path / "copied.zip", scratch=tmp_path, date_time=entry.date_time,
        external_attr=entry.external_attr, create_system=entry.create_system,
    ) as writer:  # fmt: skip
        writer.add_deflated(entry.filename, spooled.path)
        writer.close()
    assert (tmp_path / "copied.zip").read_bytes() == written.getvalue()


def test_checksums_come_back_sorted_by_name_from_several_runs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(text_spool, "CHECKSUM_RUN", 7)
    sums = ChecksumSpool(tmp_path / "sums")
    names = [f"train/audio/SPK-{n % 5}/{(n * 7919) % 1000:04d}.wav" for n in range(50)]
    pairs = [(name, f"{n:064x}") for n, name in enumerate(names)]
    for name, digest in pairs:
        sums.add(name, digest)
    assert len(sums.runs) == 7  # on disk as it went, not held
    assert list(sums.sorted()) == sorted(pairs)
