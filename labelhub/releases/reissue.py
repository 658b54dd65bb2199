"""Withdrawal reaches published data: a release holding a withdrawn speaker is superseded (it
stops serving its archive at once) and re-issued as v1.1, v1.2... without the speaker's items.

The re-issue is built by the normal build path (services.release_build) from the original's
own facts: its ReleaseItem rows minus the withdrawn ones, each keeping its revision, consent
and split, so the client's v1.1 is exactly v1 less what must go. The per-item removal list
(``removal_rows``) says what to delete from copies of the original, for every format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from labelhub.dispatch import enqueue_on_commit
from labelhub.releases.archive import AUDIO_SUFFIX, Selected, speaker_key
from labelhub.releases.archive import _client_id_salt as client_id_salt
from labelhub.releases.formats.base import ExportItem, parquet_name, source_audio_name
from labelhub.releases.formats.commonvoice import clip_name, tsv_name
from labelhub.releases.formats.kaldi import utterance_id
from labelhub.releases.formats.lhotse import KINDS, manifest_name
from labelhub.releases.models import Release, ReleaseItem, ReleaseRendition
from labelhub.releases.renditions import Rendition, rendition_parse
from labelhub.releases.selectors import release_withdrawn_items
from labelhub.releases.spec import spec_load
from labelhub.releases.split_plan import SplitPlan, sentence_key
from labelhub.releases.splits import SplitItem

REASON_WITHDRAWN = "consent withdrawn"
KALDI_UTTERANCE_FILES = ("wav.scp", "text", "utt2spk", "utt2dur", "segments")
KALDI_SPEAKER_FILES = ("spk2utt", "spk2gender")


def releases_supersede_for_speaker(*, speaker_id: int) -> list[Release]:
    """Supersedes every published release holding the speaker and queues its re-issue.

    Safe to run twice: a release already superseded is left alone (its re-issue, built later,
    leaves out every item withdrawn by then, this speaker's included).
    """
    # Their own items, and segments of a source they recorded (its audio is deleted).
    holds = Q(items__recording__speaker_id=speaker_id) | Q(
        items__recording__source__speaker_id=speaker_id
    )
    held = (
        Release.objects.filter(holds, status=Release.Status.PUBLISHED, superseded_at__isnull=True)
        .distinct()
        .values_list("pk", flat=True)
    )
    superseded = [release_supersede(release_id=pk) for pk in held]
    # Every superseded release holding the speaker, also one superseded before a crash: its
    # archives hold their audio, and consent withdrawal deletes the audio everywhere.
    gone = Release.objects.filter(holds, superseded_at__isnull=False).distinct()
    for pk in gone.values_list("pk", flat=True):
        transaction.on_commit(partial(release_archives_delete, release_id=pk))
    return superseded


def release_archives_delete(*, release_id: int) -> int:
    """Deletes a superseded release's archive files (it answers 410, so no one may fetch them
    again); their checksums and sizes stay as the record of what was shipped. Returns the count.
    """
    deleted = 0
    owners: list[Release | ReleaseRendition] = [
        *ReleaseRendition.objects.filter(release_id=release_id).exclude(archive=""),
        *Release.objects.filter(pk=release_id).exclude(archive=""),
    ]
    for owner in owners:
        name = owner.archive.name
        if name and default_storage.exists(name):
            default_storage.delete(name)
            deleted += 1
        owner.archive.name = ""
        owner.save(update_fields=["archive"])
    return deleted


@transaction.atomic
def release_supersede(*, release_id: int) -> Release:
    """Stops serving the release's archive and creates its re-issue (built on commit)."""
    release = Release.objects.select_for_update(no_key=True).get(pk=release_id)
    if release.superseded_at is not None:
        return release
    # Every item withdrawn: nothing is left to re-issue, and the 410 says so.
    left = release.items.exclude(pk__in=release_withdrawn_items(release=release)).exists()
    reissue = _reissue_create(release) if left else None
    release.superseded_at = timezone.now()
    release.superseded_reason = REASON_WITHDRAWN
    release.superseded_by = reissue
    release.save(update_fields=["superseded_at", "superseded_reason", "superseded_by"])
    if reissue is not None:
        enqueue_on_commit("workers.tasks.releases.release_build", reissue.pk)
    return release


def _reissue_create(original: Release) -> Release:
    latest = Release.objects.filter(
        campaign_id=original.campaign_id, version=original.version
    ).aggregate(n=Max("reissue_number"))["n"]
    # A re-issue never re-splits: its spec keeps everything but an asked-for re-split.
    spec = {**original.spec, "resplit": None}
    return Release.objects.create(
        campaign_id=original.campaign_id,
        client_id=original.client_id,
        version=original.version,
        reissue_of=original,
        reissue_number=(latest or 0) + 1,
        created_by_id=original.created_by_id,
        split_ratios=original.split_ratios,
        seed=original.seed,
        spec=spec,
        heartbeat_at=timezone.now(),
    )


