"""Editing long-form segments: move a boundary, change the speaker, split, merge, add, delete.

The rules every edit keeps: only the labeler holding a segment's lease edits it (never someone
else's); an approved segment's span is frozen; neighbour spans never overlap and stay within
[0, source duration]; every span or speaker change bumps segment_version, and an edit naming an
older version is refused (409 stale_segment, with the current segment). Each edit leaves a
SegmentEdit row. The source row is locked first, so two edits of one source never interleave
their overlap checks. Text is not edited here: it is saved by task_submit, per segment.
"""

import math
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from labelhub.accounts.models import User
from labelhub.dispatch import clip_facts_refresh_on_commit
from labelhub.errors import Conflict, DomainError
from labelhub.labeling.claim_rules import revision_latest
from labelhub.labeling.models import HUMAN_KINDS, SegmentEdit, Task, TranscriptRevision
from labelhub.labeling.segment_selectors import (
    Word,
    segment_span,
    source_draft_words,
    words_text,
    words_within,
)
from labelhub.labeling.services import lease_until, revision_append
from labelhub.recordings.models import Recording
from labelhub.recordings.segments import segment_new
from labelhub.speakers.models import Speaker
from labelhub.speakers.selectors import consent_active_for

# No side of a split, and no segment, may be shorter than this (seconds).
MIN_SPAN_SECONDS = 0.1


class StaleSegment(Conflict):
    """The segment changed since the client read it; the API adds the current one as JSON."""

    code = "stale_segment"

    def __init__(self, segment: Recording) -> None:
        super().__init__(
            _("Segment %(id)s changed since you opened it (it is at version %(version)s now).")
            % {"id": segment.pk, "version": segment.segment_version}
        )
        self.segment = segment
        self.extra: dict[str, Any] = {}


class NotHeld(Conflict):
    code = "not_held"


class SegmentFrozen(Conflict):
    code = "segment_frozen"


class SegmentRemoved(Conflict):
    code = "segment_removed"


class SegmentOverlap(DomainError):
    code = "segment_overlap"


class SegmentOutOfBounds(DomainError):
    code = "segment_out_of_bounds"


class SegmentTooShort(DomainError):
    code = "segment_too_short"


def _locked_segment(segment_id: int) -> tuple[Recording, Recording, Task | None]:
    """Source, segment and its task, locked in that order (the order every edit takes)."""
    source_id = (
        Recording.objects.filter(pk=segment_id, kind=Recording.Kind.SEGMENT)
        .values_list("source_id", flat=True)
        .get()
    )
    source = Recording.objects.select_for_update(no_key=True).get(pk=source_id)
    segment = Recording.objects.select_for_update(no_key=True).get(pk=segment_id)
    task = Task.objects.select_for_update(no_key=True).filter(recording=segment).first()
    return source, segment, task


def _require_editable(segment: Recording, task: Task | None, user: User, version: int) -> None:
    if segment.status != Recording.Status.READY:
        raise SegmentRemoved(_("Segment %(id)s was merged away or deleted.") % {"id": segment.pk})
    if task is not None and task.status == Task.Status.APPROVED:
        raise SegmentFrozen(
            _("Segment %(id)s is approved: its span can no longer change.") % {"id": segment.pk}
        )
    # As task_submit: the holder keeps a lapsed lease until another labeler claims the task.
    if task is None or task.status != Task.Status.OPEN or task.assignee_id != user.pk:
        raise NotHeld(
            _("You do not hold segment %(id)s; claim it before you edit it.") % {"id": segment.pk}
        )
    if version != segment.segment_version:
        raise StaleSegment(segment)


