"""Per-source transcripts of long-form releases, for transcribers' and linguists' own tools.

Each source with segments in the release ships ``transcripts/<source uid>.vtt`` (WebVTT,
written with webvtt-py: one cue per segment, its id the item id and the speaker as a voice tag
``<v SPK-1>``) and ``transcripts/<source uid>.TextGrid`` (Praat's long text format, written with
praatio: one interval tier per speaker). They hold only the release's segments of the source,
at the times the cuts were made (sample positions as seconds; WebVTT keeps milliseconds). Both
are pure functions of the items, so the same release gives the same bytes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from html import escape
from pathlib import Path

import webvtt
from praatio import textgrid

from labelhub.releases.formats.base import ExportItem, Files, Span, one_line

FOLDER = "transcripts"


def transcript_names(source_id: str) -> tuple[str, str]:
    return f"{FOLDER}/{source_id}.vtt", f"{FOLDER}/{source_id}.TextGrid"


def transcript_files(items: Iterable[ExportItem]) -> Files:
    sources: dict[str, list[ExportItem]] = {}
    for item in items:
        if item.span is not None:
            sources.setdefault(item.span.source_id, []).append(item)
    files: Files = {}
    for source_id, group in sorted(sources.items()):
        group.sort(key=lambda item: (_span(item).first, _span(item).stop, item.item_id))
        vtt_name, textgrid_name = transcript_names(source_id)
        files[vtt_name] = vtt_text(group)
        files[textgrid_name] = textgrid_text(group)
    return files


def _span(item: ExportItem) -> Span:
    assert item.span is not None
    return item.span


def vtt_timestamp(frames: int, sample_rate: int) -> str:
    milliseconds = round(frames * 1000 / sample_rate)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, milliseconds = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{milliseconds:03d}"


def vtt_text(items: list[ExportItem]) -> str:
    document = webvtt.WebVTT()
    for item in items:
        span = _span(item)
        # Cue text is HTML-like: &, < and > are escaped (which also keeps "-->" out of it).
        voice = escape(item.speaker_id, quote=False)
        document.captions.append(
            webvtt.Caption(
                start=vtt_timestamp(span.first, span.sample_rate),
                end=vtt_timestamp(span.stop, span.sample_rate),
                text=f"<v {voice}>{escape(one_line(item.text), quote=False)}",
                identifier=item.item_id,
            )
        )
    return document.content


def textgrid_text(items: list[ExportItem]) -> str:
    duration = _span(items[0]).source_seconds
    tiers: dict[str, list[list[tuple[float, float, str]]]] = {}
    for item in items:
        span = _span(item)
        entry = (span.start, span.end, one_line(item.text))
        lanes = tiers.setdefault(item.speaker_id, [])
        # A tier's intervals may not overlap: a speaker's overlapping segment gets a second tier.
        lane = next((lane for lane in lanes if lane[-1][1] <= entry[0]), None)
        if lane is None:
            lanes.append([entry])
        else:
            lane.append(entry)
    grid = textgrid.Textgrid()
    for speaker, lanes in sorted(tiers.items()):
        for number, lane in enumerate(lanes, start=1):
            name = speaker if number == 1 else f"{speaker} ({number})"
            grid.addTier(textgrid.IntervalTier(name, lane, 0.0, duration))
    # praatio writes files only; a temporary one is read back (a few KB per source).
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "source.TextGrid"
        grid.save(str(path), format="long_textgrid", includeBlankSpaces=True)
        return path.read_text(encoding="utf-8")