def reissue_select(*, release: Release) -> tuple[dict[int, Selected], SplitPlan]:
    """The original's items that may still be delivered, each pinned to its original split."""
    original = release.reissue_of
    if original is None:
        raise ValueError(f"release {release.pk} is not a reissue")
    kept = original.items.exclude(pk__in=release_withdrawn_items(release=original))
    columns = ["recording_id", "revision_id", "consent_id", "split", "recording__uid"]
    columns += ["recording__speaker__code", "recording__speaker__campaign_id"]
    columns += ["recording__duration_seconds", "recording__prompt__text"]
    columns += ["start_seconds", "end_seconds"]
    selected: dict[int, Selected] = {}
    splits: dict[str, str] = {}
    speakers: dict[str, str] = {}
    for row in kept.values_list(*columns).iterator(chunk_size=2000):
        recording_id, revision_id, consent_id, split, uid, code, campaign_id, seconds, text = row[
            :9
        ]
        # A segment keeps the span the original cut, even if its boundaries moved since.
        span = (row[9], row[10]) if row[9] is not None else None
        item = SplitItem(
            item_id=str(uid),
            speaker_id=speaker_key(code, campaign_id, pooled=True),
            cell="",
            seconds=seconds or 0.0,
            sentence=sentence_key(text) if text else "",
        )
        selected[recording_id] = Selected(recording_id, revision_id, consent_id, item, span)
        splits[item.item_id] = speakers[item.speaker_id] = split
    note = _("a re-issue keeps the splits of the release it replaces")
    return selected, SplitPlan(splits=splits, speakers=speakers, sentence_disjoint=False, note=note)


# --- The per-item removal list --------------------------------------------------------------


@dataclass(frozen=True)
class RemovedItem:
    """What the original release stored of an item: enough to name every place it went."""

    item: ExportItem  # ids and paths only; the text is not needed to find a row
    original_member: str  # "" when originals were not shipped
    salt: str
    # The audio suffixes of the renditions published (".wav", ".flac"), and whether one of
    # them held the Common Voice layout, whose clips are copies with their own checksums.
    audio_suffixes: tuple[str, ...]
    commonvoice: bool
    # Whether the item's speaker has no item left in this split: then the speaker's own lines
    # (Kaldi spk2utt, spk2gender) go too.
    last_of_speaker: bool
    # A long-form segment's source uid ("" for a clip): its speech is also in the source's
    # whole audio and transcripts.
    source_id: str = ""


# One function per format: the archive members and "member#row-key" rows that hold the item.
# Row keys are each file's own id for the row (the item id; Kaldi's utterance or speaker id;
# Common Voice's ``path``). A new format adds its function here.
def _audio(removed: RemovedItem) -> list[str]:
    name = PurePosixPath(removed.item.audio_name)
    members = [str(name.with_suffix(suffix)) for suffix in removed.audio_suffixes]
    if removed.original_member and not removed.source_id:  # segments ship no original
        members.append(removed.original_member)
    return members


def _audiofolder(removed: RemovedItem) -> list[str]:
    return [f"{removed.item.split}/metadata.jsonl#{removed.item.item_id}"]


def _nemo(removed: RemovedItem) -> list[str]:
    return [f"{removed.item.split}_manifest.jsonl#{removed.item.item_id}"]


def _kaldi(removed: RemovedItem) -> list[str]:
    folder, utt = f"kaldi/{removed.item.split}", utterance_id(removed.item)
    # A segment's wav.scp line is its source's (kept for the other segments): not the item's.
    files = [n for n in KALDI_UTTERANCE_FILES if not (removed.source_id and n == "wav.scp")]
    rows = [f"{folder}/{name}#{utt}" for name in files]
    if removed.last_of_speaker:
        rows += [f"{folder}/{name}#{removed.item.speaker_id}" for name in KALDI_SPEAKER_FILES]
    return rows


def _commonvoice(removed: RemovedItem) -> list[str]:
    clip = clip_name(removed.item, removed.salt)
    return [f"commonvoice/clips/{clip}", f"{tsv_name(removed.item.split)}#{clip}"]


def _lhotse(removed: RemovedItem) -> list[str]:
    return [f"{manifest_name(removed.item.split, kind)}#{removed.item.item_id}" for kind in KINDS]


