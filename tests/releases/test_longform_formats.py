"""The pure format writers on segment items: Kaldi's segments and wav.scp, WebVTT, TextGrid."""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import pytest
import webvtt
from praatio import textgrid

from labelhub.releases.formats import export_files, kaldi_files, transcript_files
from labelhub.releases.formats.base import ExportItem, Span, check_items, source_audio_name

RATE = 16000
FRAMES = 20 * RATE  # a 20 s source


def segment(uid: str, speaker: str, first: int, stop: int, text: str, *, source: str = "src1"):
    span = Span(source, source_audio_name(source), first, stop, RATE, FRAMES)
    return ExportItem(
        item_id=uid, split="train", audio_name=f"train/audio/{speaker}/{uid}.wav", text=text,
        duration=(stop - first) / RATE, speaker_id=speaker, gender="female", age_band="20s",
        region="", dialect="", language="en", span=span,
    )  # fmt: skip


def clip(uid: str, speaker: str, text: str) -> ExportItem:
    return ExportItem(
        item_id=uid, split="train", audio_name=f"train/audio/{speaker}/{uid}.wav", text=text,
        duration=2.5, speaker_id=speaker, gender="male", age_band="30s", region="", dialect="",
        language="en",
    )  # fmt: skip


ITEMS = [
    segment("b2", "SPK-2", 48001, 80017, "what is the weather"),
    segment("a1", "SPK-1", 1601, 40000, "turn on <the> tv & radio"),
    segment("c3", "SPK-1", 96000, FRAMES, "play music"),
    segment("d4", "SPK-3", 0, 16000, "hello", source="src0"),
]


def lines(files: dict[str, str], name: str) -> list[list[str]]:
    return [line.split() for line in files[f"kaldi/train/{name}"].splitlines()]


def test_kaldi_lists_each_source_once_and_segments_in_exact_seconds() -> None:
    files = kaldi_files(ITEMS)
    assert files["kaldi/train/wav.scp"] == "src0 sources/src0.wav\nsrc1 sources/src1.wav\n"
    assert lines(files, "segments") == [
        ["SPK-1-a1", "src1", "0.1000625", "2.5"],
        ["SPK-1-c3", "src1", "6", "20"],
        ["SPK-2-b2", "src1", "3.0000625", "5.0010625"],
        ["SPK-3-d4", "src0", "0", "1"],
    ]
    assert [line[0] for line in lines(files, "text")] == [
        line[0] for line in lines(files, "segments")
    ]
    assert lines(files, "utt2dur")[0] == ["SPK-1-a1", "2.3999375"]
    for utt, _recording, start, end in lines(files, "segments"):
        item = next(i for i in ITEMS if utt.endswith(i.item_id))
        assert round(float(start) * RATE) == item.span.first
        assert round(float(end) * RATE) == item.span.stop


def test_a_split_of_clips_has_no_segments_file_and_keeps_utterance_wav_scp() -> None:
    files = kaldi_files([clip("x9", "SPK-1", "volume up")])
    assert "kaldi/train/segments" not in files
    assert files["kaldi/train/wav.scp"] == "SPK-1-x9 train/audio/SPK-1/x9.wav\n"


def test_a_clip_beside_segments_is_a_recording_with_one_whole_segment() -> None:
    files = kaldi_files([*ITEMS, clip("x9", "SPK-1", "volume up")])
    assert ["SPK-1-x9", "SPK-1-x9", "0", "2.5"] in lines(files, "segments")
    recordings = [line[0] for line in lines(files, "wav.scp")]
    assert recordings == sorted({line[1] for line in lines(files, "segments")})
    assert ["SPK-1-x9", "train/audio/SPK-1/x9.wav"] in lines(files, "wav.scp")


def test_flac_sources_are_read_through_sox() -> None:
    flac = [
        replace(item, span=Span("s", "sources/s.flac", 0, 10, RATE, FRAMES)) for item in ITEMS[:1]
    ]
    assert kaldi_files(flac)["kaldi/train/wav.scp"] == "s sox sources/s.flac -t wav - |\n"


def test_webvtt_parses_back_with_voices_times_and_escaped_text() -> None:
    files = transcript_files(ITEMS)
    assert sorted(files) == [
        "transcripts/src0.TextGrid", "transcripts/src0.vtt",
        "transcripts/src1.TextGrid", "transcripts/src1.vtt",
    ]  # fmt: skip
    cues = list(webvtt.from_string(files["transcripts/src1.vtt"]))
    assert [(c.identifier, c.voice, html.unescape(c.text)) for c in cues] == [
        ("a1", "SPK-1", "turn on <the> tv & radio"),
        ("b2", "SPK-2", "what is the weather"),
        ("c3", "SPK-1", "play music"),
    ]
    assert [(c.start, c.end) for c in cues][1] == ("00:00:03.000", "00:00:05.001")


def test_textgrid_has_a_tier_per_speaker_and_overlaps_get_a_tier_of_their_own(
    tmp_path: Path,
) -> None:
    overlapping = segment("e5", "SPK-1", 32000, 64000, "at the same time")
    files = transcript_files([*ITEMS, overlapping])
    path = tmp_path / "src1.TextGrid"
    path.write_text(files["transcripts/src1.TextGrid"], encoding="utf-8")
    grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    assert grid.tierNames == ("SPK-1", "SPK-1 (2)", "SPK-2")
    assert grid.maxTimestamp == 20
    first = grid.getTier("SPK-1").entries
    assert [(e.start, e.end, e.label) for e in first] == [
        (1601 / RATE, 2.5, "turn on <the> tv & radio"),
        (6.0, 20.0, "play music"),
    ]
    assert [e.label for e in grid.getTier("SPK-1 (2)").entries] == ["at the same time"]


def test_the_writers_are_pure_functions_of_the_items() -> None:
    once = export_files(ITEMS, salt="s")
    assert export_files(list(reversed(ITEMS)), salt="s") == once


def test_a_span_outside_its_source_is_refused() -> None:
    bad = segment("z", "SPK-1", 16000, FRAMES + 1, "too long")
    with pytest.raises(ValueError, match="not inside its source"):
        check_items([bad])