def _check_span(source: Recording, start: float, end: float, *, exclude: list[int]) -> None:
    duration = source.duration_seconds or 0.0
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end > duration:
        raise SegmentOutOfBounds(
            _("A segment must lie within the source, 0 to %(duration).3f s; got %(span)s.")
            % {"duration": duration, "span": f"{start}-{end}"}
        )
    if end - start < MIN_SPAN_SECONDS:
        raise SegmentTooShort(
            _("A segment must last at least %(min)s s; %(span)s does not.")
            % {"min": MIN_SPAN_SECONDS, "span": f"{start:.3f}-{end:.3f}"}
        )
    clash = (
        Recording.objects.filter(
            source=source,
            kind=Recording.Kind.SEGMENT,
            status=Recording.Status.READY,
            start_seconds__lt=end,
            end_seconds__gt=start,
        )
        .exclude(pk__in=exclude)
        .order_by("start_seconds")
        .first()
    )
    if clash is not None:
        raise SegmentOverlap(
            _("%(span)s overlaps segment %(id)s (%(other)s).")
            % {
                "span": f"{start:.3f}-{end:.3f}",
                "id": clash.pk,
                "other": f"{clash.start_seconds:.3f}-{clash.end_seconds:.3f}",
            }
        )


def _speaker_for(source: Recording, speaker_id: int) -> Speaker:
    speaker = Speaker.objects.filter(pk=speaker_id, campaign_id=source.campaign_id).first()
    usable = speaker is not None and speaker.withdrawn_at is None
    if speaker is None or not usable or consent_active_for(speaker=speaker) is None:
        raise DomainError(
            _("Speaker %(id)s is not a consenting speaker of this campaign.") % {"id": speaker_id},
            code="invalid_speaker",
        )
    return speaker


def _set_span(segment: Recording, start: float, end: float) -> None:
    segment.start_seconds, segment.end_seconds = start, end
    segment.duration_seconds = round(end - start, 3)


# A segment's start, end and speaker id before an edit.
_Before = tuple[float | None, float | None, int]


def _record(segment: Recording, action: str, user: User, before: _Before, **fields: Any) -> None:
    """Bumps the segment's version, saves it, and writes the edit row."""
    # Its span (seconds), speaker or removal change the analytics figures.
    clip_facts_refresh_on_commit(segment.campaign_id, [segment.pk])
    segment.segment_version += 1
    segment.save(
        update_fields=[
            "start_seconds",
            "end_seconds",
            "duration_seconds",
            "speaker",
            "status",
            "segment_version",
        ]
    )
    SegmentEdit.objects.create(
        segment=segment,
        action=action,
        from_start=before[0],
        from_end=before[1],
        from_speaker_id=before[2],
        to_start=segment.start_seconds,
        to_end=segment.end_seconds,
        to_speaker_id=segment.speaker_id,
        version=segment.segment_version,
        author=user,
        **fields,
    )


def _before(segment: Recording) -> _Before:
    return segment.start_seconds, segment.end_seconds, segment.speaker_id


def _close_task(task: Task | None) -> None:
    # A removed segment's task is never handed out again (claims take READY recordings only);
    # its lease ends now so it frees nobody's run.
    if task is not None:
        task.assignee, task.lease_expires_at = None, None
        task.save(update_fields=["assignee", "lease_expires_at", "updated_at"])


def _new_task(segment: Recording, user: User, *, priority: int = 0) -> Task:
    return Task.objects.create(
        recording=segment,
        priority=priority,
        assignee=user,
        lease_expires_at=lease_until(timezone.now()),
    )


def _words_draft(
    segment: Recording, words: list[Word], model: TranscriptRevision | None, **fields: Any
) -> TranscriptRevision:
    """An ASR draft for `segment` made of draft words already on the source timeline.

    It carries its own "origin" (the segment's start now), so later boundary moves keep its
    words where they were said.
    """
    origin, end = segment_span(segment)
    latest = revision_latest(recording=segment)
    return revision_append(
        recording=segment,
        parent=latest,
        kind=TranscriptRevision.Kind.ASR_DRAFT,
        source=TranscriptRevision.Source.ASR,
        segments=[
            {
                "origin": origin,
                "start": 0.0,
                "end": round(end - origin, 3),
                "text": words_text(words),
                "words": [
                    {
                        "start": round(w[0] - origin, 3),
                        "end": round(w[1] - origin, 3),
                        "text": w[2],
                        "probability": w[3],
                    }
                    for w in words
                ],
            }
        ],
        language=model.language if model else "",
        engine=model.engine if model else "",
        model_name=model.model_name if model else "",
        engine_version=model.engine_version if model else "",
        **fields,
    )


