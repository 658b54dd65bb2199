"""Reads for long-form segments: a source's segments as the workbench shows them, its speakers.

All times are seconds on the SOURCE's timeline. ASR draft words are stored relative to the
segment's start at the time the draft was written; they are turned into source time here, once
per source, so a boundary drag, a split or a merge shows each segment the draft words that fall
inside its current span.
"""

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.labeling.models import SegmentEdit, Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.recordings.selectors import recordings_visible_to
from labelhub.speakers.models import ConsentRecord, Speaker

# One draft word on the source timeline: [start, end, word, probability].
Word = list[Any]


def segment_span(segment: Recording) -> tuple[float, float]:
    """A segment's [start, end) on its source; every segment has both (the model's
    recording_segment_has_span constraint)."""
    start, end = segment.start_seconds, segment.end_seconds
    if start is None or end is None:
        raise ValueError(f"recording {segment.pk} is not a segment: it has no span")
    return start, end


def sources_visible_to(*, user: User) -> QuerySet[Recording]:
    """Long-form sources of the campaigns the user works on, and those of a segment they hold
    (a lease outlives a change of the campaign's labeler list, as it does for clips)."""
    if not (user.is_authenticated and user.is_labeling_staff):
        return Recording.objects.none()
    visible = recordings_visible_to(user=user)
    now = timezone.now()
    held = Recording.objects.filter(
        Q(task__assignee=user, task__lease_expires_at__gte=now)
        | Q(task__double_assignee=user, task__double_lease_expires_at__gte=now),
        kind=Recording.Kind.SEGMENT,
    )
    return Recording.objects.filter(kind=Recording.Kind.SOURCE).filter(
        Q(pk__in=visible.values("pk")) | Q(pk__in=held.values("source_id"))
    )


def segments_visible_to(*, user: User) -> QuerySet[Recording]:
    """Segments of the sources the user may see (their own leased ones included)."""
    return Recording.objects.filter(
        kind=Recording.Kind.SEGMENT, source_id__in=sources_visible_to(user=user).values("pk")
    )


def source_segments(
    *, source: Recording, start: float | None = None, end: float | None = None
) -> QuerySet[Recording]:
    """The source's live segments in time order; with a window, those overlapping it."""
    segments = Recording.objects.filter(
        source=source, kind=Recording.Kind.SEGMENT, status=Recording.Status.READY
    )
    if start is not None:
        segments = segments.filter(end_seconds__gt=start)
    if end is not None:
        segments = segments.filter(start_seconds__lt=end)
    return segments.select_related("speaker", "task").order_by("start_seconds", "pk")


def source_speakers(*, campaign: Campaign) -> QuerySet[Speaker]:
    """Who a segment may be said to be spoken by: the campaign's speakers with active consent."""
    consenting = ConsentRecord.objects.filter(
        speaker__campaign=campaign, withdrawn_at__isnull=True
    ).values("speaker_id")
    return Speaker.objects.filter(
        campaign=campaign, withdrawn_at__isnull=True, pk__in=consenting
    ).order_by("code")


def segment_held_by(*, task: Task, user: User) -> bool:
    """The user holds the segment for labeling, the test every span edit makes: as for
    task_submit, a lapsed lease stays theirs until another labeler claims the task."""
    return task.status == Task.Status.OPEN and task.assignee_id == user.pk


def _double_held_by(task: Task, user: User, now: datetime) -> bool:
    return (
        task.double_status == Task.DoubleStatus.PENDING
        and task.double_assignee_id == user.pk
        and task.double_lease_expires_at is not None
        and task.double_lease_expires_at >= now
    )


def _draft_origins(source: Recording) -> dict[int, float]:
    """Where each segment started before its first edit: the start its draft was timed from."""
    origins: dict[int, float] = {}
    edits = SegmentEdit.objects.filter(segment__source=source, from_start__isnull=False)
    for segment_id, from_start in edits.order_by("id").values_list("segment_id", "from_start"):
        if from_start is not None:  # the filter above; the column is nullable
            origins.setdefault(segment_id, from_start)
    return origins


