"""Releases of long-form campaigns, built for real: segments cut sample-exactly from a real
source, Kaldi keeping the source whole, and per-source WebVTT and TextGrid transcripts."""

from __future__ import annotations

import gzip
import html
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile
import webvtt
from django.db.models import F
from praatio import textgrid

from labelhub.recordings.models import Recording
from labelhub.recordings.segments import segment_frames, segment_new
from labelhub.releases.models import Release
from labelhub.releases.rendition_services import rendition_write
from labelhub.releases.renditions import EXTRA_FORMATS, rendition_make
from labelhub.releases.services import release_build, release_create
from labelhub.releases.spec import spec_load
from tests.factories import UserFactory
from tests.releases.helpers import Unpacked, approve, approved_clip, archive_of, build
from tests.releases.longform import RATE, long_form

pytestmark = pytest.mark.django_db


def frames_of(segment: Recording) -> tuple[int, int]:
    return segment_frames(
        start_seconds=segment.start_seconds, end_seconds=segment.end_seconds, sample_rate=RATE
    )


def manifest(archive) -> dict[str, dict]:
    rows = [json.loads(line) for line in archive.read("manifest.jsonl").decode().splitlines()]
    return {row["recording_id"]: row for row in rows}


def read_wav(data: bytes) -> np.ndarray:
    samples, rate = soundfile.read(io.BytesIO(data), dtype="int16")
    assert rate == RATE
    return samples


def kaldi_dirs(archive) -> dict[str, dict[str, list[list[str]]]]:
    """Each kaldi/<split>/ file as its lines split on whitespace."""
    dirs: dict[str, dict[str, list[list[str]]]] = {}
    for name in archive.namelist():
        if name.startswith("kaldi/"):
            _, split, file = name.split("/")
            lines = archive.read(name).decode().splitlines()
            dirs.setdefault(split, {})[file] = [line.split() for line in lines]
    return dirs


def seconds(timestamp: str) -> float:
    """A WebVTT timestamp (hh:mm:ss.ttt) in seconds; webvtt-py's own drops the milliseconds."""
    hours, minutes, rest = timestamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


@pytest.fixture
def built(tmp_path: Path):
    made = long_form(tmp_path)
    release = build(made.campaign, spec={"formats": list(EXTRA_FORMATS)})
    return made, release, archive_of(release)


def test_every_layout_ships_each_segment_as_the_exact_source_samples(built) -> None:
    made, release, archive = built
    rows = manifest(archive)
    assert len(rows) == len(made.segments)
    cuts: dict[str, np.ndarray] = {}
    for segment in made.segments:
        first, stop = frames_of(segment)
        expected = made.samples[first:stop]
        row = rows[str(segment.uid)]
        shipped = read_wav(archive.read(row["path"]))
        np.testing.assert_array_equal(shipped, expected)
        assert row["duration"] == pytest.approx((stop - first) / RATE, abs=1e-9)
        cuts[str(segment.uid)] = expected
    # NeMo and Hugging Face audiofolder name those same files, with the same durations.
    for name in archive.namelist():
        if name.endswith("_manifest.jsonl"):
            for line in archive.read(name).decode().splitlines():
                entry = json.loads(line)
                np.testing.assert_array_equal(
                    read_wav(archive.read(entry["audio_filepath"])), cuts[entry["item_id"]]
                )
                assert entry["duration"] * RATE == pytest.approx(len(cuts[entry["item_id"]]))
        if name.endswith("/metadata.jsonl"):
            split = name.split("/")[0]
            for line in archive.read(name).decode().splitlines():
                entry = json.loads(line)
                data = archive.read(f"{split}/{entry['file_name']}")
                np.testing.assert_array_equal(read_wav(data), cuts[entry["item_id"]])
    # Common Voice's clips, WebDataset's shards and Parquet's embedded audio hold the same cuts.
    clips = sorted(n for n in archive.namelist() if n.startswith("commonvoice/clips/"))
    assert sorted(read_wav(archive.read(n)).tobytes() for n in clips) == sorted(
        cut.tobytes() for cut in cuts.values()
    )
    seen = 0
    for name in archive.namelist():
        if name.startswith("webdataset/"):
            with tarfile.open(fileobj=io.BytesIO(archive.read(name))) as shard:
                for member in shard.getmembers():
                    if member.name.endswith(".wav"):
                        data = shard.extractfile(member).read()
                        np.testing.assert_array_equal(read_wav(data), cuts[member.name[:-4]])
                        seen += 1
        if name.startswith("parquet/"):
            table = pq.read_table(io.BytesIO(archive.read(name))).to_pylist()
            for entry in table:
                np.testing.assert_array_equal(
                    read_wav(entry["audio"]["bytes"]), cuts[entry["item_id"]]
                )
                seen += 1
        if name.startswith("lhotse/recordings_"):
            for line in gzip.decompress(archive.read(name)).decode().splitlines():
                entry = json.loads(line)
                assert entry["num_samples"] == len(cuts[entry["id"]])
                source = entry["sources"][0]["source"]
                np.testing.assert_array_equal(read_wav(archive.read(source)), cuts[entry["id"]])
                seen += 1
    assert seen == 3 * len(cuts)