def _asr_draft(segment: Recording) -> TranscriptRevision | None:
    return (
        segment.revisions.filter(kind=TranscriptRevision.Kind.ASR_DRAFT).order_by("-number").first()
    )


@transaction.atomic
def segment_change(
    *,
    segment_id: int,
    user: User,
    version: int,
    start: float | None = None,
    end: float | None = None,
    speaker_id: int | None = None,
) -> Recording:
    """Moves a boundary (or both) and/or sets the speaker of a segment the user holds."""
    source, segment, task = _locked_segment(segment_id)
    _require_editable(segment, task, user, version)
    before = _before(segment)
    old_start, old_end = segment_span(segment)
    new_start = round(start if start is not None else old_start, 3)
    new_end = round(end if end is not None else old_end, 3)
    if (new_start, new_end) != (old_start, old_end):
        _check_span(source, new_start, new_end, exclude=[segment.pk])
        _set_span(segment, new_start, new_end)
    if speaker_id is not None and speaker_id != segment.speaker_id:
        segment.speaker = _speaker_for(source, speaker_id)
    if _before(segment) != before:
        _record(segment, SegmentEdit.Action.CHANGE, user, before)
    return segment


@transaction.atomic
def segment_split(
    *, segment_id: int, user: User, version: int, at: float
) -> tuple[Recording, Recording]:
    """Cuts a held segment at `at`: the left keeps its text and task, the right is a new
    segment whose draft holds the draft words after `at`, its task leased to the user."""
    source, segment, task = _locked_segment(segment_id)
    _require_editable(segment, task, user, version)
    at = round(at, 3) if math.isfinite(at) else at
    start, end = segment_span(segment)
    if not (math.isfinite(at) and start < at < end):
        raise SegmentOutOfBounds(
            _("The split point %(at)s is not inside %(span)s.")
            % {"at": at, "span": f"{start:.3f}-{end:.3f}"}
        )
    if at - start < MIN_SPAN_SECONDS or end - at < MIN_SPAN_SECONDS:
        raise SegmentTooShort(
            _("Splitting at %(at).3f s leaves a side shorter than %(min)s s.")
            % {"at": at, "min": MIN_SPAN_SECONDS}
        )
    words = words_within(source_draft_words(source=source), at, end)
    before = _before(segment)
    _set_span(segment, start, at)
    right = segment_new(source=source, start_seconds=at, end_seconds=end, speaker=segment.speaker)
    draft = _asr_draft(segment)
    if draft is not None:
        _words_draft(
            right,
            words,
            draft,
            text=words_text(words),
            confidence=draft.confidence,
            low_confidence=draft.low_confidence,
            flags=list(draft.flags),
        )
    assert task is not None  # _require_editable refused a segment without a held task
    _new_task(right, user, priority=task.priority)
    _record(segment, SegmentEdit.Action.SPLIT, user, before, other=right)
    SegmentEdit.objects.create(
        segment=right,
        action=SegmentEdit.Action.SPLIT,
        other=segment,
        to_start=at,
        to_end=end,
        to_speaker_id=right.speaker_id,
        version=right.segment_version,
        author=user,
    )
    return segment, right


def _next_of(segment: Recording) -> Recording | None:
    return (
        Recording.objects.select_for_update(no_key=True)
        .filter(
            source_id=segment.source_id,
            kind=Recording.Kind.SEGMENT,
            status=Recording.Status.READY,
            start_seconds__gte=segment.end_seconds,
        )
        .order_by("start_seconds", "pk")
        .first()
    )