def _webdataset(removed: RemovedItem) -> list[str]:
    # Shards close by size, which the stored facts do not keep: the member is named in any of
    # the split's shards, and a tar lists its members, so it is found without reading audio.
    item = removed.item
    suffix = PurePosixPath(item.audio_name).suffix
    shards = f"webdataset/{item.split}-*.tar"
    return [f"{shards}#{item.item_id}{suffix}", f"{shards}#{item.item_id}.json"]


def _parquet(removed: RemovedItem) -> list[str]:
    return [f"{parquet_name(removed.item.split)}#{removed.item.item_id}"]


def _long_form(removed: RemovedItem) -> list[str]:
    """The source's whole audio holds the segment's speech, so it goes as a whole (the re-issue
    ships it again, silent there); its WebVTT cue is the one with the item's id, and the
    TextGrid, whose intervals carry no id, goes as a whole too."""
    if not removed.source_id:
        return []
    uid, item = removed.source_id, removed.item.item_id
    members = [source_audio_name(uid, suffix) for suffix in removed.audio_suffixes]
    return members + [f"transcripts/{uid}.vtt#{item}", f"transcripts/{uid}.TextGrid"]


def _manifest(removed: RemovedItem) -> list[str]:
    return [f"manifest.jsonl#{removed.item.item_id}"]


def _checksums(removed: RemovedItem) -> list[str]:
    files = _audio(removed) + ([_commonvoice(removed)[0]] if removed.commonvoice else [])
    files += [m for m in _long_form(removed) if m.startswith("sources/")]
    return [f"SHA256SUMS#{member}" for member in files]


REMOVAL_FORMATS: dict[str, Callable[[RemovedItem], list[str]]] = {
    "audio": _audio,
    "audiofolder": _audiofolder,
    "nemo": _nemo,
    "kaldi": _kaldi,
    "commonvoice": _commonvoice,
    "lhotse": _lhotse,
    "webdataset": _webdataset,
    "parquet": _parquet,
    "long-form": _long_form,
    "labelhub-manifest": _manifest,
    "checksums": _checksums,
}


def removal_rows(*, release: Release) -> list[dict]:
    """For each withdrawn item of the release: every member and row to delete, per format."""
    items = list(
        release_withdrawn_items(release=release)
        .select_related("recording", "recording__source")
        .order_by("path")
        .only(
            "path",
            "split",
            "recording__uid",
            "recording__original_suffix",
            "recording__source__uid",
        )
    )
    kept_speakers = {
        (split, _speaker_of(path))
        for split, path in release.items.exclude(pk__in=[i.pk for i in items]).values_list(
            "split", "path"
        )
    }
    shipped = _renditions_shipped(release)
    salt = client_id_salt(release)
    return [_removal_row(i, salt, shipped=shipped, kept=kept_speakers) for i in items]


def _renditions_shipped(release: Release) -> list[Rendition]:
    """Every rendition of the release a client could have downloaded: its published ones (the
    version's default when none is recorded), so the list names only what was delivered."""
    keys = release.renditions.filter(status=ReleaseRendition.Status.PUBLISHED).values_list(
        "key", flat=True
    )
    return [rendition_parse(key) for key in keys] or [spec_load(release.spec).rendition]


def _removal_row(row: ReleaseItem, salt: str, *, shipped: list[Rendition], kept: set) -> dict:
    speaker, uid = _speaker_of(row.path), str(row.recording.uid)
    item = ExportItem(
        item_id=uid, split=row.split, audio_name=row.path, text="", duration=0.0,
        speaker_id=speaker, gender="", age_band="", region="", dialect="", language="",
    )  # fmt: skip
    originals = any(rendition.include_originals for rendition in shipped)
    original = f"originals/{speaker}/{uid}{row.recording.original_suffix}" if originals else ""
    source = row.recording.source
    source_id = str(source.uid) if source is not None else ""
    formats = {"audio", "checksums"} | {name for r in shipped for name in r.formats}
    if source_id:
        formats.add("long-form")
    removed = RemovedItem(
        item,
        original,
        salt,
        audio_suffixes=tuple(sorted({AUDIO_SUFFIX[r.audio_format] for r in shipped})),
        commonvoice="commonvoice" in formats,
        last_of_speaker=(row.split, speaker) not in kept,
        source_id=source_id,
    )
    return {
        "recording_id": uid,
        "path": row.path,
        "split": row.split,
        "reason": REASON_WITHDRAWN,
        "remove": {
            name: rows(removed) for name, rows in REMOVAL_FORMATS.items() if name in formats
        },
    }


def _speaker_of(path: str) -> str:
    # ReleaseItem.path is the audio layout's <split>/audio/<speaker>/<uid><suffix>.
    return PurePosixPath(path).parts[-2]