def test_kaldi_keeps_the_source_whole_and_its_segments_fit_it(built) -> None:
    made, release, archive = built
    source_id = str(made.source.uid)
    durations = {row["recording_id"]: row["duration"] for row in manifest(archive).values()}
    names = set(archive.namelist())
    dirs = kaldi_dirs(archive)
    assert dirs, "no Kaldi data dir"
    utterances = 0
    for split, files in dirs.items():
        wav_scp = {line[0]: line[1:] for line in files["wav.scp"]}
        assert list(wav_scp) == [source_id], f"{split}: wav.scp lists {list(wav_scp)}"
        path = wav_scp[source_id][0]
        assert len(wav_scp[source_id]) == 1 and path in names
        whole = read_wav(archive.read(path))
        assert len(whole) == len(made.samples)
        segments = files["segments"]
        assert [line[0] for line in segments] == sorted(line[0] for line in segments)
        assert [line[0] for line in segments] == [line[0] for line in files["text"]]
        utt2spk = dict(files["utt2spk"])
        for utt, recording, start, end in segments:
            speaker, uid = utt2spk[utt], utt.split("-", 2)[-1]
            assert utt.startswith(speaker + "-") and recording == source_id
            assert 0 <= float(start) < float(end) <= len(whole) / RATE
            # The segment's length is the item's within a sample, and its samples are the cut's.
            assert abs((float(end) - float(start)) - durations[uid]) <= 1 / RATE
            first, stop = round(float(start) * RATE), round(float(end) * RATE)
            segment = next(s for s in made.segments if str(s.uid) == uid)
            assert (first, stop) == frames_of(segment)
            np.testing.assert_array_equal(whole[first:stop], made.samples[first:stop])
            utterances += 1
    assert utterances == len(made.segments)


def test_the_whole_source_is_silent_outside_the_released_segments(built) -> None:
    made, release, archive = built
    whole = read_wav(archive.read(f"sources/{made.source.uid}.wav"))
    kept = np.zeros(len(whole), dtype=bool)
    for segment in made.segments:
        first, stop = frames_of(segment)
        kept[first:stop] = True
    np.testing.assert_array_equal(whole[kept], made.samples[kept])
    assert not whole[~kept].any() and made.samples[~kept].all()