def _merged_text(segment: Recording, following: Recording, words: list[Word], user: User) -> None:
    """Joins the two texts with a space, as a new revision on the surviving segment: a labeler
    edit when either text is a person's, else an ASR draft holding both drafts' words."""
    first, second = revision_latest(recording=segment), revision_latest(recording=following)
    texts = [r.text.strip() for r in (first, second) if r is not None and r.text.strip()]
    if second is None or not second.text.strip():
        return  # nothing to carry over: the survivor's text is already the whole text
    joined = " ".join(texts)
    if any(r is not None and r.kind in HUMAN_KINDS for r in (first, second)):
        revision_append(
            recording=segment,
            parent=first,
            kind=TranscriptRevision.Kind.LABELER_EDIT,
            text=joined,
            source=TranscriptRevision.Source.WORKBENCH,
            language=first.language if first else second.language,
            author=user,
        )
        return
    drafts = [d for d in (_asr_draft(segment), _asr_draft(following)) if d is not None]
    confidences = [d.confidence for d in drafts if d.confidence is not None]
    _words_draft(
        segment,
        words,
        drafts[0] if drafts else None,
        text=joined,
        confidence=min(confidences) if confidences else None,
        low_confidence=any(d.low_confidence for d in drafts),
        flags=sorted({flag for d in drafts for flag in d.flags}),
    )


@transaction.atomic
def segment_merge_next(
    *, segment_id: int, user: User, version: int, next_version: int
) -> Recording:
    """Merges a held segment with the next one (also held): the survivor spans both, the next
    is removed and its task closed, and the texts are joined with a space."""
    source, segment, task = _locked_segment(segment_id)
    _require_editable(segment, task, user, version)
    following = _next_of(segment)
    if following is None:
        raise DomainError(
            _("Segment %(id)s is the last one: there is nothing to merge it with.")
            % {"id": segment.pk},
            code="no_next_segment",
        )
    next_task = Task.objects.select_for_update(no_key=True).filter(recording=following).first()
    _require_editable(following, next_task, user, next_version)
    start, end = segment_span(segment)[0], segment_span(following)[1]
    words = words_within(source_draft_words(source=source), start, end)
    _merged_text(segment, following, words, user)
    before, next_before = _before(segment), _before(following)
    _set_span(segment, start, end)
    _record(segment, SegmentEdit.Action.MERGE, user, before, other=following)
    following.status = Recording.Status.REMOVED
    _record(following, SegmentEdit.Action.MERGE, user, next_before, other=segment)
    _close_task(next_task)
    return segment


@transaction.atomic
def segment_add(
    *,
    source_id: int,
    user: User,
    start: float,
    end: float,
    speaker_id: int | None = None,
) -> Recording:
    """Adds a segment in a gap of a source the user is working on (holds a segment of); its
    new task is leased to them."""
    source = Recording.objects.select_for_update(no_key=True).get(
        pk=source_id, kind=Recording.Kind.SOURCE
    )
    holds = Task.objects.filter(
        recording__source=source,
        recording__status=Recording.Status.READY,
        status=Task.Status.OPEN,
        assignee=user,
    )
    if not holds.exists():
        raise NotHeld(_("Claim segments of this source before you add one to it."))
    start = round(start, 3) if math.isfinite(start) else start
    end = round(end, 3) if math.isfinite(end) else end
    _check_span(source, start, end, exclude=[])
    speaker = _speaker_for(source, speaker_id) if speaker_id is not None else None
    segment = segment_new(source=source, start_seconds=start, end_seconds=end, speaker=speaker)
    _new_task(segment, user)
    SegmentEdit.objects.create(
        segment=segment,
        action=SegmentEdit.Action.ADD,
        to_start=start,
        to_end=end,
        to_speaker_id=segment.speaker_id,
        version=segment.segment_version,
        author=user,
    )
    return segment


@transaction.atomic
def segment_delete(*, segment_id: int, user: User, version: int) -> Recording:
    """Removes a held segment: its row and revisions stay for the audit trail, its task closes."""
    _source, segment, task = _locked_segment(segment_id)
    _require_editable(segment, task, user, version)
    before = _before(segment)
    segment.status = Recording.Status.REMOVED
    _record(segment, SegmentEdit.Action.DELETE, user, before)
    _close_task(task)
    return segment
