"""Writes one rendition of a release: audio once per split, its formats, a manifest, checksums.

Every entry lies under one top folder, ``<dataset>-v<N>/`` (archive_root). Inside it (see
releases.formats.base): ``<split>/audio/<speaker>/<uid>.wav`` (``.flac`` for a FLAC rendition),
``originals/<speaker>/<uid><upload suffix>`` when the rendition includes originals, plus each
split's ``metadata.jsonl`` (Hugging Face audiofolder), ``<split>_manifest.jsonl`` (NeMo),
``kaldi/``, ``manifest.jsonl`` (everything LabelHub knows of each item), ``release.json``,
``DATASHEET.md``/``DATASHEET.html`` and ``SHA256SUMS`` over every other file, relative to the
top folder. The rendition's extra layouts (releases.renditions) add ``commonvoice/`` (TSVs and
``clips/``), ``lhotse/``, ``webdataset/`` shards and ``parquet/`` (audio embedded).

Long-form segments (releases.segment_audio) ship a cut of their source at the same layout, so
every per-item format holds the same samples; each source with segments in the release also
ships once, whole, as ``sources/<uid>.wav`` (Kaldi's ``segments`` point into it), with WebVTT
and TextGrid transcripts under ``transcripts/``. Sources are never items themselves.

Byte-reproducible: every entry has the same time (ENTRY_TIME), file mode and compression, the
entries come in a fixed order (items by id, a source's segments together at its first one, then
the text files by name), and no file holds a build-time value, so the same version and
rendition always give the same archive SHA-256.

Memory stays flat: items are read from the database in chunks by id, each clip is streamed
into the zip (FLAC is encoded block by block into a temporary file first) and forgotten; what
stays is one small ExportItem per item (the format writers sort and group them); the rows
that become ReleaseItems and every file's checksum wait on disk (releases.item_rows,
text_spool.ChecksumSpool). Formats that need the audio itself are sinks (see
releases.formats.sinks), fed each clip in the same loop. The text files (manifests, every
format's metadata, SHA256SUMS) are written to scratch files line by line and deflated into the
zip from there (releases.text_spool), so none is ever whole in memory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import soundfile
from django.conf import settings
from django.db.models import Count, Q
from django.db.models.expressions import RawSQL
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation
from django.utils.text import slugify

from labelhub.campaigns.models import Campaign
from labelhub.db_ids import among
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.releases.datasheet import (
    DatasheetStats,
    ItemFacts,
    asr_error_sections,
    datasheet_context,
    datasheet_html,
    datasheet_markdown,
    long_form_note,
    qa_figures,
)
from labelhub.releases.datasheet_terms import terms_context
from labelhub.releases.formats import ExportItem, audio_name, export_streams
from labelhub.releases.formats.base import Span, source_audio_name
from labelhub.releases.formats.commonvoice import CommonVoiceClips
from labelhub.releases.formats.lhotse import LhotseSink
from labelhub.releases.formats.sinks import Member, Sink
from labelhub.releases.formats.webdataset import WebDatasetSink
from labelhub.releases.item_rows import ItemRow, ItemRows
from labelhub.releases.models import Release
from labelhub.releases.renditions import Rendition
from labelhub.releases.segment_audio import FinishedSource, SourceAudio
from labelhub.releases.spec import ReleaseSpec, spec_load
from labelhub.releases.splits import SplitItem
from labelhub.releases.text_spool import (
    ChecksumSpool,
    SpooledText,
    SpoolWriter,
    TextSpool,
)
from labelhub.releases.zip_writer import Readable, ZipWriter
from labelhub.speakers.models import ConsentRecord
from labelhub.storage import (
    local_path,
    storage_is_remote,
    storage_move_in,
    storage_reader,
)

BUILDER = "labelhub-release/2"
# Items per round of queries: a handful of queries per 2,000 items, a few MB of rows held.
CHUNK = 2000
# What the write path reads of an item's recording (the model has ~40 columns, most of them
# ingest and ASR bookkeeping): fewer columns to fetch and to turn into Python values.
RECORDING_FIELDS = (
    "uid", "kind", "source", "start_seconds", "end_seconds", "campaign", "speaker",
    "environment", "channel", "raw_file", "raw_sha256", "original_suffix", "normalised_file",
    "duration_seconds", "quality_flags", "created_at", "status",
)  # fmt: skip
# The zip format's earliest time: never the build's clock nor a source file's mtime.
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
ENTRY_MODE = 0o100644 << 16  # a plain file, rw-r--r--, whoever builds
UNIX = 3  # ZipInfo's "made by" system, which otherwise follows the building host
AUDIO_SUFFIX = {"wav": ".wav", "flac": ".flac"}
# FLAC holds integer samples of up to 24 bits; ingest normalises to 16-bit PCM.
FLAC_SUBTYPES = {"PCM_S8", "PCM_16", "PCM_24"}
BLOCK_FRAMES = 1 << 16
# The shortest time between two progress reports (well under the reaper's heartbeat timeout).
PROGRESS_SECONDS = 0.5
# From object storage, the clips after the current one are fetched on threads meanwhile, so
# the build does not wait a round trip per clip: this many ahead, of at most this length each
# (a longer one is read when its turn comes), so memory holds a few MB of audio at most.
PREFETCH_CLIPS = 8
PREFETCH_MAX_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Selected:
    """One chosen item, as ids: what the first pass keeps of each recording (held for every
    item through the build: slotted, ~100 bytes less a clip)."""

    recording_id: int
    revision_id: int
    consent_id: int
    split_item: SplitItem
    # A segment's (start, end) as a published version recorded it; None: the segment's own.
    span_seconds: tuple[float, float] | None = None


@dataclass(frozen=True)
class ArchiveResult:
    rows: ItemRows
    # The archive's SHA-256, taken as it was written.
    sha256: str
    datasheet_md: str
    datasheet_html: str
    # The portal's datasheet in the other UI languages: {"ko": fragment}.
    translated_html: dict[str, str] = field(default_factory=dict)


def speaker_key(code: str, campaign_id: int, *, pooled: bool) -> str:
    # Codes are unique per campaign only: a pooled release prefixes the campaign to keep them so.
    return f"C{campaign_id}-{code}" if pooled else code


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _item_order(ids: Iterable[int]) -> list[int]:
    """Items by id, except that a source's segments come together, by id, at the place of its
    lowest-numbered one: then each source is opened (and shipped) once. A release of clips
    keeps plain id order, so its archives stay the bytes they always were."""
    keys: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(sorted(ids)):
        for pk, source_id in Recording.objects.filter(pk__in=among(chunk)).values_list(
            "pk", "source_id"
        ):
            keys[pk] = (source_id or pk, pk)
    first_of: dict[int, int] = {}
    for group, pk in sorted(keys.values(), key=lambda key: key[1]):
        first_of.setdefault(group, pk)
    return sorted(keys, key=lambda pk: (first_of[keys[pk][0]], pk))


@dataclass
class _Chunk:
    recordings: list[Recording]
    revisions: dict[int, TranscriptRevision]
    consents: dict[int, ConsentRecord]
    drafts: dict[int, str]
    tasks: dict[int, int]
    votes: dict[int, tuple[int, int]]


def _load_chunk(ids: list[int], selected: dict[int, Selected]) -> _Chunk:
    place = {pk: index for index, pk in enumerate(ids)}
    chunk_ids = among(ids)
    recordings = sorted(
        Recording.objects.filter(pk__in=chunk_ids)
        .only(*RECORDING_FIELDS)
        .select_related("environment", "channel", "source")
        # A chunk's clips share a few speakers and campaigns: prefetched, each is built once
        # (select_related would build one per clip, the chunk's biggest cost).
        .prefetch_related("speaker", "campaign"),
        key=lambda recording: place[recording.pk],
    )
    revision_ids = [selected[i].revision_id for i in ids]
    revisions = TranscriptRevision.objects.filter(pk__in=among(revision_ids)).only(
        "number", "text", "kind"
    )
    consents = ConsentRecord.objects.filter(
        pk__in=among(sorted({selected[i].consent_id for i in ids}))
    )
    drafts: dict[int, str] = {}
    # The first draft per clip; newest-first so the dict keeps the lowest number.
    for recording_id, text in (
        TranscriptRevision.objects.filter(
            recording_id__in=chunk_ids, kind=TranscriptRevision.Kind.ASR_DRAFT
        )
        .order_by("recording_id", "-number")
        .values_list("recording_id", "text")
    ):
        drafts[recording_id] = text
    return _Chunk(
        recordings=recordings,
        revisions={r.pk: r for r in revisions},
        consents={c.pk: c for c in consents.select_related("document", "document__campaign")},
        drafts=drafts,
        tasks=dict(
            Task.objects.filter(recording_id__in=chunk_ids).values_list(
                "recording_id", "times_returned"
            )
        ),
        votes=_review_votes(chunk_ids),
    )


def _review_votes(recording_ids: list[int] | RawSQL) -> dict[int, tuple[int, int]]:
    """(approvals, returns) per clip from its reviewers' decisions: Common Voice's up/down votes."""
    decision = TranscriptRevision.Decision
    up, down = [decision.APPROVED, decision.EDITED], [decision.RETURNED]
    rows = (
        TranscriptRevision.objects.filter(
            recording_id__in=recording_ids, kind=TranscriptRevision.Kind.REVIEW
        )
        .values("recording_id")
        .annotate(
            up=Count("pk", filter=Q(decision__in=up)), down=Count("pk", filter=Q(decision__in=down))
        )
        .values_list("recording_id", "up", "down")
    )
    return {recording_id: (up_votes, down_votes) for recording_id, up_votes, down_votes in rows}


def _consent_label(consent: ConsentRecord) -> tuple[str, str]:
    document = consent.document
    label = f"{document.campaign.name} v{document.version}: {document.title}"
    scope = [
        "model training" if document.allows_training else "no model training",
        "third-party delivery" if document.allows_third_party_delivery else "no delivery",
        "commercial use" if document.allows_commercial_use else "no commercial use",
        f"retention {document.retention_days} days",
    ]
    return label, ", ".join(scope)


def _client_id_salt(release: Release) -> str:
    # One salt per version, so a client cannot link a speaker's Common Voice ids across versions
    # (the datasheet says so); the same for every rendition of a version, so they stay alike.
    # Unguessable from outside, as it hangs on SECRET_KEY.
    seed = f"{settings.SECRET_KEY}:cv-client:{release.campaign_id}:v{release.version}"
    return hashlib.sha256(seed.encode()).hexdigest()


def archive_root(release: Release) -> str:
    """The one top folder of every rendition's archive: ``<dataset slug>-v<label>/``, e.g.
    ``acme-smart-tv-v3/``, or ``acme-smart-tv-v1.1/`` for the first re-issue of v1."""
    return f"{slugify(release.campaign.name) or 'dataset'}-v{release.label}/"


class _Bundle:
    """The zip being written: every entry under the top folder and stamped the same way (the
    writer's); audio stored (it barely compresses), text deflated. Each add returns the
    file's SHA-256, taken in the same read."""

    def __init__(self, archive: Path, root: str, *, scratch: Path) -> None:
        self.root = root
        self.zip = ZipWriter(
            archive, scratch=scratch, date_time=ENTRY_TIME, external_attr=ENTRY_MODE,
            create_system=UNIX,
        )  # fmt: skip

    def __enter__(self) -> _Bundle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.zip.__exit__(*exc_info)  # closes the file, written through or not

    def add_file(self, name: str, path: Path) -> str:
        return self.zip.add_file(self.root + name, path)

    def add_bytes(self, name: str, data: bytes) -> str:
        return self.zip.add_bytes(self.root + name, data)

    def add_stream(self, name: str, stream: Readable) -> str:
        return self.zip.add_stream(self.root + name, stream)

    def add_text(self, name: str, spooled: SpooledText) -> None:
        self.zip.add_deflated(self.root + name, spooled.path)


def _parquet_sink(scratch: Path) -> Sink:
    # Imported here: pyarrow alone costs ~51 MB of RSS, paid only by renditions that ask for it.
    from labelhub.releases.formats.parquet import ParquetSink

    return ParquetSink(scratch)


def _sinks(scratch: Path, *, salt: str, formats: Iterable[str]) -> list[Sink]:
    makers: dict[str, Callable[[], Sink]] = {
        "commonvoice": lambda: CommonVoiceClips(salt=salt),
        "lhotse": lambda: LhotseSink(scratch),
        "webdataset": lambda: WebDatasetSink(scratch),
        "parquet": lambda: _parquet_sink(scratch),
    }
    return [make() for name, make in makers.items() if name in formats]


def _copy_members(bundle: _Bundle, members: list[Member], sums: ChecksumSpool) -> None:
    for member in members:
        sums.add(member.name, bundle.add_file(member.name, member.path))
        if member.scratch:
            member.path.unlink()


def write_archive(
    *,
    release: Release,
    selected: dict[int, Selected],
    splits: dict[str, str],
    changelog: dict,
    archive: Path,
    on_progress: Callable[[int], None],
    split_report: dict | None = None,
    rendition: Rendition | None = None,
) -> ArchiveResult:
    """Writes the zip one file at a time, so memory holds one clip, not the release.

    ``rendition`` defaults to the one the release's spec names (its default rendition).
    """
    salt = _client_id_salt(release)
    spec = spec_load(release.spec)
    rendition = rendition or spec.rendition
    # Keys in one order whether the dicts were just computed or read back from a JSONField
    # (PostgreSQL's jsonb reorders them), so a later rendition writes the same release.json.
    changelog, split_report = _canonical(changelog), _canonical(split_report)
    progress = _Progress(on_progress, total=len(selected))
    with (
        tempfile.TemporaryDirectory() as scratch,
        _Bundle(archive, archive_root(release), scratch=Path(scratch)) as bundle,
        _prefetching() as prefetch,
    ):
        texts = TextSpool(Path(scratch) / "texts")
        writer = _ArchiveWriter(
            bundle=bundle,
            rendition=rendition,
            sinks=_sinks(Path(scratch), salt=salt, formats=rendition.formats),
            sources=SourceAudio(Path(scratch)),
            manifest=texts.writer(),
            sums=ChecksumSpool(Path(scratch) / "sums"),
            pooled=len(release.spec.get("extra_campaigns") or []) > 0,
            prefetch=prefetch,
        )
        _add_items(writer, selected, splits, progress)
        writer.finish_audio()
        markdown, fragment, translated = _metadata_texts(
            release, writer, texts, spec=spec, salt=salt, changelog=changelog,
            split_report=split_report, recording_ids=selected.keys(),
        )  # fmt: skip
        writer.finish_metadata(texts)
        sha256 = bundle.zip.close()
    return ArchiveResult(
        rows=writer.rows, sha256=sha256, datasheet_md=markdown, datasheet_html=fragment,
        translated_html=translated,
    )  # fmt: skip


def _add_items(
    writer: _ArchiveWriter,
    selected: dict[int, Selected],
    splits: dict[str, str],
    progress: _Progress,
) -> None:
    """Every selected clip into the archive, read in chunks of rows (a few queries each)."""
    for ids in _chunks(_item_order(selected)):
        chunk = _load_chunk(ids, selected)
        writer.plan(chunk.recordings)
        for recording in chunk.recordings:
            choice = selected[recording.pk]
            writer.add(recording, choice, splits[choice.split_item.item_id], chunk)
            progress.tick()


class _Progress:
    """Reports 0 to 90 percent as the items go in (the rest is the metadata): once a percent,
    and at most every PROGRESS_SECONDS, as each report is a database write (and heartbeat) and
    a fast build would otherwise spend a fifth of its time on them."""

    def __init__(self, on_progress: Callable[[int], None], *, total: int) -> None:
        self.on_progress, self.total, self.done, self.reported = on_progress, total, 0, -1
        self.reported_at = -math.inf

    def tick(self) -> None:
        self.done += 1
        percent = int(90 * self.done / self.total)
        now = time.monotonic()
        if percent != self.reported and now - self.reported_at >= PROGRESS_SECONDS:
            self.on_progress(percent)
            self.reported, self.reported_at = percent, now


class _Prefetch:
    """Clips read ahead from object storage, in the order the archive takes them."""

    def __init__(self, pool: ThreadPoolExecutor | None, read: Callable[[str], bytes]) -> None:
        self.pool, self.read, self.queue = pool, read, deque[str]()
        self.pending: dict[str, Future[bytes]] = {}

    def plan(self, names: Iterable[str]) -> None:
        if self.pool is not None:
            self.queue.extend(names)
            self._top_up()

    def take(self, name: str) -> bytes | None:
        """The file's bytes if they were read ahead (None: read it now)."""
        future = self.pending.pop(name, None)
        self._top_up()
        return None if future is None else future.result()

    def _top_up(self) -> None:
        while self.pool is not None and self.queue and len(self.pending) < PREFETCH_CLIPS:
            name = self.queue.popleft()
            self.pending[name] = self.pool.submit(self.read, name)


@contextmanager
def _prefetching() -> Iterator[_Prefetch]:
    if not storage_is_remote():  # a local read is no round trip: nothing to win
        yield _Prefetch(None, storage_reader())
        return
    with ThreadPoolExecutor(PREFETCH_CLIPS, thread_name_prefix="release-prefetch") as pool:
        prefetch = _Prefetch(pool, storage_reader())
        try:
            yield prefetch
        finally:
            prefetch.queue.clear()  # a failed build: fetch nothing more


@dataclass
class _ArchiveWriter:
    """One archive being written: its zip, the extra layouts' sinks, the long-form source being
    put together, and what the metadata files are made of once every item is in."""

    bundle: _Bundle
    rendition: Rendition
    sinks: list[Sink]
    sources: SourceAudio
    # manifest.jsonl, written as the items go in; the checksums of every file so far.
    manifest: SpoolWriter
    sums: ChecksumSpool
    pooled: bool
    prefetch: _Prefetch
    exported: list[ExportItem] = field(default_factory=list)
    rows: ItemRows = field(default_factory=ItemRows)
    stats: DatasheetStats = field(default_factory=DatasheetStats)
    shipped_sources: list[FinishedSource] = field(default_factory=list)

    @property
    def suffix(self) -> str:
        return AUDIO_SUFFIX[self.rendition.audio_format]

    def ship(self, finished: FinishedSource | None) -> None:
        """Writes a long-form source's whole audio once its last segment is in."""
        if finished is not None:
            self.shipped_sources.append(finished)
            name = source_audio_name(finished.source_id, self.suffix)
            with _shipped_audio(finished.path, self.rendition.audio_format) as audio:
                self.sums.add(name, self.bundle.add_file(name, audio))
            finished.path.unlink()

    def add(self, recording: Recording, choice: Selected, split: str, chunk: _Chunk) -> None:
        """Writes one item's audio (and original) and keeps its rows for the metadata files."""
        revision = chunk.revisions[choice.revision_id]
        consent = chunk.consents[choice.consent_id]
        votes = chunk.votes.get(recording.pk, (0, 0))
        if self.sources.current not in (None, recording.source_id):
            self.ship(self.sources.close())
        span_seconds = _span_seconds(recording, choice)
        item, digest = self._write_item_audio(
            recording, revision, split, votes, span_seconds, item_id=choice.split_item.item_id
        )
        self.sums.add(item.audio_name, digest)
        original = None
        # A segment's original is its source's whole upload, which holds speech the
        # release may not deliver: segments ship no original (the manifest says none).
        if self.rendition.include_originals and item.span is None:
            original = _write_original(self.bundle, recording, item.speaker_id)
            self.sums.add(original, recording.raw_sha256)
        self.exported.append(item)
        self.rows.append(
            ItemRow(
                recording.pk, revision.pk, consent.pk, split, item.audio_name, digest,
                span_seconds,
            )
        )  # fmt: skip
        row = _manifest_row(item, consent, original=original)
        self.manifest.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.stats.add(_facts(item, recording, revision, consent, chunk))

    def _streams(self, recording: Recording) -> bool:
        # A WAV clip that nothing else reads goes from storage straight into the zip.
        audio_only = not self.sinks and self.rendition.audio_format == "wav"
        return audio_only and recording.kind != Recording.Kind.SEGMENT

    def plan(self, recordings: Iterable[Recording]) -> None:
        """Starts reading the chunk's short streamed clips ahead (object storage only)."""
        self.prefetch.plan(
            recording.normalised_file.name or ""
            for recording in recordings
            if self._streams(recording)
            and (recording.duration_seconds or math.inf) <= PREFETCH_MAX_SECONDS
        )

    def _write_item_audio(
        self,
        recording: Recording,
        revision: TranscriptRevision,
        split: str,
        votes: tuple[int, int],
        span_seconds: tuple[float, float] | None,
        *,
        item_id: str,
    ) -> tuple[ExportItem, str]:
        """Writes the item's audio (and feeds the sinks); returns the item and the audio's hash."""
        if span_seconds is None and self._streams(recording):
            # On S3: one GET (read ahead, or now), no temporary file.
            item = _export_item(
                recording, revision, split, item_id=item_id, pooled=self.pooled,
                suffix=self.suffix, votes=votes,
            )  # fmt: skip
            data = self.prefetch.take(recording.normalised_file.name or "")
            if data is not None:
                return item, self.bundle.add_bytes(item.audio_name, data)
            return item, _write_stored(self.bundle, recording.normalised_file, item.audio_name)
        with _item_audio(recording, span_seconds, self.sources, self.suffix) as (wav, span):
            item = _export_item(
                recording, revision, split, item_id=item_id, pooled=self.pooled,
                suffix=self.suffix, votes=votes, span=span,
            )  # fmt: skip
            with _shipped_audio(wav, self.rendition.audio_format) as audio:
                digest = self.bundle.add_file(item.audio_name, audio)
                for sink in self.sinks:
                    _copy_members(self.bundle, sink.add(item, audio), self.sums)
        return item, digest

    def finish_audio(self) -> None:
        self.ship(self.sources.close())
        for sink in self.sinks:
            _copy_members(self.bundle, sink.finish(), self.sums)

    def finish_metadata(self, texts: TextSpool) -> None:
        """Writes the metadata files, manifest.jsonl, and SHA256SUMS over everything."""
        # The manifest after the other files, and SHA256SUMS last, as archives always had them.
        manifest = self.manifest.close()
        for name, spooled in [*texts.sorted(), ("manifest.jsonl", manifest)]:
            self._copy_text(name, spooled)
            self.sums.add(name, spooled.sha256)
        # Relative to the top folder: `cd <dataset>-v<N> && sha256sum -c SHA256SUMS` checks all.
        lines = (f"{digest}  {name}\n" for name, digest in self.sums.sorted())
        self._copy_text("SHA256SUMS", texts.write("SHA256SUMS", lines))

    def _copy_text(self, name: str, spooled: SpooledText) -> None:
        self.bundle.add_text(name, spooled)


def _metadata_texts(
    release: Release,
    writer: _ArchiveWriter,
    texts: TextSpool,
    *,
    spec: ReleaseSpec,
    salt: str,
    changelog: dict,
    split_report: dict | None,
    recording_ids: Collection[int],
) -> tuple[str, str, dict[str, str]]:
    """Spools the archive's text files (every format's metadata, release.json, the datasheets)
    to disk; returns the datasheet as Markdown, as the portal's fragment and in the other UI
    languages."""
    streams = export_streams(
        writer.exported,
        salt=salt,
        formats=writer.rendition.formats,
        kaldi_audio_prefix=spec.kaldi_audio_prefix,
    )
    writer.exported = []  # the streams hold the items now, and the files are made one by one
    for name, make in streams.items():
        texts.write(name, make())
    del streams  # the biggest thing held: every item, sorted and grouped
    release_json = _release_json(
        release, writer.stats, changelog, writer.rendition, sources=writer.shipped_sources
    )
    if split_report is not None:  # how the splits were made (releases.split_plan)
        release_json = _with_splits(release_json, split_report)
    texts.write("release.json", [release_json])
    context = _archive_datasheet_context(
        release, writer, changelog, split_report, recording_ids=recording_ids
    )
    with translation.override("en"):  # the archive's datasheets are English
        markdown = datasheet_markdown(context)
    fragment, document, translated = datasheet_html(context)
    texts.write("DATASHEET.md", [markdown])
    texts.write("DATASHEET.html", [document])
    return markdown, fragment, translated


def _archive_datasheet_context(
    release: Release,
    writer: _ArchiveWriter,
    changelog: dict,
    split_report: dict | None,
    *,
    recording_ids: Collection[int],
) -> dict:
    """The datasheet's context for the archive, in English (the archive's language)."""
    campaigns = list(Campaign.objects.filter(pk__in=_campaign_ids(release)).order_by("pk"))
    with translation.override("en"):
        context = datasheet_context(
            release=release,
            stats=writer.stats,
            spec=release.spec,
            changes=changelog,
            campaigns=campaigns,
        )
        # The same figures, computed the same way, as the PM's analytics dashboard shows.
        context["asr_error"] = asr_error_sections(campaigns, recording_ids=recording_ids)
        context["split_report"] = split_report
        if writer.shipped_sources:
            context["long_form_sources"] = len(writer.shipped_sources)
            context["audio_note"] += " " + long_form_note(len(writer.shipped_sources))
        context |= terms_context(campaigns=campaigns, recording_ids=recording_ids)
    return context


def _canonical(data):
    return json.loads(json.dumps(data, sort_keys=True))


def _campaign_ids(release: Release) -> list[int]:
    return sorted({release.campaign_id, *(release.spec.get("extra_campaigns") or [])})


def _write_stored(bundle: _Bundle, field_file: FieldFile, name: str) -> str:
    """Copies a stored file into the zip and hashes it in the same read, wherever it lies."""
    if not storage_is_remote():
        # Straight from its path: FieldFile.open goes through the storage and wraps a File
        # per clip, a quarter of a millisecond each; the bytes are the same.
        return bundle.add_file(name, Path(field_file.path))
    with field_file.open("rb") as handle:
        return bundle.add_stream(name, handle)


def _span_seconds(recording: Recording, choice: Selected) -> tuple[float, float] | None:
    if recording.kind != Recording.Kind.SEGMENT:
        return None
    start, end = recording.start_seconds, recording.end_seconds
    assert start is not None and end is not None  # a segment's span (the model's check)
    return choice.span_seconds or (start, end)


@contextmanager
def _item_audio(
    recording: Recording,
    span_seconds: tuple[float, float] | None,
    sources: SourceAudio,
    suffix: str,
) -> Iterator[tuple[Path, Span | None]]:
    """The item's normalised audio: a clip's own file, or a segment's cut from its source."""
    if span_seconds is None:
        with local_path(recording.normalised_file) as path:
            yield path, None
        return
    assert recording.source is not None  # a segment's source (the model's check)
    source_audio = source_audio_name(str(recording.source.uid), suffix)
    path, span = sources.cut(recording, span_seconds, source_audio=source_audio)
    try:
        yield path, span
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def _shipped_audio(source: Path, audio_format: str) -> Iterator[Path]:
    """The clip as it ships: the normalised WAV itself, or a temporary FLAC of it."""
    if audio_format != "flac":
        yield source
        return
    with tempfile.NamedTemporaryFile(suffix=".flac") as encoded:
        _encode_flac(source, Path(encoded.name))
        yield Path(encoded.name)


def _encode_flac(source: Path, target: Path) -> None:
    """Encodes the normalised WAV as FLAC, lossless, one block at a time.

    libsndfile seeks back to finish the FLAC header, and a zip member can't be seeked, so the
    clip goes through a temporary file: one clip on disk at a time, a block in memory. The
    format sinks read the same file, so every format ships the same bytes.
    """
    with soundfile.SoundFile(source) as wav, target.open("w+b") as encoded:
        subtype = wav.subtype if wav.subtype in FLAC_SUBTYPES else "PCM_24"
        with soundfile.SoundFile(
            encoded,
            "w",
            samplerate=wav.samplerate,
            channels=wav.channels,
            format="FLAC",
            subtype=subtype,
        ) as flac:
            # int32 carries 16- and 24-bit samples exactly, so decoding gives the WAV back.
            for block in wav.blocks(blocksize=BLOCK_FRAMES, dtype="int32", always_2d=True):
                flac.write(block)


def _write_original(bundle: _Bundle, recording: Recording, speaker_id: str) -> str:
    """Ships the raw upload byte for byte; returns its path in the release.

    Named by the recording's uid, never the uploaded file name, which may carry a person's name.
    A checksum that differs from the one taken at upload means the stored file changed since:
    the build stops rather than ship it.
    """
    name = f"originals/{speaker_id}/{recording.uid}{recording.original_suffix}"
    digest = _write_stored(bundle, recording.raw_file, name)
    if digest != recording.raw_sha256:
        raise ValueError(
            f"recording {recording.uid}: the stored upload's SHA-256 {digest} differs from "
            f"{recording.raw_sha256}, taken at upload"
        )
    return name


def archive_store(*, path: Path, name: str) -> str:
    """Stores the written archive (at a storage_scratch_path) as ``name``; returns the stored
    name. Renamed into place on a local folder, or uploaded to S3 part by part from the disk
    (storage_move_in). Its SHA-256 was taken as it was written (ArchiveResult.sha256)."""
    return storage_move_in(path=path, name=name)


def _export_item(
    recording: Recording,
    revision: TranscriptRevision,
    split: str,
    *,
    item_id: str,
    pooled: bool,
    suffix: str,
    votes: tuple[int, int] = (0, 0),
    span: Span | None = None,
) -> ExportItem:
    """``item_id`` is the recording's uid as the selection holds it: one string for both."""
    speaker = recording.speaker
    # A segment lasts exactly the samples cut, not the span's rounded seconds.
    duration = round(recording.duration_seconds or 0.0, 3)
    if span is not None:
        duration = (span.stop - span.first) / span.sample_rate
    # Interned: one string per speaker, not one per item, in every item the build holds.
    key = sys.intern(speaker_key(speaker.code, speaker.campaign_id, pooled=pooled))
    return ExportItem(
        item_id=item_id,
        split=split,
        audio_name=audio_name(split, key, item_id, suffix),
        text=revision.text,
        duration=duration,
        speaker_id=key,
        gender=speaker.gender,
        age_band=speaker.age_band,
        region=speaker.region,
        dialect=speaker.dialect,
        language=recording.campaign.language,
        extra=_revision_extra(revision.number),
        up_votes=votes[0],
        down_votes=votes[1],
        span=span,
    )


@functools.cache
def _revision_extra(number: int) -> Mapping[str, object]:
    # One mapping per revision number, shared by the items (nothing changes an item's extra):
    # a dict per item would be a quarter of what the build holds of each.
    return {"revision": number}


def _facts(
    item: ExportItem,
    recording: Recording,
    revision: TranscriptRevision,
    consent: ConsentRecord,
    chunk: _Chunk,
) -> ItemFacts:
    label, scope = _consent_label(consent)
    return ItemFacts(
        split=item.split,
        speaker=item.speaker_id,
        seconds=item.duration,
        age_band=item.age_band,
        gender=item.gender,
        dialect=item.dialect,
        region=item.region,
        environment=recording.environment.name if recording.environment else "",
        consent=label,
        consent_scope=scope,
        signer=consent.signer,
        quality_flags=list(recording.quality_flags or []),
        recorded_on=timezone.localdate(recording.created_at),
        channel=recording.channel.name if recording.channel else "",
        final_text=revision.text,
        draft_text=chunk.drafts.get(recording.pk),
        times_returned=chunk.tasks.get(recording.pk),
        reviewed=revision.kind == TranscriptRevision.Kind.REVIEW,
    )


def _manifest_row(item: ExportItem, consent: ConsentRecord, *, original: str | None) -> dict:
    row = {
        "path": item.audio_name,
        "split": item.split,
        "text": item.text,
        "duration": item.duration,
        "speaker_id": item.speaker_id,
        "gender": item.gender,
        "age_band": item.age_band,
        "region": item.region,
        "dialect": item.dialect,
        "language": item.language,
        "recording_id": item.item_id,
        "revision": item.extra["revision"],
        "consent_document_version": consent.document.version,
    }
    if original is not None:
        row["original_path"] = original
    if item.span is not None:  # where the cut lies in its source, as Kaldi's segments say
        row |= {
            "source_id": item.span.source_id,
            "source_path": item.span.source_audio,
            "source_start": item.span.start,
            "source_end": item.span.end,
        }
    return row


def _release_json(
    release: Release,
    stats: DatasheetStats,
    changelog: dict,
    rendition: Rendition,
    *,
    sources: Sequence[FinishedSource] = (),
) -> str:
    summary = {
        "campaign": release.campaign_id,
        "campaigns": _campaign_ids(release),
        "version": release.version,
        # "1.1" for a redacted re-issue of v1 (the same content minus withdrawn speakers).
        "label": release.label,
        "reissue_of": release.reissue_of.label if release.reissue_of else None,
        "previous_version": changelog.get("against_version"),
        "client": release.client_id,
        "builder": BUILDER,
        "spec": release.spec,
        "split_ratios": release.split_ratios,
        "seed": release.seed,
        "items": stats.items,
        "items_per_split": dict(sorted(stats.split_items.items())),
        "hours_per_split": {
            k: round(v / 3600, 4) for k, v in sorted(Counter(stats.split_seconds).items())
        },
        "speakers": len(stats.speakers),
        "qa": qa_figures(stats),
        "rendition": rendition.key,
        "formats": rendition.formats,
        "audio": {"format": rendition.audio_format, "sample_rate": 16000, "channels": 1},
        "changelog": changelog,
    }
    if sources:
        # Items (and the hours above) are segments; their sources ship whole besides them.
        summary["long_form"] = {
            "sources": len(sources),
            "source_hours": round(sum(s.seconds for s in sources) / 3600, 4),
        }
    return json.dumps(summary, ensure_ascii=False, indent=2) + "\n"


def _with_splits(release_json: str, split_report: dict) -> str:
    return (
        json.dumps(
            json.loads(release_json) | {"splits": split_report}, ensure_ascii=False, indent=2
        )
        + "\n"
    )