def source_draft_words(*, source: Recording) -> list[Word]:
    """Every ASR draft word of the source's segments (removed ones too) in source time.

    A draft written by a split or a merge carries its own "origin"; one written by segmentation
    is relative to the segment's start before its first edit. Words appearing in two drafts
    (a split copies the right half's words) are kept once.
    """
    starts = dict(
        Recording.objects.filter(source=source, kind=Recording.Kind.SEGMENT).values_list(
            "pk", "start_seconds"
        )
    )
    origins = {**starts, **_draft_origins(source)}
    drafts = TranscriptRevision.objects.filter(
        recording__source=source, kind=TranscriptRevision.Kind.ASR_DRAFT
    ).values_list("recording_id", "segments")
    seen: dict[tuple[float, float, str], Word] = {}
    for recording_id, segments in drafts:
        for part in segments or []:
            origin = part.get("origin", origins.get(recording_id, 0.0))
            for word in part.get("words") or []:
                timed = [
                    round(origin + word["start"], 3),
                    round(origin + word["end"], 3),
                    word.get("text", ""),
                    word.get("probability"),
                ]
                seen.setdefault((timed[0], timed[1], timed[2].strip()), timed)
    return sorted(seen.values(), key=lambda w: (w[0], w[1]))


def _middle(word: Word) -> float:
    start: float = word[0]
    end: float = word[1]
    return (start + end) / 2


def words_within(words: list[Word], start: float, end: float) -> list[Word]:
    """The words whose middle falls inside [start, end)."""
    return [w for w in words if start <= _middle(w) < end]


def words_text(words: list[Word]) -> str:
    return "".join(w[2] if w[2].startswith(" ") else f" {w[2]}" for w in words).strip()


@dataclass
class SegmentContext:
    """What building many segments' JSON needs, loaded once per source and request."""

    user: User
    now: datetime
    words: list[Word]
    latest: dict[int, TranscriptRevision]
    drafts: dict[int, TranscriptRevision]
    # The words' indices in order of their middles, and those middles: a source's segment list
    # finds each segment's words by bisection instead of scanning every word of the source.
    _by_middle: list[int] = field(init=False, repr=False)
    _middles: list[float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_middle = sorted(range(len(self.words)), key=lambda i: _middle(self.words[i]))
        self._middles = [_middle(self.words[i]) for i in self._by_middle]

    def words_within(self, start: float, end: float) -> list[Word]:
        """words_within(self.words, start, end), in the same order."""
        first, stop = bisect_left(self._middles, start), bisect_left(self._middles, end)
        return [self.words[i] for i in sorted(self._by_middle[first:stop])]


def segment_context(*, source: Recording, user: User, segment_ids: list[int]) -> SegmentContext:
    latest: dict[int, TranscriptRevision] = {}
    drafts: dict[int, TranscriptRevision] = {}
    revisions = (
        TranscriptRevision.objects.filter(recording_id__in=segment_ids)
        .exclude(kind=TranscriptRevision.Kind.DOUBLE)
        .order_by("recording_id", "-number")
    )
    for revision in revisions:
        latest.setdefault(revision.recording_id, revision)
        if revision.kind == TranscriptRevision.Kind.ASR_DRAFT:
            drafts.setdefault(revision.recording_id, revision)
    return SegmentContext(
        user=user,
        now=timezone.now(),
        words=source_draft_words(source=source),
        latest=latest,
        drafts=drafts,
    )


def segment_json(segment: Recording, context: SegmentContext) -> dict[str, Any]:
    """A segment as the contract's "segment JSON" (see /api/sources/<id>/segments/)."""
    task: Task | None = getattr(segment, "task", None)
    labeling = task is not None and segment_held_by(task=task, user=context.user)
    held = labeling or (task is not None and _double_held_by(task, context.user, context.now))
    latest = context.latest.get(segment.pk)
    draft = context.drafts.get(segment.pk)
    start, end = segment_span(segment)
    words = context.words_within(start, end)
    ready = segment.status == Recording.Status.READY
    return {
        "id": segment.pk,
        "task_id": task.pk if task else None,
        "start": round(start, 3),
        "end": round(end, 3),
        "speaker": {"id": segment.speaker_id, "code": segment.speaker.code},
        "version": segment.segment_version,
        "status": "ready" if ready else "removed",
        "task_status": task.status if task else None,
        "held_by_me": held,
        "editable": labeling and ready,
        "base_revision_id": latest.pk if latest else None,
        "text": latest.text if latest else "",
        "revision_kind": latest.kind if latest else None,
        "draft": {
            "text": words_text(words) if words else (draft.text if draft else ""),
            "confidence": draft.confidence if draft else None,
            "low_confidence": draft.low_confidence if draft else False,
            "flags": list(draft.flags) if draft else [],
            "words": words,
        },
    }


def segments_json(
    *, source: Recording, segments: list[Recording], user: User
) -> list[dict[str, Any]]:
    context = segment_context(source=source, user=user, segment_ids=[s.pk for s in segments])
    return [segment_json(segment, context) for segment in segments]
