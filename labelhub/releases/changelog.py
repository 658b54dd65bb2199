"""A version's changelog: what was added, removed (and why) and changed since the previous one."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db.models import Q

from labelhub.db_ids import among
from labelhub.labeling.models import HUMAN_KINDS, Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.releases.models import Release, ReleaseChange
from labelhub.releases.selectors import active_exclusions, delivering_consents

Reason = ReleaseChange.Reason


@dataclass(frozen=True)
class Change:
    recording_id: int
    uid: str
    kind: str
    reason: str = ""
    old_text: str = ""
    new_text: str = ""
    old_split: str = ""
    new_split: str = ""

    def as_json(self) -> dict:
        row = {"recording_id": self.uid, "reason": self.reason or None}
        if self.kind == ReleaseChange.Kind.CHANGED:
            row |= {"old_text": self.old_text, "new_text": self.new_text}
        if self.old_split:
            row |= {"old_split": self.old_split, "new_split": self.new_split}
        return {key: value for key, value in row.items() if value is not None}


def previous_published(*, release: Release) -> Release | None:
    """The newest published version of the same dataset before this one (revoked included).

    Only a release of the same client: the changelog and the kept test speakers compare against
    it, and another client's version must never leak into this one.
    """
    return (
        Release.objects.filter(
            campaign_id=release.campaign_id,
            client_id=release.client_id,
            status=Release.Status.PUBLISHED,
            version__lt=release.version,
        )
        .order_by("-version", "-reissue_number")  # v1.1 replaces v1
        .first()
    )


def changelog_compute(
    *,
    previous: Release | None,
    revisions: dict[int, int],
    approved_only: bool = True,
    splits: dict[int, str] | None = None,
) -> list[Change]:
    """Item-by-item changes; ``revisions`` maps each new item's recording id to its revision id,
    ``splits`` to its split (an item in both versions whose split differs has moved)."""
    if previous is None:
        return []
    before = dict(previous.items.values_list("recording_id", "revision_id"))
    changes = _item_changes(previous, before, revisions, approved_only=approved_only)
    return _with_moves(changes, previous, revisions, splits or {})


def _with_moves(
    changes: list[Change], previous: Release, revisions: dict[int, int], splits: dict[int, str]
) -> list[Change]:
    old = dict(
        previous.items.filter(recording_id__in=among(splits)).values_list("recording_id", "split")
    )
    moved = {rid: old[rid] for rid in revisions if rid in old and old[rid] != splits.get(rid)}
    if not moved:
        return changes
    changes = [
        replace(
            change, old_split=moved.pop(change.recording_id), new_split=splits[change.recording_id]
        )
        if change.recording_id in moved
        else change
        for change in changes
    ]
    uids = dict(Recording.objects.filter(pk__in=among(moved)).values_list("pk", "uid"))
    changes += [
        Change(
            rid, str(uids[rid]), ReleaseChange.Kind.MOVED, old_split=split, new_split=splits[rid]
        )
        for rid, split in sorted(moved.items())
    ]
    return changes


def _item_changes(
    previous: Release, before: dict[int, int], revisions: dict[int, int], *, approved_only: bool
) -> list[Change]:
    added = sorted(revisions.keys() - before.keys())
    removed = sorted(before.keys() - revisions.keys())
    kept = [
        rid for rid in sorted(before.keys() & revisions.keys()) if before[rid] != revisions[rid]
    ]
    uids = dict(
        Recording.objects.filter(pk__in=among([*added, *removed, *kept])).values_list("pk", "uid")
    )
    changes = [Change(rid, str(uids[rid]), ReleaseChange.Kind.ADDED) for rid in added]
    reasons = _removal_reasons(previous, removed, approved_only=approved_only)
    changes += [
        Change(rid, str(uids[rid]), ReleaseChange.Kind.REMOVED, reasons[rid]) for rid in removed
    ]
    changes += _text_changes(kept, before, revisions, uids)
    return changes


def _text_changes(
    recording_ids: list[int], before: dict[int, int], after: dict[int, int], uids: dict
) -> list[Change]:
    # A newer revision with the same text (a review that approved as is) is not a change.
    wanted = {before[rid] for rid in recording_ids} | {after[rid] for rid in recording_ids}
    texts = dict(TranscriptRevision.objects.filter(pk__in=among(wanted)).values_list("pk", "text"))
    return [
        Change(
            rid,
            str(uids[rid]),
            ReleaseChange.Kind.CHANGED,
            old_text=texts[before[rid]],
            new_text=texts[after[rid]],
        )
        for rid in recording_ids
        if texts[before[rid]] != texts[after[rid]]
    ]


def _removal_reasons(
    previous: Release, recording_ids: list[int], *, approved_only: bool
) -> dict[int, str]:
    """Why each item left, most serious first: consent, curation, review, then the spec."""
    ids = among(recording_ids)
    items = previous.items.filter(recording_id__in=ids)
    withdrawn = set(
        items.filter(
            Q(consent__withdrawn_at__isnull=False)
            | Q(recording__speaker__withdrawn_at__isnull=False)
        ).values_list("recording_id", flat=True)
    )
    speakers = dict(Recording.objects.filter(pk__in=ids).values_list("pk", "speaker_id"))
    consenting = set(
        delivering_consents()
        .filter(speaker_id__in=set(speakers.values()))
        .values_list("speaker_id", flat=True)
    )
    withdrawn |= {rid for rid, speaker in speakers.items() if speaker not in consenting}
    excluded_speakers = set(active_exclusions().values_list("speaker_id", flat=True))
    excluded = set(
        active_exclusions().filter(recording_id__in=ids).values_list("recording_id", flat=True)
    ) | {rid for rid, speaker in speakers.items() if speaker in excluded_speakers}
    approved = set(
        Task.objects.filter(recording_id__in=ids, status=Task.Status.APPROVED).values_list(
            "recording_id", flat=True
        )
    )
    with_text = set(
        TranscriptRevision.objects.filter(recording_id__in=ids, kind__in=HUMAN_KINDS).values_list(
            "recording_id", flat=True
        )
    )
    ready = set(
        Recording.objects.filter(pk__in=ids, status=Recording.Status.READY).values_list(
            "pk", flat=True
        )
    )
    reasons: dict[int, str] = {}
    for rid in recording_ids:
        if rid in withdrawn:
            reasons[rid] = Reason.WITHDRAWN_CONSENT
        elif rid in excluded:
            reasons[rid] = Reason.EXCLUDED_BY_CURATION
        elif rid not in ready or rid not in with_text or (approved_only and rid not in approved):
            reasons[rid] = Reason.REJECTED_ON_RE_REVIEW
        else:
            reasons[rid] = Reason.FILTERED_BY_SPEC
    return reasons


def changelog_json(*, previous: Release | None, changes: list[Change]) -> dict:
    by_kind: dict[str, list[dict]] = {kind: [] for kind in ReleaseChange.Kind.values}
    for change in changes:
        by_kind[change.kind].append(change.as_json())
    # A changed text that also moved is listed under both, so "moved" counts every move.
    by_kind[ReleaseChange.Kind.MOVED] += [
        change.as_json()
        for change in changes
        if change.old_split and change.kind != ReleaseChange.Kind.MOVED
    ]
    return {"against_version": previous.version if previous else None, **by_kind}