def test_vtt_and_textgrid_parse_back_with_the_texts_times_and_speakers(
    built, tmp_path: Path
) -> None:
    made, release, archive = built
    source_id = str(made.source.uid)
    expected = sorted(
        (frames_of(s)[0] / RATE, frames_of(s)[1] / RATE, s.speaker.code, made.texts[s.pk])
        for s in made.segments
    )
    vtt = webvtt.from_string(archive.read(f"transcripts/{source_id}.vtt").decode())
    cues = [(seconds(c.start), seconds(c.end), c.voice, html.unescape(c.text)) for c in vtt]
    assert len(cues) == len(expected)
    for (start, end, voice, text), (e_start, e_end, e_speaker, e_text) in zip(
        cues, expected, strict=True
    ):
        assert (voice, text) == (e_speaker, e_text)
        assert abs(start - e_start) <= 0.0005 and abs(end - e_end) <= 0.0005
    path = tmp_path / "source.TextGrid"
    path.write_bytes(archive.read(f"transcripts/{source_id}.TextGrid"))
    grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    assert grid.maxTimestamp == pytest.approx(len(made.samples) / RATE)
    assert sorted(grid.tierNames) == sorted({s.speaker.code for s in made.segments})
    intervals = sorted(
        (entry.start, entry.end, name, entry.label)
        for name in grid.tierNames
        for entry in grid.getTier(name).entries
    )
    assert len(intervals) == len(expected)
    for got, want in zip(intervals, expected, strict=True):
        assert got[2:] == want[2:]
        assert got[0] == pytest.approx(want[0], abs=1e-9) and got[1] == pytest.approx(want[1])
    for name in (f"transcripts/{source_id}.vtt", f"transcripts/{source_id}.TextGrid"):
        assert name in archive.read("SHA256SUMS").decode()


def test_release_counts_hours_of_segments_not_of_the_source(built) -> None:
    made, release, archive = built
    summary = json.loads(archive.read("release.json"))
    seconds = sum(frames_of(s)[1] - frames_of(s)[0] for s in made.segments) / RATE
    assert summary["items"] == len(made.segments)
    # Each split's hours are rounded to 4 decimals (0.36 s); the pauses left out are ~3 s.
    assert sum(summary["hours_per_split"].values()) == pytest.approx(seconds / 3600, abs=2e-4)
    assert seconds < 0.85 * len(made.samples) / RATE
    assert summary["long_form"] == {
        "sources": 1,
        "source_hours": round(len(made.samples) / RATE / 3600, 4),
    }
    assert "segments of 1 long-form source" in archive.read("DATASHEET.md").decode()
    row = manifest(archive)[str(made.segments[0].uid)]
    first, stop = frames_of(made.segments[0])
    assert (row["source_id"], row["source_start"], row["source_end"]) == (
        str(made.source.uid),
        first / RATE,
        stop / RATE,
    )


def test_a_removed_segment_and_the_source_itself_are_never_items(tmp_path: Path) -> None:
    made = long_form(tmp_path)
    approve(made.source, "the whole source, typed by someone")  # a source is never released
    removed = made.segments[1]
    removed.status = Recording.Status.REMOVED
    removed.save(update_fields=["status"])
    release = build(made.campaign)
    archive = archive_of(release)
    ids = set(manifest(archive))
    assert ids == {str(s.uid) for s in made.segments if s.pk != removed.pk}
    assert set(release.items.values_list("recording_id", flat=True)) == {
        s.pk for s in made.segments if s.pk != removed.pk
    }
    first, stop = frames_of(removed)
    whole = read_wav(archive.read(f"sources/{made.source.uid}.wav"))
    assert not whole[first:stop].any(), "a removed segment's speech ships in the whole source"
    vtt = archive.read(f"transcripts/{made.source.uid}.vtt").decode()
    assert made.texts[removed.pk] not in vtt


def test_segments_of_a_withdrawn_source_are_not_released(tmp_path: Path) -> None:
    made = long_form(tmp_path)
    approved_clip(made.campaign, "a short clip stays")
    Recording.objects.filter(pk=made.source.pk).update(status=Recording.Status.WITHDRAWN)
    archive = archive_of(build(made.campaign))
    assert [row["text"] for row in manifest(archive).values()] == ["a short clip stays"]
    assert not [n for n in archive.namelist() if n.startswith(("sources/", "transcripts/"))]


