"""The same version and rendition always give the same archive bytes, under one top folder."""

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from labelhub.recordings.audio import sha256_file
from labelhub.releases.archive import ENTRY_TIME
from labelhub.releases.rendition_services import rendition_write
from labelhub.releases.renditions import EXTRA_FORMATS, rendition_make, rendition_parse
from tests.factories import CampaignFactory
from tests.releases.helpers import approved_clip, build
from tests.releases.test_formats_loaders import tone

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING = rendition_make(audio_format="flac", include_originals=True, formats=EXTRA_FORMATS)


@pytest.fixture
def release():
    campaign = CampaignFactory(name="Acme Smart TV")
    for number, text in enumerate(("turn on the tv", "volume up", "next channel", "mute")):
        wav = tone(number)
        raw = {"raw_file__data": wav, "raw_sha256": hashlib.sha256(wav).hexdigest()}
        approved_clip(campaign, text, normalised_file__data=wav, **raw)
    return build(campaign)


def raw_zip(release) -> zipfile.ZipFile:
    with release.archive.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def test_rebuilding_the_default_rendition_gives_the_published_archive_byte_for_byte(
    release, tmp_path: Path
) -> None:
    again = tmp_path / "again.zip"

    rendition_write(release=release, rendition=rendition_parse("wav"), archive=again)

    assert sha256_file(again) == release.archive_sha256


def test_two_builds_of_a_rendition_with_every_format_give_the_same_sha256(
    release, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"

    rendition_write(release=release, rendition=EVERYTHING, archive=first)
    rendition_write(release=release, rendition=EVERYTHING, archive=second)

    assert sha256_file(first) == sha256_file(second)
    names = zipfile.ZipFile(first).namelist()
    assert any("/parquet/" in name for name in names) and any("/lhotse/" in name for name in names)


def test_every_entry_has_the_fixed_time_mode_and_system_whatever_the_source_files(
    release, tmp_path: Path
) -> None:
    path = tmp_path / "every.zip"
    rendition_write(release=release, rendition=EVERYTHING, archive=path)

    for bundle in (raw_zip(release), zipfile.ZipFile(path)):
        infos = bundle.infolist()
        assert {info.date_time for info in infos} == {ENTRY_TIME}
        assert {(info.external_attr, info.create_system) for info in infos} == {(0o100644 << 16, 3)}


def test_every_archive_unpacks_into_one_folder_named_after_the_dataset_and_version(
    release, tmp_path: Path
) -> None:
    path = tmp_path / "every.zip"
    rendition_write(release=release, rendition=EVERYTHING, archive=path)

    for bundle in (raw_zip(release), zipfile.ZipFile(path)):
        assert {name.split("/", 1)[0] for name in bundle.namelist()} == {"acme-smart-tv-v1"}


def test_sha256sum_checks_every_file_from_inside_the_top_folder(release, tmp_path: Path) -> None:
    path = tmp_path / "every.zip"
    rendition_write(release=release, rendition=EVERYTHING, archive=path)
    zipfile.ZipFile(path).extractall(tmp_path / "out")
    top = tmp_path / "out" / "acme-smart-tv-v1"

    checked = subprocess.run(
        ["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=top, capture_output=True, text=True
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = {line.split("  ", 1)[1] for line in (top / "SHA256SUMS").read_text().splitlines()}
    on_disk = {str(p.relative_to(top)) for p in top.rglob("*") if p.is_file()}
    assert listed == on_disk - {"SHA256SUMS"}


def test_release_json_names_the_rendition_and_only_its_formats(release, tmp_path: Path) -> None:
    path = tmp_path / "flac.zip"
    rendition_write(release=release, rendition=rendition_parse("flac+lhotse"), archive=path)

    summary = zipfile.ZipFile(path).read("acme-smart-tv-v1/release.json").decode()

    assert '"rendition": "flac+lhotse"' in summary
    assert '"lhotse"' in summary and '"parquet"' not in summary
    assert hashlib.sha256(summary.encode()).hexdigest()  # plain UTF-8 text


MEMORY_PROBE = """
import os, sys, tempfile
from pathlib import Path
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")
import django
django.setup()
import labelhub.releases.services  # the build, its re-issues and archive writer
assert "pyarrow" not in sys.modules, "the default rendition must not pay for pyarrow"
from labelhub.releases.formats.base import ExportItem
from labelhub.releases.formats.parquet import ParquetSink
scratch = Path(tempfile.mkdtemp())
(scratch / "a.wav").write_bytes(b"RIFF" + bytes(2000))
sink = ParquetSink(scratch, row_group_bytes=1)
item = ExportItem(item_id="u1", split="train", audio_name="train/audio/S/u1.wav", text="hi",
                  duration=1.0, speaker_id="S", gender="", age_band="", region="", dialect="",
                  language="ko")
sink.add(item, scratch / "a.wav")
sink.finish()
assert "pandas" not in sys.modules, "writing Parquet imported pandas"
"""


def test_pyarrow_loads_only_for_parquet_and_pandas_never(tmp_path: Path) -> None:
    # A fresh interpreter: this test process has imported both long ago.
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE], capture_output=True, text=True, cwd=ROOT
    )

    assert probe.returncode == 0, probe.stderr[-2000:]