def test_a_mixed_release_keeps_clips_and_kaldi_lists_every_utterance_in_segments(
    tmp_path: Path,
) -> None:
    made = long_form(tmp_path)
    speaker = made.segments[0].speaker
    clip = approved_clip(made.campaign, "a short clip", speaker=speaker, duration_seconds=2.5)
    # Split off later (a higher id than the clip's): still cut while its source is open.
    late = segment_new(source=made.source, start_seconds=0.05, end_seconds=0.45, speaker=speaker)
    approve(late, "a late split")
    release = build(made.campaign, split_ratios={"train": 1.0})
    archive = archive_of(release)
    assert len(manifest(archive)) == len(made.segments) + 2
    row = manifest(archive)[str(clip.uid)]
    assert row["path"] == f"train/audio/{speaker.code}/{clip.uid}.wav"
    assert archive.read(row["path"]) == clip.normalised_file.open("rb").read()
    files = kaldi_dirs(archive)["train"]
    utts = [line[0] for line in files["text"]]
    assert [line[0] for line in files["segments"]] == utts
    # validate_data_dir.sh: wav.scp's recordings are exactly those the segments name, sorted.
    recordings = sorted({line[1] for line in files["segments"]})
    assert [line[0] for line in files["wav.scp"]] == recordings
    clip_utt = f"{speaker.code}-{clip.uid}"
    assert [clip_utt, clip_utt, "0", "2.5"] in files["segments"]
    assert [clip_utt, row["path"]] in files["wav.scp"]
    assert [line[0] for line in files["wav.scp"]] == sorted([clip_utt, str(made.source.uid)])


def test_a_flac_rendition_cuts_the_same_samples(built, tmp_path: Path) -> None:
    made, release, _wav_archive = built
    path = tmp_path / "flac.zip"
    flac = rendition_make(audio_format="flac", include_originals=True, formats=())
    rendition_write(release=release, rendition=flac, archive=path)
    archive = Unpacked(path.read_bytes())
    for segment in made.segments:
        row = manifest(archive)[str(segment.uid)]
        assert row["path"].endswith(".flac") and "original_path" not in row
        first, stop = frames_of(segment)
        samples, _rate = soundfile.read(io.BytesIO(archive.read(row["path"])), dtype="int16")
        np.testing.assert_array_equal(samples, made.samples[first:stop])
    whole, _rate = soundfile.read(
        io.BytesIO(archive.read(f"sources/{made.source.uid}.flac")), dtype="int16"
    )
    assert len(whole) == len(made.samples)
    for name in archive.namelist():
        if name.endswith("/wav.scp"):
            line = f"{made.source.uid} sox sources/{made.source.uid}.flac -t wav - |"
            assert archive.read(name).decode().splitlines() == [line]
    assert not [n for n in archive.namelist() if n.startswith("originals/")]


def test_a_long_form_archive_is_byte_reproducible_even_after_a_boundary_moves(
    built, tmp_path: Path
) -> None:
    made, release, _archive = built
    item = release.items.get(recording=made.segments[0])
    assert (item.start_seconds, item.end_seconds) == (
        made.segments[0].start_seconds,
        made.segments[0].end_seconds,
    )
    # A labeler drags the boundary after publishing: the version's content must not change.
    Recording.objects.filter(pk=made.segments[0].pk).update(end_seconds=F("end_seconds") - 0.3)
    again = tmp_path / "again.zip"
    rendition_write(release=release, rendition=spec_load(release.spec).rendition, archive=again)
    with release.archive.open("rb") as handle:
        assert handle.read() == again.read_bytes()


def test_a_segment_past_the_end_of_its_source_fails_the_build_with_a_reason(
    tmp_path: Path,
) -> None:
    made = long_form(tmp_path)
    seconds = len(made.samples) / RATE
    late = segment_new(source=made.source, start_seconds=seconds - 1, end_seconds=seconds + 2)
    approve(late, "too late")
    release = release_create(
        campaign=made.campaign, client=made.campaign.client, created_by=UserFactory()
    )
    release = release_build(release_id=release.pk)
    assert release.status == Release.Status.FAILED
    assert str(late.uid) in release.error and "past the end" in release.error
